"""gan.features: the seeded random CNN is the same in every process, takes any image shape, and its
distance ranks held-out real images closest and blurred, shifted, collapsed or noisy ones further."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from bench.feature_distance import blur, shapes
from gan import data, features, quality
from tests.conftest import REPO

DIGEST = "import hashlib; from gan import features; " \
         "print(hashlib.sha256(b''.join(k.tobytes() for k in features.weights({c}))).hexdigest())"


@pytest.fixture(scope="module")
def digits():
    pixels = data.load_bundled().pixels
    order = np.random.default_rng(0).permutation(len(pixels))
    return pixels[order[1000:]], pixels[order[:1000]]  # training, held out


@pytest.fixture(scope="module")
def colour():
    pixels = shapes(4000, seed=3)
    return pixels[1000:], pixels[:1000]


@pytest.mark.parametrize("channels", [1, 3])
def test_weights_are_the_same_in_a_fresh_process(channels):
    here = hashlib.sha256(b"".join(k.tobytes() for k in features.weights(channels))).hexdigest()
    there = subprocess.run([sys.executable, "-c", DIGEST.format(c=channels)], cwd=REPO, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert there == here
    assert [k.shape for k in features.weights(channels)] == [(9 * channels, 16), (144, 32), (288, 64)]
    assert all(k.dtype == np.float32 for k in features.weights(channels))


def test_half_of_the_first_layer_sees_edges_only():
    first = features.weights(3)[0].reshape(3, 9, 16)
    np.testing.assert_allclose(first[:, :, :8].sum(axis=1), 0, atol=1e-6)
    assert np.abs(first[:, :, 8:].sum(axis=1)).min() > 1e-4


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 32, 32, 3), (5, 20, 17), (5, 9, 40, 3)])
def test_features_of_any_image_shape(shape):
    pixels = np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8)
    found = features.raw_features(pixels)
    assert found.shape == (5, features.N_FEATURES) and found.dtype == np.float64
    assert np.isfinite(found).all() and found.min() >= 0  # means and spreads of ReLU outputs
    np.testing.assert_array_equal(found, features.raw_features(pixels))
    # Batching changes nothing beyond float32 rounding: BLAS may block a 1-image product differently
    # from a 5-image one (OpenBLAS's AVX2 kernels do; its AVX-512 kernels happened to agree exactly)
    np.testing.assert_allclose(found[2:3], features.raw_features(pixels[2:3]), rtol=0, atol=1e-5)
    assert features.raw_features(pixels[:0]).shape == (0, features.N_FEATURES)


def test_the_reference_scales_features_to_unit_spread_but_never_magnifies_rare_ones(digits):
    ref = features.reference(digits[0][:500])
    spread = features.raw_features(digits[0][:500]).std(axis=0)
    floor = features.MIN_SCALE * np.median(spread)
    common, rare = spread >= floor, spread < floor
    assert common.sum() > 0.8 * features.N_FEATURES and rare.any()  # digits leave a few patterns almost unused
    np.testing.assert_allclose(ref.scaled(digits[0][:500]).mean(axis=0), 0, atol=1e-9)
    np.testing.assert_allclose(np.diag(ref.cov)[common], 1, rtol=0.01)  # ddof 1 against std's ddof 0
    assert (np.diag(ref.cov)[rare] < 1.01).all() and (ref.scale[rare] == pytest.approx(floor))
    assert features.distance(digits[0][:500], ref) < 1e-6


def test_a_large_training_set_is_summarised_by_a_seeded_subset(digits):
    small = features.reference(digits[0], seed=1, most=600)
    again = features.reference(digits[0], seed=1, most=600)
    np.testing.assert_array_equal(small.mu, again.mu)
    assert not np.array_equal(small.centre, features.reference(digits[0], seed=2, most=600).centre)


@pytest.mark.parametrize("dataset", ["digits", "colour"])
def test_held_out_real_images_are_closest(dataset, request):
    train, held = request.getfixturevalue(dataset)
    ref = features.reference(train)
    n = 500
    real = features.distance(held[:n], ref)
    others = {"blurred": blur(held[:n]), "shifted": np.roll(held[:n], 4, axis=2),
              "collapsed": np.repeat(held[:1], n, axis=0),
              "noise": np.random.default_rng(1).integers(0, 256, held[:n].shape).astype(np.uint8)}
    distances = {name: features.distance(pixels, ref) for name, pixels in others.items()}
    assert all(distance > 1.3 * real for distance in distances.values()), (real, distances)
    assert distances["noise"] > 10 * real and distances["collapsed"] > 5 * real


def test_the_distance_is_the_frechet_distance_of_the_scaled_features(digits):
    train, held = digits
    ref = features.reference(train[:800])
    stats = quality.gaussian_stats(ref.scaled(held[:300]))
    assert features.distance(held[:300], ref) == quality.frechet_distance(*stats, ref.mu, ref.cov)
