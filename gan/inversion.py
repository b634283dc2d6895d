"""GAN inversion: the latent point whose digit is closest to a given one, found by gradient descent
on z through the frozen generator (the "find it in the generator's imagination" of the Sample page)."""

import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from gan import sampling

PRIOR_WEIGHT = 0.01  # keeps z near the sphere the generator was trained on (|z|² ≈ latent_dim)
CHUNK = 10  # Adam steps per call into the compiled graph: the progress bar moves this often
BETAS, EPSILON = (0.9, 0.999), 1e-7  # Adam's, as Keras sets them

_compiled: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # generator -> its compiled chunk
_compiling = threading.Lock()


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
    follows the descent, for a progress bar (called after every step, CHUNK steps at a time)."""
    import tensorflow as tf

    chunk = _chunk_for(generator)
    goal = tf.constant(target.astype(np.float32).reshape(1, *sampling.image_shape(generator)) / 127.5 - 1.0)
    labels = tf.fill([starts], digit if digit is not None else 0)
    z = tf.constant(sampling.latents(generator, starts, seed))
    moments = (tf.zeros_like(z), tf.zeros_like(z))
    history: list[float] = []
    while len(history) < steps:
        n = min(CHUNK, steps - len(history))
        z, moments, best = chunk(z, moments, tf.constant(len(history), tf.float32), goal, labels,
                                 tf.constant(learning_rate, tf.float32), tf.constant(n))
        for value in best.numpy():
            history.append(float(value))
            if on_step is not None:
                on_step(len(history), steps, history[-1])
    final = _distances(generator, z, labels, goal).numpy()
    best_start = int(np.argmin(final))
    z_best = z.numpy()[best_start]
    chosen = labels.numpy()[best_start:best_start + 1] if sampling.is_conditional(generator) else None
    pixels = sampling.generate(generator, z_best[None, :], chosen)[0]
    return Inversion(z_best.astype(np.float32), pixels, float(final[best_start]), history)


def _chunk_for(generator):
    """The generator's compiled run of Adam steps, traced once per generator (and batch of starts)
    and kept while the generator lives. It holds no state of its own (z and Adam's moments go in and
    come out), so visitors searching with one generator at once do not disturb each other."""
    import tensorflow as tf

    with _compiling:
        if generator in _compiled:
            return _compiled[generator]
        dim = float(sampling.latent_dim(generator))

        @tf.function(reduce_retracing=True)
        def chunk(z, moments, done, goal, labels, learning_rate, n):
            m, v = moments
            best = tf.TensorArray(tf.float32, size=n)
            for i in tf.range(n):
                with tf.GradientTape() as tape:
                    tape.watch(z)
                    each = _distances(generator, z, labels, goal)
                    prior = tf.square(tf.reduce_sum(tf.square(z), axis=1) / dim - 1.0)
                    loss = tf.reduce_sum(tf.square(each) + PRIOR_WEIGHT * prior)
                gradient = tape.gradient(loss, z)
                t = done + tf.cast(i, tf.float32) + 1.0
                m = BETAS[0] * m + (1 - BETAS[0]) * gradient
                v = BETAS[1] * v + (1 - BETAS[1]) * tf.square(gradient)
                step = learning_rate * tf.sqrt(1 - BETAS[1] ** t) / (1 - BETAS[0] ** t)
                z = z - step * m / (tf.sqrt(v) + EPSILON)
                best = best.write(i, tf.reduce_min(each))  # before this step's move, as Keras' loop reported it
            return z, (m, v), best.stack()

        _compiled[generator] = chunk
        return chunk


def _distances(generator, z, labels, goal):
    """RMS difference from goal (1, h, w, channels) in [0, 1] pixel units, one per latent point z (n, latent_dim)."""
    import tensorflow as tf

    images = generator([z, labels] if sampling.is_conditional(generator) else z, training=False)
    return tf.sqrt(tf.reduce_mean(tf.square((images - goal) / 2.0), axis=[1, 2, 3]))
