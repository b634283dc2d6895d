import hashlib
import json
import math

import numpy as np
import pytest

from gan import models, quality, runs, sampling


@pytest.fixture(scope="module")
def split():
    return quality.reference_split()


def one_hot(labels) -> np.ndarray:
    return np.eye(10)[np.asarray(labels)]


# --- the shipped classifier and its reference numbers -----------------------------------

def test_assets_are_small_and_match_their_recorded_sha256():
    info = json.loads(quality.CLASSIFIER_INFO.read_text())
    assert quality.CLASSIFIER.stat().st_size < 1_000_000
    assert hashlib.sha256(quality.CLASSIFIER.read_bytes()).hexdigest() == info["classifier_sha256"]
    assert hashlib.sha256(quality.REAL_STATS.read_bytes()).hexdigest() == info["real_stats_sha256"]
    assert info["held_out_accuracy"] >= 0.97
    assert info["training"]["fit_digits"] + info["training"]["held_out_digits"] == 10_000


def test_split_is_fixed_and_held_out_digits_are_unseen(split):
    fit, held_out = split
    assert (len(fit.pixels), len(held_out.pixels)) == (8000, quality.N_HELD_OUT)
    assert not {p.tobytes() for p in fit.pixels} & {p.tobytes() for p in held_out.pixels}
    assert np.array_equal(quality.reference_split()[1].labels, held_out.labels)


def test_classifier_reads_held_out_digits(split):
    _, held_out = split
    digits, confidence = quality.classify(held_out.pixels)
    assert digits.shape == confidence.shape == (quality.N_HELD_OUT,)
    assert np.mean(digits == held_out.labels) >= 0.97
    assert confidence.min() >= 0.0 and confidence.max() <= 1.0


def test_classifier_exposes_features_and_probabilities(split):
    features, probabilities = quality.predict(split[1].pixels[:7])
    assert features.shape == (7, 64) and probabilities.shape == (7, 10)
    assert features.dtype == probabilities.dtype == np.float64
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-5)


def test_held_out_real_digits_reproduce_the_recorded_floor(split):
    result = quality.score(split[1].pixels)
    floor = quality.real_floor()
    assert floor["n"] == quality.EVAL_SAMPLES
    for key in quality.METRICS:
        assert result[key] == pytest.approx(floor[key], rel=1e-3, abs=1e-3), key
    assert result["fdd"] < 3 and result["score"] > 9 and result["confident"] > 0.9
    assert result["entropy"] > 0.99 * quality.MAX_ENTROPY


def test_noise_and_a_single_digit_score_far_from_real():
    noise = np.random.default_rng(0).integers(0, 256, (500, 28, 28), dtype=np.uint8)
    result = quality.score(noise)
    assert result["fdd"] > 100 * quality.real_floor()["fdd"]
    assert result["score"] < 2
    fit, _ = quality.reference_split()
    ones = quality.score(fit.pixels[fit.labels == 1][:300])
    assert ones["score"] < 1.2 and ones["histogram"][1] > 0.95 and ones["fdd"] > 50


def test_score_returns_every_number_in_range():
    result = quality.score(quality.reference_split()[1].pixels[:50])
    assert set(result) == {*quality.METRICS, "histogram"}
    assert len(result["histogram"]) == 10 and sum(result["histogram"]) == pytest.approx(1.0)
    assert result["fdd"] >= 0 and 1 <= result["score"] <= 10 and 0 <= result["confident"] <= 1
    assert 0 <= result["entropy"] <= quality.MAX_ENTROPY + 1e-9


def test_damaged_assets_raise_quality_unavailable(tmp_path, monkeypatch):
    bad = tmp_path / "classifier.keras"
    bad.write_bytes(b"not a model")
    monkeypatch.setattr(quality, "CLASSIFIER", bad)
    quality.load_classifier.cache_clear()
    try:
        with pytest.raises(quality.QualityUnavailable, match="damaged"):
            quality.load_classifier()
    finally:
        quality.load_classifier.cache_clear()


# --- the numbers themselves --------------------------------------------------------------

