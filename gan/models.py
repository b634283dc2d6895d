"""Generator and discriminator builders: two CPU-sized DCGANs, the TensorFlow tutorial's DCGAN
and an MLP GAN, each optionally class-conditional, for the image shapes of data.IMAGE_SHAPES.
Discriminators output logits.

Only built-in Keras layers are used, so saved models load with safe_mode=True and no custom code.
"""

import keras
from keras import layers

from gan.data import IMAGE_SHAPE, IMAGE_SHAPES, N_CLASSES


def check_shape(image_shape) -> tuple[int, int, int]:
    """image_shape as a tuple of IMAGE_SHAPES; ValueError for any other."""
    shape = tuple(int(size) for size in image_shape)
    if shape not in IMAGE_SHAPES:
        raise ValueError(f"image shape {shape} is not one of {', '.join(map(str, IMAGE_SHAPES))}")
    return shape


def _generator_inputs(latent_dim: int, conditional: bool, n_classes: int):
    """(model inputs, the tensor the body starts from): z, or z concatenated with a one-hot label."""
    z = keras.Input((latent_dim,), name="z")
    if not conditional:
        return z, z
    label = keras.Input((), dtype="int32", name="label")
    one_hot = layers.CategoryEncoding(n_classes, output_mode="one_hot", name="label_one_hot")(label)
    return [z, label], layers.Concatenate(name="z_and_label")([z, one_hot])


def _discriminator_head(images, features, conditional: bool, n_classes: int):
    """Logit = w·features (+ embed(label)·features for a projection discriminator, Miyato 2018)."""
    logit = layers.Dense(1, name="logit")(features)
    if not conditional:
        return images, logit
    label = keras.Input((), dtype="int32", name="label")
    embedded = layers.Embedding(n_classes, features.shape[-1], name="label_embedding")(label)
    projection = layers.Dot(axes=1, name="projection")([embedded, features])
    return [images, label], layers.Add(name="conditional_logit")([logit, projection])


def build_generator(architecture: str, latent_dim: int, conditional: bool = False,
                    synchronized: bool = False, image_shape=IMAGE_SHAPE, n_classes: int = N_CLASSES) -> keras.Model:
    """z (batch, latent_dim) [+ label int (batch,) in 0..n_classes-1] -> images float32 (batch,
    *image_shape) in [-1, 1]; image_shape one of data.IMAGE_SHAPES. synchronized: batch norms take their
    statistics over all replicas' shares of a batch (for a tf.distribute strategy), not over this
    replica's."""
    height, width, channels = check_shape(image_shape)
    start = height // 4  # the convolutional generators' first square: two stride-2 upsamplings, 7 -> 28, 8 -> 32
    inputs, h = _generator_inputs(latent_dim, conditional, n_classes)
    if architecture == "dcgan_lean":
        # dcgan_small without its two full-resolution layers (64 -> 32 channels at full size, then a 3x3
        # output conv), where most of its time went on CPUs without AVX-512: 2.2x the images/s at 28x28.
        h = layers.Dense(start * start * 128, use_bias=False)(h)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.ReLU()(h)
        h = layers.Reshape((start, start, 128))(h)
        h = layers.Conv2DTranspose(64, 4, strides=2, padding="same", use_bias=False)(h)  # 7 -> 14 (8 -> 16)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.ReLU()(h)
        images = layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")(h)  # -> 28 (32)
    elif architecture == "dcgan_small":
        h = layers.Dense(start * start * 128, use_bias=False)(h)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.ReLU()(h)
        h = layers.Reshape((start, start, 128))(h)
        for filters in (64, 32):  # 7 -> 14 -> 28 (8 -> 16 -> 32)
            h = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(h)
            h = layers.BatchNormalization(synchronized=synchronized)(h)
            h = layers.ReLU()(h)
        # A last 3x3 convolution at full resolution smooths the transposed convolutions' checkerboard.
        images = layers.Conv2D(channels, 3, padding="same", activation="tanh")(h)
    elif architecture == "dcgan_tutorial":
        h = layers.Dense(start * start * 256, use_bias=False)(h)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.LeakyReLU(0.3)(h)
        h = layers.Reshape((start, start, 256))(h)
        h = layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.LeakyReLU(0.3)(h)
        h = layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False)(h)
        h = layers.BatchNormalization(synchronized=synchronized)(h)
        h = layers.LeakyReLU(0.3)(h)
        images = layers.Conv2DTranspose(channels, 5, strides=2, padding="same", use_bias=False,
                                        activation="tanh")(h)
    elif architecture == "mlp":
        for units in (256, 512, 1024):
            h = layers.Dense(units)(h)
            h = layers.LeakyReLU(0.2)(h)
        h = layers.Dense(height * width * channels, activation="tanh")(h)
        images = layers.Reshape((height, width, channels))(h)
    else:
        raise ValueError(f"unknown architecture {architecture!r}")
    return keras.Model(inputs, images, name="generator")


def build_discriminator(architecture: str, conditional: bool = False, image_shape=IMAGE_SHAPE,
                        n_classes: int = N_CLASSES) -> keras.Model:
    """images (batch, *image_shape) in [-1, 1] [+ label int (batch,) in 0..n_classes-1] -> logits
    (batch, 1); image_shape one of data.IMAGE_SHAPES."""
    images = keras.Input(check_shape(image_shape), name="images")
    if architecture in ("dcgan_small", "dcgan_lean"):
        h = images
        for filters, kernel in ((32, 4), (64, 4), (128, 3)):  # 28 -> 14 -> 7 -> 4 (32 -> 16 -> 8 -> 4)
            h = layers.Conv2D(filters, kernel, strides=2, padding="same")(h)
            h = layers.LeakyReLU(0.2)(h)
        features = layers.Flatten()(h)
    elif architecture == "dcgan_tutorial":
        h = layers.Conv2D(64, 5, strides=2, padding="same")(images)
        h = layers.LeakyReLU(0.3)(h)
        h = layers.Dropout(0.3)(h)
        h = layers.Conv2D(128, 5, strides=2, padding="same")(h)
        h = layers.LeakyReLU(0.3)(h)
        h = layers.Dropout(0.3)(h)
        features = layers.Flatten()(h)
    elif architecture == "mlp":
        h = layers.Flatten()(images)
        for units in (512, 256):
            h = layers.Dense(units)(h)
            h = layers.LeakyReLU(0.2)(h)
        features = h
    else:
        raise ValueError(f"unknown architecture {architecture!r}")
    inputs, logits = _discriminator_head(images, features, conditional, n_classes)
    return keras.Model(inputs, logits, name="discriminator")
