"""gan.memorisation: nearest training images in bounded memory, a threshold calibrated on the data,
and near-copy shares near 1 for copies, small for fresh real images and 0 for noise."""

import numpy as np
import pytest

from bench.feature_distance import shapes
from gan import data, memorisation


@pytest.fixture(scope="module")
def digits():
    pixels = data.load_bundled().pixels
    order = np.random.default_rng(0).permutation(len(pixels))
    return pixels[order[1000:]], pixels[order[:1000]]


@pytest.fixture(scope="module")
def digits_check(digits):
    train = memorisation.TrainingSet(digits[0])
    return train, memorisation.calibrate(train, digits[0])


def noisy(pixels: np.ndarray, spread: int, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).integers(-spread, spread + 1, pixels.shape)
    return np.clip(pixels.astype(np.int16) + noise, 0, 255).astype(np.uint8)


def test_downsampling_averages_blocks_of_any_shape():
    pixels = np.arange(2 * 32 * 32 * 3).reshape(2, 32, 32, 3).astype(np.uint8)
    small = memorisation.downsample(pixels)
    assert small.shape == (2, 16 * 16 * 3) and small.dtype == np.float32
    assert small[0, 0] == pytest.approx(pixels[0, :2, :2, 0].mean() / 255)
    assert memorisation.downsample(np.zeros((3, 28, 28), np.uint8)).shape == (3, 14 * 14)
    assert memorisation.downsample(np.zeros((3, 12, 30), np.uint8)).shape == (3, 12 * 30)  # up to 16: as is
    assert memorisation.downsample(np.zeros((3, 17, 40), np.uint8)).shape == (3, 8 * 20)


def test_nearest_finds_the_closest_image_whatever_the_block_size(digits, monkeypatch):
    train_pixels, held = digits
    exact = memorisation.downsample(held[:40])[:, None, :] - memorisation.downsample(train_pixels[:3000])[None]
    rms = np.sqrt((exact**2).mean(axis=2))
    train = memorisation.TrainingSet(train_pixels[:3000])
    monkeypatch.setattr(memorisation, "BLOCK_BYTES", 40 * 4 * 7)  # 7 training images a block
    found = train.nearest(held[:40])
    np.testing.assert_array_equal(found.index, rms.argmin(axis=1))
    np.testing.assert_allclose(found.distance, rms.min(axis=1), atol=1e-4)


def test_exclusion_and_distinctness(digits):
    pixels = digits[0][:200]
    doubled = np.concatenate([pixels, pixels[:1]])  # image 0 twice
    train = memorisation.TrainingSet(doubled)
    assert train.nearest(pixels[:1]).distance[0] < memorisation.SAME
    found = train.nearest(pixels[:3], exclude=np.arange(3))
    assert found.index[0] == 200 and found.distance[0] < memorisation.SAME  # its twin
    assert (found.index[1:] != np.arange(1, 3)).all()
    assert train.nearest(pixels[:1], distinct=True).distance[0] > 0.05  # the twin is skipped


def test_copies_count_fresh_images_rarely_and_noise_never(digits, digits_check):
    train_pixels, held = digits
    train, calibration = digits_check
    assert 0 < calibration.threshold < calibration.real_median
    copies = memorisation.check(noisy(train_pixels[:300], 6), train, calibration)
    assert copies.share > 0.97
    np.testing.assert_array_equal(copies.nearest, np.arange(300))
    fresh = memorisation.check(held, train, calibration)
    assert fresh.share < 0.05  # by construction about COPY_QUANTILE of them
    noise = np.random.default_rng(2).integers(0, 256, (300, 28, 28)).astype(np.uint8)
    assert memorisation.check(noise, train, calibration).share == 0.0


def test_colour_copies_are_found_too():
    pixels = shapes(1500, seed=5)
    train_pixels, held = pixels[:1200], pixels[1200:]
    train = memorisation.TrainingSet(train_pixels)
    calibration = memorisation.calibrate(train, train_pixels)
    assert memorisation.check(noisy(train_pixels[:200], 4), train, calibration).share > 0.97
    assert memorisation.check(held, train, calibration).share < 0.05


def test_the_threshold_is_calibrated_on_a_seeded_subset(digits):
    train_pixels = digits[0]
    train = memorisation.TrainingSet(train_pixels)
    one = memorisation.calibrate(train, train_pixels, seed=4, most=300)
    assert one == memorisation.calibrate(train, train_pixels, seed=4, most=300)
    assert one != memorisation.calibrate(train, train_pixels, seed=5, most=300)


def test_a_dataset_of_one_repeated_image_counts_only_copies():
    pixels = np.repeat(np.random.default_rng(0).integers(0, 256, (1, 28, 28)).astype(np.uint8), 50, axis=0)
    train = memorisation.TrainingSet(pixels)
    calibration = memorisation.calibrate(train, pixels)
    assert calibration.threshold == memorisation.SAME
    assert memorisation.check(pixels[:5], train, calibration).share == 1.0
    assert memorisation.check(noisy(pixels[:5], 30), train, calibration).share == 0.0


def test_most_copied_puts_the_closest_first(digits, digits_check):
    train, calibration = digits_check
    samples = np.concatenate([digits[1][:20], digits[0][5:6], noisy(digits[0][7:8], 10)])
    found = memorisation.check(samples, train, calibration)
    top = found.most_copied(3)
    assert list(top[:2]) == [20, 21]
    assert (np.diff(found.distance[found.most_copied(len(samples))]) >= 0).all()


def test_memory_is_bounded_by_the_block_size(digits):
    train = memorisation.TrainingSet(np.tile(digits[0], (3, 1, 1)))  # 27,000 training images
    queries = digits[1]
    width = memorisation.BLOCK_BYTES // (4 * len(queries))
    assert width < len(train.vectors)  # so it takes several blocks
    found = train.nearest(queries)
    assert found.index.shape == (len(queries),) and np.isfinite(found.distance).all()