def test_frechet_distance_of_identical_gaussians_is_zero():
    rng = np.random.default_rng(1)
    a = rng.standard_normal((16, 16))
    cov = a @ a.T
    assert quality.frechet_distance(np.ones(16), cov, np.ones(16), cov) == pytest.approx(0.0, abs=1e-6)


def test_frechet_distance_matches_closed_forms():
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2
    assert quality.frechet_distance([1.0], [[4.0]], [3.0], [[9.0]]) == pytest.approx(4 + 1)
    # identity against a rotated diagonal covariance R D R^T: Tr(I) + Tr(D) - 2 sum sqrt(D)
    angle = 0.7
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    cov = rotation @ np.diag([4.0, 0.25]) @ rotation.T
    expected = 2 + 2 + 4.25 - 2 * (2 + 0.5)  # |mu1 - mu2|^2 = 2, Tr(I) = 2, Tr(D) = 4.25
    assert quality.frechet_distance([0, 0], np.eye(2), [1, 1], cov) == pytest.approx(expected)


def test_frechet_distance_agrees_with_eigenvalues_of_the_product_and_is_symmetric():
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((2, 8, 8))
    cov1, cov2 = a @ a.T, b @ b.T  # random, so they do not commute
    mu1, mu2 = rng.standard_normal((2, 8))
    # Tr sqrt(cov1 cov2) = sum of sqrt of the (real, non-negative) eigenvalues of cov1 cov2
    trace_root = np.sqrt(np.linalg.eigvals(cov1 @ cov2).real.clip(0)).sum()
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * trace_root
    assert quality.frechet_distance(mu1, cov1, mu2, cov2) == pytest.approx(expected, rel=1e-6)
    assert quality.frechet_distance(mu2, cov2, mu1, cov1) == pytest.approx(expected, rel=1e-6)


def test_classifier_score_runs_from_one_to_ten():
    assert quality.classifier_score(one_hot(np.arange(1000) % 10)) == pytest.approx(10.0, rel=1e-6)
    assert quality.classifier_score(one_hot(np.full(1000, 3))) == pytest.approx(1.0)
    assert quality.classifier_score(np.full((1000, 10), 0.1)) == pytest.approx(1.0)
    assert quality.classifier_score(one_hot(np.arange(1000) % 5)) == pytest.approx(5.0, rel=1e-6)


def test_histogram_entropy_is_in_nats():
    assert quality.histogram_entropy(np.full(10, 0.1)) == pytest.approx(math.log(10))
    assert quality.histogram_entropy(one_hot(4)) == 0.0
    assert quality.histogram_entropy([0.5, 0.5] + [0.0] * 8) == pytest.approx(math.log(2))


# --- mode collapse -----------------------------------------------------------------------

def test_collapse_warning_is_silent_for_real_and_even_histograms():
    assert quality.collapse_warning(np.full(10, 0.1)) is None
    assert quality.collapse_warning(quality.real_floor()["histogram"], best_entropy=quality.MAX_ENTROPY) is None


def test_collapse_warning_names_missing_and_dominant_digits():
    missing = np.array([0.125] * 8 + [0.0, 0.0])
    assert "Digits 8, 9 are almost never drawn" in quality.collapse_warning(missing)
    dominant = np.array([0.46] + [0.06] * 9)
    assert "Digit 0 is 46% of samples" in quality.collapse_warning(dominant)


def test_collapse_warning_flags_a_fall_in_entropy():
    skewed = np.array([0.25, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03])
    assert quality.collapse_warning(skewed) is None
    warning = quality.collapse_warning(skewed, best_entropy=quality.MAX_ENTROPY)
    assert "fell from 2.30" in warning and "\n" not in warning


