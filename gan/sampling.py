"""Drawing images from a saved generator: loading it safely, sampling with a seed, interpolating.
Pixels are uint8 (n, height, width) for a grey generator, (n, height, width, 3) for a colour one."""

import os
import zipfile
from pathlib import Path

import numpy as np

from gan import data
from gan.errors import UserError

PRETRAINED = data.ASSETS / "pretrained"  # the bundled run: a dcgan_small generator and its history


class GeneratorError(UserError, RuntimeError):
    """A generator file that is missing, damaged or not a generator; its kind says which."""


def load_generator(path: str | os.PathLike):
    """The Keras generator in `path` (a .keras file), loaded with safe_mode=True."""
    import keras

    path = Path(path)
    if not path.is_file():
        raise GeneratorError("generator_missing", path=path)
    if not zipfile.is_zipfile(path):
        raise GeneratorError("generator_not_keras", path=path)
    try:
        model = keras.models.load_model(path, safe_mode=True, compile=False)
    except Exception as error:  # Keras raises many types for a bad archive; all mean "unusable"
        raise GeneratorError("generator_unloadable", error, path=path) from error
    if model.output_shape[1:] not in data.IMAGE_SHAPES or len(model.inputs) not in (1, 2):
        raise GeneratorError("generator_not_digits", path=path, shape=model.output_shape)
    return model


def latent_dim(generator) -> int:
    return int(generator.inputs[0].shape[-1])


def is_conditional(generator) -> bool:
    return len(generator.inputs) == 2


def image_shape(generator) -> tuple[int, int, int]:
    """(height, width, channels) of the generator's images."""
    return tuple(int(size) for size in generator.output_shape[1:])


def n_classes(generator) -> int:
    """How many classes a conditional generator draws (the width of its one-hot label; the ten digits
    for a generator without one); 1 for an unconditional one."""
    if not is_conditional(generator):
        return 1
    for layer in generator.layers:
        if isinstance(getattr(layer, "num_tokens", None), int):  # models.py's label_one_hot
            return layer.num_tokens
    return data.N_CLASSES


def class_names(generator, recorded: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The names of a conditional generator's classes in label order: its run's recorded names
    (runs.Status.class_names) when they are as many, else its label numbers '0', '1', …; () for
    an unconditional generator."""
    if not is_conditional(generator):
        return ()
    count = n_classes(generator)
    return tuple(recorded) if recorded and len(recorded) == count else tuple(str(label) for label in range(count))


def cycled_labels(generator, n: int, label: int | None = None) -> np.ndarray | None:
    """int (n,) labels for a conditional generator: `label` throughout, or its classes 0, 1, … in
    turn; None for an unconditional one."""
    if not is_conditional(generator):
        return None
    return np.full(n, label, np.int32) if label is not None else np.arange(n, dtype=np.int32) % n_classes(generator)


def latents(generator, n: int, seed: int) -> np.ndarray:
    """float32 (n, latent_dim) standard normal points, fixed by seed."""
    return np.random.default_rng(seed).standard_normal((n, latent_dim(generator))).astype(np.float32)


def generate(generator, z: np.ndarray, labels: np.ndarray | None = None, batch_size: int = 500) -> np.ndarray:
    """uint8 pixels (n, height, width[, 3]) for latent points z (n, latent_dim) and, if conditional,
    labels (n,) (default: its classes in turn)."""
    if is_conditional(generator) and labels is None:
        labels = cycled_labels(generator, len(z))
    out = []
    for start in range(0, len(z), batch_size):
        chunk = z[start:start + batch_size]
        inputs = [chunk, labels[start:start + batch_size].astype(np.int32)] if is_conditional(generator) else chunk
        out.append(data.to_pixels(generator(inputs, training=False)))
    return np.concatenate(out) if out else data.to_pixels(np.zeros((0, *image_shape(generator)), np.float32))


def sample(generator, n: int, seed: int, digit: int | None = None) -> np.ndarray:
    """uint8 (n, height, width[, 3]): n images for a seed; a conditional generator draws class
    `digit` (or its classes in turn)."""
    return generate(generator, latents(generator, n, seed), cycled_labels(generator, n, digit))


def interpolate(generator, seed_a: int, seed_b: int, steps: int, digit: int | None = None) -> np.ndarray:
    """uint8 (steps, height, width[, 3]): images along the great circle (slerp) between two seeds' latents."""
    return walk(generator, latents(generator, 1, seed_a)[0], latents(generator, 1, seed_b)[0], steps, digit)


def walk(generator, a: np.ndarray, b: np.ndarray, steps: int, digit: int | None = None) -> np.ndarray:
    """uint8 (steps, height, width[, 3]): images along the great circle (slerp) from latent point a
    to b, both (latent_dim,); a conditional generator draws class `digit` (0 if None) all the way."""
    omega = np.arccos(np.clip(np.dot(a / np.linalg.norm(a), b / np.linalg.norm(b)), -1.0, 1.0))
    t = np.linspace(0.0, 1.0, steps)[:, None]
    # slerp keeps the points at the norm the generator saw in training; lerp if a and b align
    z = ((1 - t) * a + t * b if omega < 1e-6
         else (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega))
    return generate(generator, z.astype(np.float32), cycled_labels(generator, steps, digit or 0))


def latent_map(generator, seed_a: int, seed_b: int, seed_c: int, side: int, digit: int | None = None) -> np.ndarray:
    """uint8 (side * side, height, width[, 3]), row by row: a 2-D slice of latent space as a side x side grid.

    The slice is the plane through seed A's and seed B's latent points, widened by the direction
    toward seed C's point (made perpendicular to A->B). Its middle row runs from A on the left to B
    on the right, and the rows above and below step off that line by up to half of A->B's length.
    Each point is put back at the length of its interpolation between |a| and |b|: a generator only
    saw points near that sphere, and the middle of a flat plane would fall inside it.
    """
    a, b, c = (latents(generator, 1, seed)[0].astype(np.float64) for seed in (seed_a, seed_b, seed_c))
    along = b - a
    length = float(np.linalg.norm(along)) or 1.0
    across = (c - a) - np.dot(c - a, along) / length**2 * along
    across /= np.linalg.norm(across) or 1.0
    x = np.linspace(0.0, 1.0, side)
    y = np.linspace(0.5, -0.5, side)  # top row first
    xx, yy = np.meshgrid(x, y)
    z = a + xx.reshape(-1, 1) * along + (yy.reshape(-1, 1) * length) * across
    radius = (1 - xx.reshape(-1, 1)) * np.linalg.norm(a) + xx.reshape(-1, 1) * np.linalg.norm(b)
    z = z / np.linalg.norm(z, axis=1, keepdims=True) * radius
    return generate(generator, z.astype(np.float32), cycled_labels(generator, len(z), digit or 0))
