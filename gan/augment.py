"""Differentiable augmentation (DiffAugment, Zhao et al. 2020): colour, translation and cutout applied
alike to the real images and the fakes D sees, so a D trained on few images cannot memorise them."""

import keras
import tensorflow as tf

OPERATIONS = ("color", "translation", "cutout")  # the order they are applied in, whatever the policy's
# Uniform numbers each operation takes per image: brightness, saturation, contrast; vertical and
# horizontal shift; the cut square's centre row and column.
DRAWS = {"color": 3, "translation": 2, "cutout": 2}
TRANSLATION = 0.125  # largest shift, as a share of the side (DiffAugment's)
CUTOUT = 0.5  # side of the cut square, as a share of the image's side (DiffAugment's)


def parse(policy: str) -> tuple[str, ...]:
    """A policy string ("off", "translation,cutout", …) -> its operations in OPERATIONS' order; ()
    for "off". Config validation has already refused anything outside config.AUGMENTS."""
    named = set(policy.split(",")) - {"off"}
    return tuple(operation for operation in OPERATIONS if operation in named)


def draw(operations: tuple[str, ...], size: int, seed) -> tf.Tensor:
    """The uniform [0, 1) numbers that fix `size` images' augmentations: float32 (size, K), one row
    per image, from seed (a keras.random.SeedGenerator, so a run's augmentations follow its seed)."""
    return keras.random.uniform((size, sum(DRAWS[operation] for operation in operations)), seed=seed)


def apply(images: tf.Tensor, operations: tuple[str, ...], numbers: tf.Tensor) -> tf.Tensor:
    """images float (b, H, W, C) in [-1, 1], augmented per image as numbers (b, K) from draw() say:
    same shape, dtype and range, and differentiable with respect to images (so G learns through it).
    Emptied pixels (shifted in, cut out) are 0, mid-grey, as in DiffAugment."""
    column = 0
    for operation in operations:
        count = DRAWS[operation]
        images = FUNCTIONS[operation](images, tf.cast(numbers[:, column:column + count], images.dtype))
        column += count
    return images


def color(images: tf.Tensor, numbers: tf.Tensor) -> tf.Tensor:
    """Brightness ± 0.5, saturation × 0..2 (colour images only: grey ones have none) and contrast ×
    0.5..1.5, then clipped back to [-1, 1]: D is never shown values that G's tanh cannot make."""
    brightness, saturation, contrast = (tf.reshape(numbers[:, i], (-1, 1, 1, 1)) for i in range(3))
    images = images + (brightness - 0.5)
    if images.shape[-1] == 3:
        grey = tf.reduce_mean(images, axis=-1, keepdims=True)
        images = (images - grey) * (2.0 * saturation) + grey
    mean = tf.reduce_mean(images, axis=[1, 2, 3], keepdims=True)
    images = (images - mean) * (contrast + 0.5) + mean
    return tf.clip_by_value(images, -1.0, 1.0)


def _shift_matrices(numbers: tf.Tensor, side: int) -> tf.Tensor:
    """(b, side, side) 0/1 matrices that move rows by a whole number of pixels in
    [-s, s], s = TRANSLATION × side: row i of the result is row i - shift of the input, or zeros."""
    largest = int(side * TRANSLATION + 0.5)
    shifts = tf.cast(tf.floor(numbers * (2 * largest + 1)), tf.int32) - largest
    sources = tf.range(side)[None, :] - shifts[:, None]  # out-of-range rows: one_hot gives zeros
    return tf.one_hot(sources, side, dtype=numbers.dtype)


def translation(images: tf.Tensor, numbers: tf.Tensor) -> tf.Tensor:
    """Each image shifted by up to 1/8 of its height and width, as a product with 0/1 matrices:
    no gathers, so XLA compiles it and gradients reach every pixel that stays in view."""
    rows = _shift_matrices(numbers[:, 0], images.shape[1])
    columns = _shift_matrices(numbers[:, 1], images.shape[2])
    images = tf.einsum("bhk,bkwc->bhwc", rows, images)
    return tf.einsum("bwk,bhkc->bhwc", columns, images)


def _covered(numbers: tf.Tensor, side: int) -> tf.Tensor:
    """(b, side) booleans: the rows (or columns) a square of side CUTOUT × side centred at a
    random row covers; near the edge, part of the square lies outside the image."""
    size = int(side * CUTOUT + 0.5)
    centres = tf.cast(tf.floor(numbers * (side + 1 - size % 2)), tf.int32)
    first = centres - size // 2
    index = tf.range(side)[None, :]
    return (index >= first[:, None]) & (index < first[:, None] + size)


def cutout(images: tf.Tensor, numbers: tf.Tensor) -> tf.Tensor:
    """Each image with a square of half its side set to 0, at a random place."""
    rows = _covered(numbers[:, 0], images.shape[1])
    columns = _covered(numbers[:, 1], images.shape[2])
    cut = rows[:, :, None, None] & columns[:, None, :, None]
    return images * tf.cast(~cut, images.dtype)


FUNCTIONS = {"color": color, "translation": translation, "cutout": cutout}
