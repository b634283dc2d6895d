"""GAN inversion: the latent point whose digit is closest to a given one, found by gradient descent
on z through the frozen generator (the "find it in the generator's imagination" of the Sample page)."""

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gan import sampling

PRIOR_WEIGHT = 0.01  # keeps z near the sphere the generator was trained on (|z|² ≈ latent_dim)


@dataclass(frozen=True)
class Inversion:
    """z: float32 (latent_dim,); pixels: uint8 (h, w[, 3]), the generator's image at z; distance: the
    root mean square difference from the target, pixels in [0, 1] (0: the same image, about 0.3:
    unrelated digits); history: the best distance after each step."""

    z: np.ndarray
    pixels: np.ndarray
    distance: float
    history: list[float]


def invert(generator, target: np.ndarray, digit: int | None = None, steps: int = 200, starts: int = 8,
           seed: int = 0, learning_rate: float = 0.05,
           on_step: Callable[[int, int, float], None] | None = None) -> Inversion:
    """Descend from `starts` seeded random points at once and keep the best. target: uint8 pixels of
    the generator's shape, (h, w) grey or (h, w, 3) colour.
    A conditional generator is asked for `digit` (0 if None). on_step(step, steps, best distance)
    follows the descent, for a progress bar."""
    import tensorflow as tf

    goal = tf.constant(target.astype(np.float32).reshape(1, *sampling.image_shape(generator)) / 127.5 - 1.0)
    z = tf.Variable(sampling.latents(generator, starts, seed))
    labels = tf.fill([starts], digit if digit is not None else 0) if sampling.is_conditional(generator) else None
    optimizer = tf.keras.optimizers.Adam(learning_rate)
    dim = float(sampling.latent_dim(generator))

    def distances(images):  # RMS difference in [0, 1] pixel units, one per start
        return tf.sqrt(tf.reduce_mean(tf.square((images - goal) / 2.0), axis=[1, 2, 3]))

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            images = generator(_inputs(z, labels), training=False)
            each = distances(images)
            prior = tf.square(tf.reduce_sum(tf.square(z), axis=1) / dim - 1.0)
            loss = tf.reduce_sum(tf.square(each) + PRIOR_WEIGHT * prior)
        optimizer.apply_gradients([(tape.gradient(loss, z), z)])
        return each

    history = []
    for n in range(steps):
        history.append(float(tf.reduce_min(step())))
        if on_step is not None:
            on_step(n + 1, steps, history[-1])
    final = distances(generator(_inputs(z, labels), training=False)).numpy()
    best = int(np.argmin(final))
    z_best = z.numpy()[best]
    pixels = sampling.generate(generator, z_best[None, :], None if labels is None else np.array([labels[best]]))[0]
    return Inversion(z_best.astype(np.float32), pixels, float(final[best]), history)


def _inputs(z, labels):
    """The generator's inputs for latent points z (and labels, if conditional)."""
    return [z, labels] if labels is not None else z
