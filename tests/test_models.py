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


@pytest.mark.parametrize("architecture", config.ARCHITECTURES)
@pytest.mark.parametrize("image_shape", [(32, 32, 1), (32, 32, 3)])
@pytest.mark.parametrize("conditional", [False, True])
def test_models_take_their_image_shape_and_class_count_from_the_data(architecture, image_shape, conditional):
    generator = models.build_generator(architecture, 8, conditional, image_shape=image_shape, n_classes=3)
    discriminator = models.build_discriminator(architecture, conditional, image_shape, n_classes=3)
    z = np.random.default_rng(0).standard_normal((4, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 2], np.int32)
    images = generator([z, labels] if conditional else z, training=False)
    assert images.shape == (4, *image_shape) and images.dtype == "float32"
    images = np.asarray(images)
    assert images.min() >= -1.0 and images.max() <= 1.0 and images.std() > 0
    logits = np.asarray(discriminator([images, labels] if conditional else images, training=False))
    assert logits.shape == (4, 1) and np.isfinite(logits).all()
    if conditional:
        assert generator.get_layer("label_one_hot").num_tokens == 3
        assert discriminator.get_layer("label_embedding").input_dim == 3


def test_colour_changes_the_first_and_last_layers_only_and_28_pixels_keep_every_layer():
    """A 32x32x3 generator differs from the grey 28x28 one in its first block (a larger start square:
    the dense layer and its batch norm) and its last layer (three channels); the 28x28 default builds
    what checkpoints hold."""
    grey = models.build_generator("dcgan_lean", 8, image_shape=(28, 28, 1))
    default = models.build_generator("dcgan_lean", 8)
    colour = models.build_generator("dcgan_lean", 8, image_shape=(32, 32, 3))
    assert [w.shape for w in grey.weights] == [w.shape for w in default.weights]
    assert [type(layer) for layer in grey.layers] == [type(layer) for layer in colour.layers]
    changed = [i for i, (a, b) in enumerate(zip(grey.weights, colour.weights, strict=True)) if a.shape != b.shape]
    assert changed == [0, 1, 2, 3, 4, len(grey.weights) - 2, len(grey.weights) - 1]
    assert colour.weights[0].shape == (8, 8 * 8 * 128) and colour.weights[-2].shape == (4, 4, 3, 64)


@pytest.mark.parametrize("image_shape", [(28, 28, 3), (64, 64, 3), (32, 32, 4)])
def test_other_image_shapes_are_refused(image_shape):
    with pytest.raises(ValueError, match="is not one of"):
        models.build_generator("dcgan_lean", 8, image_shape=image_shape)
    with pytest.raises(ValueError, match="is not one of"):
        models.build_discriminator("mlp", image_shape=image_shape)
