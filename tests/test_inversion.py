"""GAN inversion finds a generator's own digit again, and follows its descent for a progress bar."""

import threading

import numpy as np
import pytest

from gan import inversion, sampling


@pytest.fixture(scope="module")
def generator():
    return sampling.load_generator(sampling.PRETRAINED / "generator.keras")


def rms(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(((a.astype(float) - b.astype(float)) / 255.0) ** 2)))


def test_a_digit_the_generator_drew_is_found_again_far_closer_than_a_random_one(generator):
    target = sampling.sample(generator, 1, seed=5, digit=7)[0]
    stranger = sampling.sample(generator, 1, seed=6, digit=7)[0]
    seen = []
    found = inversion.invert(generator, target, digit=7, steps=150, starts=4, seed=1,
                             on_step=lambda step, steps, best: seen.append((step, steps, best)))
    assert found.z.shape == (sampling.latent_dim(generator),) and found.z.dtype == np.float32
    assert found.pixels.shape == (28, 28) and found.pixels.dtype == np.uint8
    assert found.distance == pytest.approx(rms(found.pixels, target), abs=0.01)  # what it reports is what it drew
    assert found.distance < 0.5 * rms(stranger, target)
    assert [s for s, _, _ in seen] == list(range(1, 151)) and seen[-1][2] == found.history[-1]
    assert found.history[-1] < found.history[0]


def test_the_descent_is_seeded(generator):
    target = sampling.sample(generator, 1, seed=8, digit=2)[0]
    runs = [inversion.invert(generator, target, digit=2, steps=20, starts=2, seed=3) for _ in range(2)]
    assert np.array_equal(runs[0].z, runs[1].z) and runs[0].distance == runs[1].distance


def test_a_colour_image_is_inverted_in_colour(colour_run):
    colour = sampling.load_generator(colour_run / "generator.keras")
    target = sampling.sample(colour, 1, seed=5, digit=1)[0]
    found = inversion.invert(colour, target, digit=1, steps=20, starts=2, seed=1)
    assert found.z.shape == (sampling.latent_dim(colour),)
    assert found.pixels.shape == (32, 32, 3) and found.pixels.dtype == np.uint8
    assert found.distance == pytest.approx(rms(found.pixels, target), abs=0.01)  # measured on all three channels


def test_searches_sharing_a_generator_at_once_find_what_each_finds_alone(generator):
    digits = (3, 8)
    targets = [sampling.sample(generator, 1, seed=11 + i, digit=d)[0] for i, d in enumerate(digits)]
    alone = [inversion.invert(generator, targets[i], digit=d, steps=30, starts=2) for i, d in enumerate(digits)]
    together = [None, None]

    def search(i: int, digit: int) -> None:
        together[i] = inversion.invert(generator, targets[i], digit=digit, steps=30, starts=2)

    workers = [threading.Thread(target=search, args=(i, d)) for i, d in enumerate(digits)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    for one, other in zip(alone, together, strict=True):
        assert np.allclose(one.z, other.z, atol=1e-5) and one.history == pytest.approx(other.history, abs=1e-6)
