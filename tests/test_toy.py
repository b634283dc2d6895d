"""The toy GAN: hand-written gradients against finite differences, losses against hand-computed
values, shapes and ranges, learning, determinism, user points, experiments, Play's pace, how a
step moved D's verdicts, no TensorFlow."""

import copy
import math
import pickle
import subprocess
import sys

import numpy as np
import pytest

from gan import toy
from gan.config import ConfigError
from tests.conftest import REPO

SMALL = {"hidden": 5, "batch_size": 8}


def numerical_gradient(f, theta: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """Central differences of the scalar f(theta) for each entry of theta."""
    grad = np.zeros_like(theta)
    for i in range(len(theta)):
        saved = theta[i]
        theta[i] = saved + eps
        plus = f(theta)
        theta[i] = saved - eps
        minus = f(theta)
        theta[i] = saved
        grad[i] = (plus - minus) / (2 * eps)
    return grad


def assert_close(analytic: np.ndarray, numeric: np.ndarray) -> None:
    scale = max(np.abs(numeric).max(), 1e-3)
    assert np.abs(analytic - numeric).max() < 1e-5 * scale


@pytest.mark.parametrize("layers", [1, 2, 3])
@pytest.mark.parametrize("loss", toy.LOSSES)
def test_d_gradient_matches_finite_differences(loss, layers):
    settings = toy.Settings(loss=loss, layers=layers, **SMALL)
    state = toy.init(settings)
    rng = np.random.default_rng(1)
    real, fake = rng.normal(size=(8, 2)), rng.normal(size=(6, 2))
    _, grad = toy.d_loss_and_gradient(settings, state.d_theta, real, fake)
    numeric = numerical_gradient(lambda t: toy.d_loss_and_gradient(settings, t, real, fake)[0], state.d_theta)
    assert_close(grad, numeric)


@pytest.mark.parametrize("noise_dim", [1, 2])
@pytest.mark.parametrize("loss", toy.LOSSES)
def test_g_gradient_matches_finite_differences(loss, noise_dim):
    settings = toy.Settings(loss=loss, noise_dim=noise_dim, **SMALL)
    state = toy.init(settings)
    noise = np.random.default_rng(2).normal(size=(8, noise_dim))
    _, grad = toy.g_loss_and_gradient(settings, state.g_theta, state.d_theta, noise)
    numeric = numerical_gradient(lambda t: toy.g_loss_and_gradient(settings, t, state.d_theta, noise)[0],
                                 state.g_theta)
    assert_close(grad, numeric)


@pytest.mark.parametrize("loss", toy.LOSSES)
def test_generator_gradients_are_minus_the_per_point_loss_gradient(loss):
    state = toy.init(toy.Settings(loss=loss, **SMALL))
    points = np.random.default_rng(3).normal(size=(5, 2))
    arrows = toy.generator_gradients(state, points)
    assert arrows.shape == (5, 2)
    for point, arrow in zip(points, arrows, strict=True):
        def point_loss(xy):
            logit = toy._forward(state.d_theta, toy._sizes(state.settings, "d"), xy[None, :])[0]
            return toy.g_loss(loss, logit)[0].item()

        assert_close(-arrow, numerical_gradient(point_loss, point.copy()))


@pytest.mark.parametrize("loss", toy.LOSSES)
def test_loss_gradients_on_logits_match_finite_differences(loss):
    real, fake = np.array([[0.3], [-1.2]]), np.array([[2.0], [-0.4], [0.1]])
    _, d_real, d_fake = toy.d_loss(loss, real, fake)
    assert_close(d_real[:, 0], numerical_gradient(lambda r: toy.d_loss(loss, r[:, None], fake)[0], real[:, 0].copy()))
    assert_close(d_fake[:, 0], numerical_gradient(lambda f: toy.d_loss(loss, real, f[:, None])[0], fake[:, 0].copy()))
    _, g_logits = toy.g_loss(loss, fake)
    per_point = numerical_gradient(lambda f: toy.g_loss(loss, f[:, None])[0].sum(), fake[:, 0].copy())
    assert_close(g_logits[:, 0], per_point)


def test_losses_match_hand_computed_values():
    zero = np.zeros((1, 1))
    assert toy.d_loss("nonsat", zero, zero)[0] == pytest.approx(2 * math.log(2))
    assert toy.g_loss("nonsat", zero)[0].item() == pytest.approx(math.log(2))
    assert toy.g_loss("minimax", zero)[0].item() == pytest.approx(-math.log(2))
    real, fake = np.array([[2.0]]), np.array([[-1.0]])
    # −log σ(2) − log(1 − σ(−1)) = log(1 + e^−2) + log(1 + e^−1)
    assert toy.d_loss("minimax", real, fake)[0] == pytest.approx(math.log1p(math.exp(-2)) + math.log1p(math.exp(-1)))
    assert toy.g_loss("nonsat", fake)[0].item() == pytest.approx(math.log1p(math.exp(1)))
    assert toy.g_loss("minimax", fake)[0].item() == pytest.approx(math.log(1 - 1 / (1 + math.exp(1))))
    assert toy.d_loss("lsgan", real, fake)[0] == pytest.approx(0.5 * 1.0 + 0.5 * 1.0)
    assert toy.g_loss("lsgan", fake)[0].item() == pytest.approx(0.5 * 4.0)


@pytest.mark.parametrize("loss", toy.LOSSES)
def test_losses_stay_finite_for_huge_logits(loss):
    huge = np.array([[1000.0], [-1000.0]])
    value, d_real, d_fake = toy.d_loss(loss, huge, huge)
    g_values, g_logits = toy.g_loss(loss, huge)
    assert all(np.isfinite(a).all() for a in (value, d_real, d_fake, g_values, g_logits))


@pytest.mark.parametrize("target", toy.TARGETS)
def test_targets_are_2d_points_inside_the_plot(target):
    points = toy.sample_target(target, 500, np.random.default_rng(0))
    assert points.shape == (500, 2) and points.dtype == np.float64
    assert np.abs(points).max() < toy.EXTENT[1]
    assert np.abs(points).max() > 0.8 * toy.DATA_HALF_WIDTH  # uses the plot, not a corner of it


def test_what_the_page_draws_has_the_documented_shapes_and_ranges():
    state = toy.init(toy.Settings())
    data = toy.sample_target("ring", 300, np.random.default_rng(0))
    toy.step(state, data, n=5)
    xs, ys, scores = toy.discriminator_grid(state, resolution=7)
    assert xs.shape == ys.shape == (7,) and scores.shape == (7, 7)
    assert (xs[0], xs[-1]) == toy.EXTENT
    assert ((scores >= 0) & (scores <= 1)).all()
    points = toy.generated(state, 33)
    assert points.shape == (33, 2) and np.isfinite(points).all()
    assert toy.generator_gradients(state, points[:4]).shape == (4, 2)
    iterations, d_values, g_values = toy.losses(state)
    assert iterations.tolist() == [1, 2, 3, 4, 5]
    assert d_values.shape == g_values.shape == (5,)


def test_lsgan_heatmap_is_the_clipped_raw_output():
    state = toy.init(toy.Settings(loss="lsgan"))
    points = np.random.default_rng(0).normal(size=(50, 2)) * 3
    raw = toy._forward(state.d_theta, toy._sizes(state.settings, "d"), points)[0][:, 0]
    np.testing.assert_allclose(toy.d_verdicts(state, points), np.clip(raw, 0, 1))


def test_single_network_steps_move_only_that_network():
    state = toy.init(toy.Settings())
    data = toy.sample_target("ring", 300, np.random.default_rng(0))
    g_before, d_before = state.g_theta.copy(), state.d_theta.copy()
    toy.step(state, data, what="d", n=2)
    assert np.array_equal(state.g_theta, g_before) and not np.array_equal(state.d_theta, d_before)
    d_before = state.d_theta.copy()
    toy.step(state, data, what="g", n=2)
    assert np.array_equal(state.d_theta, d_before) and not np.array_equal(state.g_theta, g_before)
    assert state.iteration == 4 and len(toy.losses(state)[0]) == 4
    with pytest.raises(ValueError, match="what must be"):
        toy.step(state, data, what="both_nets")


def test_one_d_step_at_the_start_shows_where_the_verdicts_moved():
    # The plane starts near an even 0.5: one D step moves it by about 0.02, a sliver of the colour
    # scale. verdict_change scales the move to [-1, 1] so the page can shade it.
    state = toy.init(toy.Settings())
    data = toy.sample_target("ring", 500, np.random.default_rng(0))
    before = toy.discriminator_grid(state, resolution=20)[2]
    toy.step(state, data, what="d")
    after = toy.discriminator_grid(state, resolution=20)[2]
    change, largest = toy.verdict_change(before, after)
    assert change.shape == (20, 20) and np.abs(change).max() == pytest.approx(1.0)
    assert 0.001 < largest < 0.1
    np.testing.assert_allclose(change * largest, after - before)
    toy.step(state, data, what="g")
    unmoved = toy.discriminator_grid(state, resolution=20)[2]
    assert toy.verdict_change(after, unmoved) == (pytest.approx(np.zeros((20, 20))), 0.0)


def test_verdict_change_keeps_the_sign_and_ignores_rounding():
    before = np.full((2, 2), 0.5)
    change, largest = toy.verdict_change(before, before + np.array([[0.02, -0.01], [0.0, 0.005]]))
    np.testing.assert_allclose(change, [[1.0, -0.5], [0.0, 0.25]])
    assert largest == pytest.approx(0.02)
    change, largest = toy.verdict_change(before, before + toy.MOVE_FLOOR / 2)
    assert largest == 0.0 and not change.any()


@pytest.mark.parametrize("refreshes_per_second", [2, 4, 12.5])
def test_play_keeps_its_pace_whatever_the_refresh_rate(refreshes_per_second):
    owed, trained = 0.0, 0
    for _ in range(int(10 * refreshes_per_second)):  # ten seconds of Play
        n, owed = toy.iterations_due(150, 1 / refreshes_per_second, 0.001, owed)
        trained += n
    assert abs(trained - 1500) <= 1


def test_play_never_bursts_never_stalls_and_leaves_time_to_draw():
    assert toy.iterations_due(100, 60.0)[0] == 100 * toy.MAX_LAG  # a minute in a hidden tab
    assert toy.iterations_due(100, -1.0)[0] == 1  # a clock that went backwards
    assert toy.iterations_due(25, 0.01) == (1, 0.25)  # at least one iteration a refresh
    # an iteration of 40 ms (the heaviest settings): half of a 0.25 s gap fits 3, not 25
    n, owed = toy.iterations_due(100, 0.25, 0.04)
    assert n == 3 and owed == 0.0
    assert toy.iterations_due(100, 0.25, 0.5)[0] == 1


def test_measured_pace_counts_refreshes_and_iterations_per_second():
    assert toy.measured_pace([]) is None and toy.measured_pace([(5.0, 10)]) is None
    assert toy.measured_pace([(1.0, 0), (1.25, 40), (1.5, 75), (2.0, 150)]) == (3.0, 150.0)


def mean_distance_to_data(points: np.ndarray, data: np.ndarray) -> float:
    return float(np.linalg.norm(points[:, None, :] - data[None, :, :], axis=-1).min(axis=1).mean())


def test_training_brings_generated_points_to_the_data():
    state = toy.init(toy.Settings(target="ring"))
    data = toy.sample_target("ring", 1000, np.random.default_rng(0))
    before = mean_distance_to_data(toy.generated(state, 500), data)  # a cloud in the ring's empty middle
    toy.step(state, data, n=800)
    after = mean_distance_to_data(toy.generated(state, 500), data)
    assert after < 0.3 * before


def test_same_seed_same_run_and_copies_carry_on_identically():
    data = toy.sample_target("grid", 500, np.random.default_rng(0))
    first, second = toy.init(toy.Settings(seed=7)), toy.init(toy.Settings(seed=7))
    toy.step(first, data, n=30)
    toy.step(second, data, n=30)
    assert np.array_equal(first.g_theta, second.g_theta) and first.history == second.history
    assert not np.array_equal(toy.init(toy.Settings(seed=8)).g_theta, toy.init(toy.Settings(seed=7)).g_theta)
    pickled, copied = pickle.loads(pickle.dumps(first)), copy.deepcopy(first)
    assert len(pickle.dumps(first)) < 100_000
    for state in (first, pickled, copied):
        toy.step(state, data, n=10)
    assert np.array_equal(first.d_theta, pickled.d_theta) and np.array_equal(first.d_theta, copied.d_theta)


def test_drawing_does_not_change_the_training_run():
    data = toy.sample_target("ring", 500, np.random.default_rng(0))
    drawn, plain = toy.init(toy.Settings()), toy.init(toy.Settings())
    toy.generated(drawn, 100)
    toy.discriminator_grid(drawn)
    toy.generator_gradients(drawn, data[:10])
    toy.step(drawn, data, n=5)
    toy.step(plain, data, n=5)
    assert np.array_equal(drawn.g_theta, plain.g_theta)


def test_history_is_thinned_not_cut(monkeypatch):
    monkeypatch.setattr(toy, "HISTORY_CAP", 20)
    state = toy.init(toy.Settings(**SMALL))
    toy.step(state, toy.sample_target("line", 100, np.random.default_rng(0)), n=100)
    iterations, _, _ = toy.losses(state)
    assert len(iterations) <= 20 and iterations[-1] == 100 and iterations[0] <= 5
    assert (np.diff(iterations) > 0).all()


def test_retune_changes_live_settings_and_refuses_shape_changes():
    state = toy.init(toy.Settings())
    toy.retune(state, state.settings.replace(loss="minimax", g_lr=1e-3))
    assert state.settings.loss == "minimax"
    with pytest.raises(ConfigError) as error:
        toy.retune(state, state.settings.replace(hidden=8))
    assert error.value.field == "hidden" and "reset" in str(error.value)


@pytest.mark.parametrize(("changes", "field"), [
    ({"loss": "wgan"}, "loss"), ({"target": "spiral"}, "target"), ({"g_lr": 0.5}, "g_lr"),
    ({"d_lr": float("nan")}, "d_lr"), ({"noise_dim": 3}, "noise_dim"), ({"hidden": 2.5}, "hidden"),
    ({"batch_size": "64"}, "batch_size"), ({"d_steps": True}, "d_steps"), ({"colour": "red"}, "colour"),
])
def test_bad_settings_name_the_field(changes, field):
    with pytest.raises(ConfigError) as error:
        toy.Settings.from_dict(changes)
    assert error.value.field == field and str(error.value).startswith(f"{field}: ")


def csv_of(n: int) -> str:
    return "\n".join(f"{i},{i * i % 7}" for i in range(n))


def test_csv_points_are_read_and_scaled_into_the_plot():
    points = toy.points_from_csv(b"\xef\xbb\xbfx;y\n" + "\n".join(f"{i * 100};{-i * 50}" for i in range(12)).encode())
    assert points.shape == (12, 2)
    np.testing.assert_allclose(np.abs(points).max(), toy.DATA_HALF_WIDTH)
    np.testing.assert_allclose(points[:, 0], -2 * points[:, 1])  # centred, aspect kept
    assert toy.points_from_csv("1\t2\n" + "\n".join(f"{i}\t{i % 3}" for i in range(10))).shape == (11, 2)
    assert toy.points_from_csv("\n".join(f"{i} {i % 3}" for i in range(10)) + "\n\n").shape == (10, 2)
    decimal_commas = toy.points_from_csv("\n".join(f"{i},5;{i}" for i in range(10)))
    np.testing.assert_allclose(decimal_commas[:, 0], decimal_commas[:, 1])  # x = i + 0.5, y = i


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty"),
    (csv_of(9), "too few points (9); at least 10"),
    (csv_of(10_002), "at most 10,000"),
    (csv_of(10) + "\n3,4,5", "Line 11 has 3 columns"),
    ("x\n" + "\n".join(str(i) for i in range(12)), "Line 1 has 1 columns"),
    (csv_of(10) + "\n3,abc", "Line 11: '3,abc' is not two numbers"),
    (csv_of(10) + "\nnan,1", "not a finite number (point 11)"),
    (csv_of(10) + "\n1,inf", "not a finite number"),
    ("\n".join("1,1" for _ in range(12)), "same point"),
    (b"\xff\xfe1,2", "not a text"),
])
def test_bad_csv_gets_a_clear_message(content, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        toy.points_from_csv(content)


def test_sketched_points_keep_their_place_and_are_checked():
    sketch = [(0.1 * i, -0.05 * i) for i in range(10)]
    np.testing.assert_allclose(toy.points_from_sketch(sketch), sketch)
    for bad, message in [(sketch[:4], "at least 10"), ([(1, 2, 3)] * 10, "pairs"),
                         ([("a", 1)] * 10, "pairs"), ([(5.0, 0.0)] * 10, "inside the plot"),
                         ([*sketch, (float("nan"), 0.0)], "finite")]:
        with pytest.raises(ValueError, match=message):
            toy.points_from_sketch(bad)


def test_experiments_are_valid_settings_with_something_to_look_for():
    for experiment in toy.EXPERIMENTS.values():
        settings = toy.Settings.from_dict(experiment.settings)
        assert settings.target in toy.TARGETS
        assert experiment.iterations > 0


def test_mode_collapse_experiment_covers_fewer_modes_than_balanced():
    # bench/toy_speed.py --experiments checks 12 seeds (1 vs 6–9 modes); this guards the claim on one.
    covered = {}
    for name in ("mode_collapse", "balanced"):
        experiment = toy.EXPERIMENTS[name]
        state = toy.init(toy.Settings.from_dict(experiment.settings))
        data = toy.sample_target("grid", 2000, np.random.default_rng(1000))
        toy.step(state, data, n=experiment.iterations)
        covered[name] = toy.modes_covered(toy.generated(state, 2000), "grid")
    assert covered["mode_collapse"] <= 2 and covered["balanced"] >= 5, covered


def test_modes_covered_counts_modes_with_their_share_of_points():
    centres = toy.mode_centres("grid")
    assert toy.modes_covered(np.repeat(centres[:4], 50, axis=0), "grid") == 4
    assert toy.modes_covered(centres, "line") is None


def test_importing_the_toy_imports_neither_tensorflow_nor_streamlit():
    code = ("import sys, gan.toy; "
            "print(sorted(m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
