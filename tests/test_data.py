import numpy as np
import pytest

from gan import data


def test_bundled_digits_are_real_mnist():
    bundled = data.load_bundled()
    assert bundled.pixels.shape == (10000, 28, 28) and bundled.pixels.dtype == np.uint8
    assert bundled.labels.shape == (10000,) and set(np.unique(bundled.labels)) == set(range(10))
    assert bundled.source == "bundled" and "10,000" in bundled.description
    # Real MNIST: black background, ink near the centre, roughly 19% of pixels lit.
    assert bundled.pixels[:, 0, :].max() == 0 and 0.1 < (bundled.pixels > 0).mean() < 0.3


def test_damaged_bundle_is_detected(tmp_path, monkeypatch):
    (tmp_path / "digits.npz").write_bytes(data.BUNDLED.read_bytes()[:-10] + b"0123456789")
    (tmp_path / "digits.sha256").write_text((data.ASSETS / "digits.sha256").read_text())
    monkeypatch.setattr(data, "ASSETS", tmp_path)
    monkeypatch.setattr(data, "BUNDLED", tmp_path / "digits.npz")
    with pytest.raises(data.DataUnavailable, match="damaged"):
        data.load_bundled()


def test_mnist_falls_back_to_bundled_when_download_fails(monkeypatch):
    monkeypatch.delenv(data.FORCE_BUNDLED_ENV)

    def offline(name):
        raise data.DataUnavailable("no network")

    monkeypatch.setattr(data, "load_keras", offline)
    assert data.load("mnist").source == "bundled"
    with pytest.raises(data.DataUnavailable, match="no network"):
        data.load("fashion_mnist")


def test_keras_download_failure_becomes_data_unavailable(monkeypatch, tmp_path):
    """The real keras.datasets path, with no network (the autouse fixture blocks it)."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(data.DataUnavailable, match="could not be loaded"):
        data.load_keras("fashion_mnist")


def test_forced_bundled_never_offers_fashion():
    with pytest.raises(data.DataUnavailable, match="not bundled"):
        data.load("fashion_mnist")


def test_image_conversions_round_trip():
    pixels = np.array([[0, 127, 128, 255]], np.uint8).repeat(196, 0).reshape(1, 28, 28)
    images = data.to_images(pixels)
    assert images.shape == (1, 28, 28, 1) and images.dtype == np.float32
    assert images.min() == -1.0 and images.max() == 1.0
    assert np.array_equal(data.to_pixels(images), pixels)
    assert data.to_pixels(np.array([[[[3.0]]]]).repeat(784).reshape(1, 28, 28, 1)).max() == 255


def test_subset_is_seeded():
    bundled = data.load_bundled()
    a, b = data.subset(bundled, 100, 7), data.subset(bundled, 100, 7)
    assert len(a.pixels) == 100 and np.array_equal(a.pixels, b.pixels)
    assert not np.array_equal(a.pixels, data.subset(bundled, 100, 8).pixels)
    assert data.subset(bundled, 10**6, 0) is bundled


@pytest.mark.parametrize("shape", [(5, 28, 28), (5, 32, 32), (5, 32, 32, 3)])
def test_pixels_of_any_shape_make_images_and_back(shape):
    pixels = np.random.default_rng(0).integers(0, 256, shape, dtype=np.uint8)
    images = data.to_images(pixels)
    channels = 1 if len(shape) == 3 else 3
    assert images.shape == (*shape[:3], channels) and images.dtype == np.float32
    assert images.min() >= -1 and images.max() <= 1
    assert np.array_equal(data.to_pixels(images), pixels)
    assert data.to_pixels(np.full((2, 32, 32, 3), 3.0)).max() == 255  # clipped


def test_a_dataset_must_fit_the_models_and_a_conditional_run_needs_classes():
    colour = data.Dataset(np.zeros((4, 32, 32, 3), np.uint8), np.zeros(4, np.uint8), "bundled", ("shapes",))
    assert colour.image_shape == (32, 32, 3)
    data.check_trainable(colour, conditional=False)
    with pytest.raises(data.DataUnfit, match="needs labelled images") as caught:
        data.check_trainable(colour, conditional=True)
    assert caught.value.kind == "data_conditional_unlabelled"
    data.check_trainable(data.Dataset(colour.pixels, colour.labels, "bundled", ("a", "b")), conditional=True)
    big = data.Dataset(np.zeros((4, 64, 64, 3), np.uint8), np.zeros(4, np.uint8), "bundled")
    with pytest.raises(data.DataUnfit, match="64×64×3 pixels; the models are built for 28×28×1, 32×32×1, 32×32×3"):
        data.check_trainable(big, conditional=False)
