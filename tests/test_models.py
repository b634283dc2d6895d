import numpy as np
import pytest

from gan import config, models


@pytest.mark.parametrize("architecture", config.ARCHITECTURES)
@pytest.mark.parametrize("conditional", [False, True])
def test_shapes_and_ranges(architecture, conditional):
    generator = models.build_generator(architecture, 8, conditional)
    discriminator = models.build_discriminator(architecture, conditional)
    z = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    labels = np.arange(5, dtype=np.int32)
    images = np.asarray(generator([z, labels] if conditional else z, training=False))
    assert images.shape == (5, 28, 28, 1)
    assert images.min() >= -1.0 and images.max() <= 1.0
    logits = np.asarray(discriminator([images, labels] if conditional else images, training=False))
    assert logits.shape == (5, 1) and np.isfinite(logits).all()


def test_discriminator_outputs_logits_not_probabilities():
    discriminator = models.build_discriminator("mlp")
    assert discriminator.layers[-1].get_config().get("activation") in (None, "linear")


def test_conditional_generator_uses_the_label():
    generator = models.build_generator("dcgan_small", 8, conditional=True)
    z = np.zeros((2, 8), np.float32)
    out = np.asarray(generator([z, np.array([0, 7], np.int32)], training=False))
    assert not np.allclose(out[0], out[1])


def test_unknown_architecture():
    with pytest.raises(ValueError, match="unknown architecture"):
        models.build_generator("resnet", 8)
