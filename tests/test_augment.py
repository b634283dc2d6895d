"""Differentiable augmentation: shapes, ranges and dtypes kept, random per image and per draw yet
fixed by the seed, exact shifts and cut squares, gradients to the input, and the same under XLA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan import augment, config

POLICIES = [policy for policy in config.AUGMENTS if policy != "off"]
SHAPES = [(28, 28, 1), (32, 32, 3), (32, 32, 1)]


def images(shape, n=8, seed=0) -> tf.Tensor:
    return tf.constant(np.random.default_rng(seed).uniform(-1, 1, (n, *shape)).astype(np.float32))


def augmented(policy: str, x: tf.Tensor, seed: int = 0) -> tf.Tensor:
    operations = augment.parse(policy)
    return augment.apply(x, operations, augment.draw(operations, x.shape[0], keras.random.SeedGenerator(seed)))


def test_policies_parse_to_operations_in_a_fixed_order():
    assert augment.parse("off") == ()
    assert augment.parse("translation,cutout") == ("translation", "cutout")
    assert augment.parse("color,translation,cutout") == augment.OPERATIONS
    assert all(set(augment.parse(policy)) <= set(augment.OPERATIONS) for policy in config.AUGMENTS)


def test_off_is_the_identity():
    x = images((28, 28, 1))
    assert augment.apply(x, (), augment.draw((), 8, keras.random.SeedGenerator(0))) is x


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("policy", POLICIES)
def test_shape_dtype_and_range_are_kept(policy, shape):
    x = images(shape)
    y = augmented(policy, x)
    assert y.shape == x.shape and y.dtype == tf.float32
    assert float(tf.reduce_min(y)) >= -1.0 and float(tf.reduce_max(y)) <= 1.0
    assert not np.array_equal(y.numpy(), x.numpy())


@pytest.mark.parametrize("policy", POLICIES)
def test_each_image_and_each_draw_is_changed_differently_and_the_seed_fixes_all(policy):
    x = tf.repeat(images((28, 28, 1), n=1), 8, axis=0)  # one image, eight times
    operations = augment.parse(policy)
    seed = keras.random.SeedGenerator(3)
    first, second = (augment.apply(x, operations, augment.draw(operations, 8, seed)).numpy() for _ in range(2))
    assert len({row.tobytes() for row in first}) > 1  # per image
    assert not np.array_equal(first, second)  # per draw (each step draws again)
    again = keras.random.SeedGenerator(3)
    assert np.array_equal(first, augment.apply(x, operations, augment.draw(operations, 8, again)).numpy())
    other = keras.random.SeedGenerator(4)
    assert not np.array_equal(first, augment.apply(x, operations, augment.draw(operations, 8, other)).numpy())


def test_translation_shifts_by_whole_pixels_and_fills_with_grey():
    x = images((28, 28, 1), n=2)
    # Largest shift 4 (1/8 of 28); the numbers pick (shift rows, shift columns) = (+4, 0) and (-4, +2).
    numbers = tf.constant([[0.99, 0.5], [0.0, 6.5 / 9]])
    y = augment.apply(x, ("translation",), numbers).numpy()
    expected = np.zeros_like(x.numpy())
    expected[0, 4:] = x.numpy()[0, :-4]
    expected[1, :-4, 2:] = x.numpy()[1, 4:, :-2]
    assert np.array_equal(y, expected)


def test_cutout_blanks_a_square_of_half_the_side_even_at_the_edge():
    x = tf.ones((2, 28, 28, 3))
    y = augment.apply(x, ("cutout",), tf.constant([[0.5, 0.5], [0.0, 0.99]])).numpy()
    blank = np.argwhere(y[0, :, :, 0] == 0)
    assert len(blank) == 14 * 14 and (blank.min(0) == 7).all() and (blank.max(0) == 20).all()
    assert (y[0] == 0).all(axis=-1).sum() == 14 * 14  # every channel of those pixels
    corner = np.argwhere(y[1, :, :, 0] == 0)  # centred at row 0, column 28: a quarter of it inside
    assert len(corner) == 7 * 7 and (corner.min(0) == [0, 21]).all()


def test_color_changes_saturation_only_for_colour_images():
    operations = ("color",)
    low, high = tf.constant([[0.5, 0.1, 0.5]]), tf.constant([[0.5, 0.9, 0.5]])  # only saturation differs
    grey = images((28, 28, 1), n=1)
    assert np.array_equal(augment.apply(grey, operations, low).numpy(), augment.apply(grey, operations, high).numpy())
    colour = images((32, 32, 3), n=1)
    assert not np.allclose(augment.apply(colour, operations, low), augment.apply(colour, operations, high))
    assert np.allclose(augment.apply(colour, operations, tf.constant([[0.5, 0.5, 0.5]])), colour, atol=1e-6)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("policy", POLICIES)
def test_gradients_reach_the_input(policy, shape):
    x = tf.Variable(images(shape) * 0.5)  # inside the range: colour's clipping leaves most pixels' gradient
    weights = images(shape, seed=1)
    with tf.GradientTape() as tape:
        loss = tf.reduce_sum(augmented(policy, x) * weights)
    gradient = tape.gradient(loss, x)
    assert gradient is not None and np.isfinite(gradient.numpy()).all()
    assert (np.abs(gradient.numpy()).reshape(len(weights), -1).max(axis=1) > 0).all()  # every image's


def test_a_shifted_pixel_gets_the_gradient_of_where_it_went():
    x = tf.Variable(images((28, 28, 1), n=1))
    with tf.GradientTape() as tape:
        y = augment.apply(x, ("translation",), tf.constant([[0.99, 0.5]]))  # down 4 rows
        loss = y[0, 10, 5, 0] * 3.0
    gradient = tape.gradient(loss, x).numpy()
    assert gradient[0, 6, 5, 0] == 3.0 and np.count_nonzero(gradient) == 1


@pytest.mark.parametrize("jit_compile", [False, True])
def test_compiled_augmentation_equals_eager(jit_compile):
    x, numbers = images((32, 32, 3)), tf.random.stateless_uniform((8, 7), (1, 2))
    operations = augment.parse("color,translation,cutout")
    compiled = tf.function(lambda a, b: augment.apply(a, operations, b), jit_compile=jit_compile)
    assert np.allclose(compiled(x, numbers), augment.apply(x, operations, numbers), atol=1e-5)
