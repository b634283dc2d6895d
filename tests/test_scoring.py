"""gan.scoring: digits get the classifier's scores; other data gets the random-feature distance, the
memorisation check and the copy strip, from training statistics prepared once per run."""

import numpy as np
import pytest

from bench.feature_distance import shapes
from gan import data, memorisation, quality, runs, scoring


@pytest.fixture(scope="module")
def colour():
    pixels = shapes(1600, seed=7)
    return data.Dataset(pixels[:1200], np.zeros(1200, np.uint8), "upload"), pixels[1200:]


def test_only_mnist_digits_have_a_classifier(colour):
    assert scoring.Scorer(data.Dataset(colour[1][:4, ..., 0], np.zeros(4, np.uint8), "bundled"), 4, 0).novelty
    assert not scoring.Scorer(data.load_bundled(), 4, 0).novelty
    assert scoring.NOVELTY_FIELDS == ("rfd", "rfd_real", "near_copies", "copy_threshold", "nearest_median",
                                      "real_gap")


def test_data_without_a_classifier_gets_the_novelty_measures(colour):
    dataset, held = colour
    scorer = scoring.Scorer(dataset, 200, seed=0)
    assert scorer.novelty and not scorer.classified
    row, copies = scorer.score(held[:200], epoch=3, seconds=12.5)
    assert set(row) == {"epoch", "seconds", *scoring.NOVELTY_FIELDS}
    assert (row["epoch"], row["seconds"]) == (3, 12.5)
    assert row["near_copies"] < 0.05 and 0 < row["copy_threshold"] < row["real_gap"]
    assert row["nearest_median"] == pytest.approx(row["real_gap"], rel=0.25)  # fresh images: like the data's own gaps
    assert 0 < row["rfd_real"] < 3 * row["rfd"] and row["rfd"] < 200
    assert copies.epoch == 3 and len(copies.samples) == scoring.STRIP == len(copies.distance)
    assert (np.diff(copies.distance) >= 0).all()
    np.testing.assert_array_equal(copies.nearest, dataset.pixels[copies.index])
    assert copies.samples.shape == (8, 32, 32, 3) and copies.threshold == pytest.approx(row["copy_threshold"], abs=1e-6)


def test_a_copying_generator_shows_in_the_share_and_the_strip(colour):
    dataset, held = colour
    scorer = scoring.Scorer(dataset, 100, seed=0)
    copied = dataset.pixels[50:150]
    row, copies = scorer.score(np.concatenate([copied[:60], held[:40]]), epoch=1, seconds=1.0)
    assert row["near_copies"] == pytest.approx(0.6, abs=0.02)
    assert (copies.distance < memorisation.SAME).all() and set(copies.index) <= set(range(50, 110))
    np.testing.assert_array_equal(copies.samples, copies.nearest)
    collapsed, _ = scorer.score(np.repeat(held[:1], 100, axis=0), epoch=2, seconds=2.0)
    assert collapsed["rfd"] > 3 * row["rfd"]


def test_the_training_statistics_are_prepared_once(colour):
    scorer = scoring.Scorer(colour[0], 64, seed=0)
    scorer.prepare()
    reference, calibration = scorer.reference, scorer.calibration
    scorer.prepare()
    scorer.score(colour[1][:64], 1, 0.0)
    assert scorer.reference is reference and scorer.calibration is calibration


def test_digits_get_the_classifier_and_no_novelty_measures_unless_asked():
    fit, held_out = quality.reference_split()
    scorer = scoring.Scorer(fit, 300, seed=0)
    row, copies = scorer.score(held_out.pixels[:300], epoch=1, seconds=1.0)
    assert copies is None and scorer.reference is None  # nothing computed for them
    assert row["fdd"] > 0 and not set(scoring.NOVELTY_FIELDS) & set(row)
    asked = scoring.Scorer(fit, 300, seed=0, novelty=True)
    row, copies = asked.score(held_out.pixels[:300], epoch=1, seconds=1.0)
    assert row["fdd"] > 0 and row["near_copies"] < 0.05 and copies.samples.shape == (8, 28, 28)


def test_rows_fit_quality_csv(colour, runs_root):
    from tests.conftest import tiny_config

    run_dir = runs.create(runs_root, tiny_config())
    row, copies = scoring.Scorer(colour[0], 64, seed=0).score(colour[1][:64], 1, 2.0)
    runs.append_quality(run_dir, row)
    (read,) = runs.read_quality(run_dir)
    assert all(read[key] == pytest.approx(row[key]) for key in scoring.NOVELTY_FIELDS)
    assert "fdd" not in read  # an empty cell: not measured for this data


def test_the_training_images_own_distance_is_not_zero_when_all_of_them_are_drawn(colour):
    dataset, _ = colour
    scorer = scoring.Scorer(dataset, len(dataset.pixels), seed=0)
    scorer.prepare()
    assert scorer.rfd_real > 0.5  # as many samples as training images: still a sample, not the reference itself
