"""Each loss against values computed by hand from its formula."""

import math

import numpy as np
import pytest

from gan import losses


def logits(*values):
    return np.array(values, np.float32).reshape(-1, 1)


def sigmoid(x):
    return 1 / (1 + math.exp(-x))


def test_d_bce_by_hand():
    real, fake = logits(2.0, 0.0), logits(-1.0, 3.0)
    expected = (-math.log(sigmoid(2.0)) - math.log(sigmoid(0.0))) / 2 \
        + (-math.log(1 - sigmoid(-1.0)) - math.log(1 - sigmoid(3.0))) / 2
    assert float(losses.d_bce(real, fake)) == pytest.approx(expected, rel=1e-5)


def test_label_smoothing_targets_point_nine():
    real, fake = logits(1.5), logits(-20.0)
    expected = -(0.9 * math.log(sigmoid(1.5)) + 0.1 * math.log(1 - sigmoid(1.5)))
    assert float(losses.d_bce(real, fake, 0.1)) == pytest.approx(expected, rel=1e-4)


def test_bce_is_finite_for_huge_logits():
    assert np.isfinite(float(losses.d_bce(logits(1000.0, -1000.0), logits(1000.0, -1000.0))))


def test_generator_losses_by_hand():
    fake = logits(-2.0, 1.0)
    assert float(losses.g_nonsaturating(fake)) == pytest.approx(
        (-math.log(sigmoid(-2.0)) - math.log(sigmoid(1.0))) / 2, rel=1e-5)
    assert float(losses.g_minimax(fake)) == pytest.approx(
        (math.log(1 - sigmoid(-2.0)) + math.log(1 - sigmoid(1.0))) / 2, rel=1e-5)


def test_minimax_saturates_where_nonsaturating_does_not():
    """When D confidently rejects fakes, log(1 - D(G(z))) is flat: the reason for the trick."""
    import tensorflow as tf

    x = tf.Variable([[-8.0]])
    grads = {}
    for name in ("g_minimax", "g_nonsaturating"):
        with tf.GradientTape() as tape:
            loss = getattr(losses, name)(x)
        grads[name] = abs(float(tape.gradient(loss, x)[0, 0]))
    assert grads["g_minimax"] < 1e-3 < 0.9 < grads["g_nonsaturating"]


def test_least_squares_by_hand():
    real, fake = logits(0.5, 1.0), logits(0.0, 2.0)
    assert float(losses.d_least_squares(real, fake)) == pytest.approx(0.5 * (0.25 + 0) / 2 + 0.5 * (0 + 4) / 2)
    assert float(losses.g_least_squares(fake)) == pytest.approx(0.5 * (1 + 1) / 2)


def test_hinge_by_hand():
    real, fake = logits(0.5, 2.0), logits(-2.0, 0.0)
    assert float(losses.d_hinge(real, fake)) == pytest.approx((0.5 + 0) / 2 + (0 + 1) / 2)
    assert float(losses.g_wasserstein(fake)) == pytest.approx(1.0)


def test_wasserstein_critic_by_hand():
    assert float(losses.d_wasserstein(logits(3.0, 1.0), logits(0.0, -2.0))) == pytest.approx(-1.0 - 2.0)


def test_every_configured_loss_has_a_pair():
    from gan.config import LOSSES

    assert set(losses.LOSSES) == set(LOSSES)


def test_top_k_keeps_the_fakes_d_rates_most_real():
    fake = logits(3.0, -1.0, 2.0, 0.5)
    kept = np.asarray(losses.top_k(fake, 0.5))
    assert kept.shape == (2, 1) and sorted(kept[:, 0]) == [2.0, 3.0]
    assert np.asarray(losses.top_k(fake, 0.75)).shape == (3, 1)
    assert np.asarray(losses.top_k(fake, 0.1)).shape == (1, 1)  # never empty
    assert losses.top_k(fake, 1.0) is fake


def test_top_k_changes_the_generator_loss_to_the_best_fakes_only():
    fake = logits(-4.0, 1.0, 2.0, 3.0)
    assert float(losses.g_wasserstein(losses.top_k(fake, 0.75))) == pytest.approx(-2.0)
    assert float(losses.g_wasserstein(fake)) == pytest.approx(-0.5)
