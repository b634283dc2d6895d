"""The latent map: a 2-D slice of a generator's latent space through two samples."""

import numpy as np
import pytest

from gan import sampling


@pytest.fixture(scope="module")
def generator():
    return sampling.load_generator(sampling.PRETRAINED / "generator.keras")


def test_the_maps_middle_row_runs_from_sample_a_to_sample_b(generator):
    side = 5
    grid = sampling.latent_map(generator, 11, 22, 33, side, digit=3)
    assert grid.shape == (side * side, 28, 28) and grid.dtype == np.uint8
    middle = grid[(side // 2) * side:(side // 2 + 1) * side]
    a, b = (sampling.generate(generator, sampling.latents(generator, 1, seed), np.array([3])) for seed in (11, 22))
    assert np.abs(middle[0].astype(int) - a[0]).max() <= 1 and np.abs(middle[-1].astype(int) - b[0]).max() <= 1
    assert np.array_equal(middle, sampling.latent_map(generator, 11, 22, 33, side, digit=3)[10:15])  # seeded


def test_the_rows_off_the_line_are_other_digits_and_seed_c_picks_the_direction(generator):
    grid = sampling.latent_map(generator, 11, 22, 33, 5, digit=3).astype(int)
    other = sampling.latent_map(generator, 11, 22, 44, 5, digit=3).astype(int)
    assert np.abs(grid[:5] - grid[10:15]).mean() > 1  # the top row is not the walk
    assert np.array_equal(grid[10:15], other[10:15])  # the walk itself does not depend on C
    assert np.abs(grid[:5] - other[:5]).mean() > 1


def test_a_walk_runs_from_one_latent_point_to_another(generator):
    a, b = sampling.latents(generator, 2, seed=4)
    frames = sampling.walk(generator, a, b, 6, digit=5)
    assert frames.shape == (6, 28, 28)
    ends = sampling.generate(generator, np.stack([a, b]), np.array([5, 5]))
    assert np.abs(frames[0].astype(int) - ends[0]).max() <= 1 and np.abs(frames[-1].astype(int) - ends[1]).max() <= 1
    assert np.array_equal(sampling.interpolate(generator, 1, 2, 4, 5),
                          sampling.walk(generator, *(sampling.latents(generator, 1, s)[0] for s in (1, 2)), 4, 5))


def test_a_colour_generator_samples_walks_and_maps_in_colour_cycling_its_classes(colour_run):
    generator = sampling.load_generator(colour_run / "generator.keras")
    assert sampling.n_classes(generator) == 3 and sampling.image_shape(generator) == (32, 32, 3)
    assert sampling.class_names(generator, ("square", "disc", "bar")) == ("square", "disc", "bar")
    assert sampling.class_names(generator, ("a", "b")) == ("0", "1", "2")  # names that do not fit are not used
    assert list(sampling.cycled_labels(generator, 7)) == [0, 1, 2, 0, 1, 2, 0]
    drawn = sampling.sample(generator, 6, seed=1)
    assert drawn.shape == (6, 32, 32, 3) and drawn.dtype == np.uint8
    z = sampling.latents(generator, 6, seed=1)
    assert np.array_equal(drawn, sampling.generate(generator, z, np.array([0, 1, 2, 0, 1, 2])))
    assert not np.array_equal(drawn, sampling.generate(generator, z, np.zeros(6, np.int32)))
    assert sampling.walk(generator, z[0], z[1], 4, digit=2).shape == (4, 32, 32, 3)
    assert sampling.latent_map(generator, 1, 2, 3, 3).shape == (9, 32, 32, 3)
    assert sampling.generate(generator, z[:0]).shape == (0, 32, 32, 3)


def test_the_digit_generator_has_ten_classes(generator):
    assert sampling.n_classes(generator) == 10 and sampling.class_names(generator) == tuple("0123456789")
    assert sampling.generate(generator, np.zeros((0, sampling.latent_dim(generator)), np.float32)).shape == (0, 28, 28)