def test_an_unformed_generator_gets_a_too_early_note_instead_of_an_alarm():
    rare_one = np.array([0.12, 0.004, *[0.996 / 8 - 0.012 / 8] * 8])  # epoch 2 of a healthy run, roughly
    early = quality.collapse_warning(rare_one, confident=0.3)
    assert early.early and early.kind == "early" and early.params == {"confident": "30%", "digits": "1"}
    assert "Too early to tell" in early and "Mode collapse" not in early
    alarm = quality.collapse_warning(rare_one, confident=0.9)  # a formed generator that skips 1s: collapse
    assert alarm.kind == "missing" and not alarm.early
    assert quality.collapse_warning(np.full(10, 0.1), confident=0.1) is None  # an even histogram: nothing to say
    assert quality.collapse_warning(rare_one).kind == "missing"  # maturity unknown: judged as formed


def test_latest_warning_compares_the_last_epoch_with_earlier_ones():
    even = {"entropy": quality.MAX_ENTROPY, **{f"class_{d}": 0.1 for d in range(10)}}
    skewed_shares = [0.25, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.04, 0.03, 0.03]
    skewed = {"entropy": quality.histogram_entropy(skewed_shares),
              **{f"class_{d}": s for d, s in enumerate(skewed_shares)}}
    assert quality.latest_warning([]) is None
    assert quality.latest_warning([skewed]) is None
    assert quality.latest_warning([even, skewed]) is not None
    assert quality.latest_warning([even, skewed, even]) is None
    assert quality.latest_warning([even, {**skewed, "confident": 0.2}]).early


# --- generators and the run store ----------------------------------------------------------

def test_evaluate_generator_scores_fixed_noise(finished_run):
    generator = sampling.load_generator(finished_run / "generator.keras")
    first = quality.evaluate_generator(generator, n=200, seed=5)
    assert first == quality.evaluate_generator(generator, n=200, seed=5)
    assert first != quality.evaluate_generator(generator, n=200, seed=6)
    assert first["fdd"] > quality.real_floor()["fdd"]


def test_evaluate_generator_handles_a_conditional_generator():
    generator = models.build_generator("dcgan_small", 8, conditional=True)
    result = quality.evaluate_generator(generator, n=30, seed=0)
    assert len(result["histogram"]) == 10 and result["fdd"] >= 0


def test_quality_rows_round_trip_through_the_run_store(tmp_path):
    result = quality.score(quality.reference_split()[1].pixels[:100])
    for epoch in (1, 2, 3):
        runs.append_quality(tmp_path, quality.to_row(result, epoch, 10.0 * epoch))
    rows = runs.read_quality(tmp_path)
    assert [row["epoch"] for row in rows] == [1, 2, 3]
    assert list(rows[0]) == list(runs.LEGACY_QUALITY_FIELDS)  # empty columns are left out
    assert rows[0]["fdd"] == pytest.approx(result["fdd"], rel=1e-5)
    assert [rows[0][f"class_{d}"] for d in range(10)] == pytest.approx(result["histogram"])
    runs.keep_quality_through(tmp_path, 2)
    assert [row["epoch"] for row in runs.read_quality(tmp_path)] == [1, 2]


def test_quality_store_tolerates_missing_and_half_written_files(tmp_path):
    assert runs.read_quality(tmp_path) == []
    runs.keep_quality_through(tmp_path, 1)
    assert not (tmp_path / "quality.csv").exists()
    row = quality.to_row({"fdd": 5.0, "score": 8.0, "confident": 0.9, "entropy": 2.2,
                          "histogram": [0.1] * 10}, 1, 1.0)
    runs.append_quality(tmp_path, row)
    with open(tmp_path / "quality.csv", "a") as handle:
        handle.write("2,20.0,4.")  # a crash mid-row
    assert [r["epoch"] for r in runs.read_quality(tmp_path)] == [1]
    runs.append_quality(tmp_path, {**row, "epoch": 3})
    assert runs.read_quality(tmp_path)[-1] == pytest.approx({**row, "epoch": 3})


def test_the_evaluation_size_is_2000_unless_the_environment_says_otherwise(monkeypatch):
    monkeypatch.delenv(quality.EVAL_ENV)
    assert quality.eval_samples() == quality.EVAL_SAMPLES == 2000
    for value, expected in (("256", 256), ("5", 64), ("many", 2000), ("10000000", 100_000)):
        monkeypatch.setenv(quality.EVAL_ENV, value)
        assert quality.eval_samples() == expected
