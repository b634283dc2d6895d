"""The random-feature distance: a fixed, seeded, randomly initialised small CNN (NumPy only) maps
images of any size, grey or colour, to features, and the Fréchet distance compares their statistics.

It knows nothing about digits or any other subject: it compares textures and layout (edges,
blobs, colours and where they sit), not meaning. Lower is closer. Its values compare only between
runs on the same data at the same sample size."""

import functools
from dataclasses import dataclass

import numpy as np

from gan import quality

SEED = 20261203  # the network's weights: the same from this seed on every machine and every run
WIDTHS = (16, 32, 64)  # channels of the three 3 x 3, stride-2 convolutions
BATCH = 256  # images per pass: keeps the largest unfolded layer near 40 MB for 32 x 32 colour
MIN_SCALE = 0.1  # no feature is scaled by less than this share of the median feature's spread
REFERENCE_IMAGES = 10_000  # training images the real statistics come from (a random subset beyond)


@functools.cache
def weights(channels: int) -> tuple[np.ndarray, ...]:
    """The network's kernels for `channels` (1 grey, 3 colour) input channels: float32
    (in * 9, out) per layer, rows in (channel, row, column) order, He-scaled normal draws. Half
    of the first layer's kernels sum to zero over each channel's 3 x 3 window: they see edges and
    texture only (a blur shows), while the other half also see brightness and colour.

    NumPy's legacy RandomState is used on purpose: its streams are frozen by NumPy's compatibility
    policy (NEP 19), whereas Generator streams may change between versions.
    """
    state = np.random.RandomState([SEED, channels])
    kernels, fan_in = [], channels
    for width in WIDTHS:
        kernel = state.standard_normal((fan_in, 9, width)) * np.sqrt(2.0 / (9 * fan_in))
        if not kernels:
            edges = kernel[:, :, : width // 2]
            edges -= edges.mean(axis=1, keepdims=True)
        kernels.append(kernel.reshape(fan_in * 9, width).astype(np.float32))
        fan_in = width
    return tuple(kernels)


def _conv(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """A 3 x 3 convolution with stride 2 and one pixel of zero padding, then ReLU:
    float32 (n, h, w, c) -> (n, ceil(h / 2), ceil(w / 2), out)."""
    padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(padded, (3, 3), axis=(1, 2))[:, ::2, ::2]
    n, h, w = windows.shape[:3]  # windows: (n, h, w, c, 3, 3)
    return np.maximum(windows.reshape(n * h * w, -1) @ kernel, 0).reshape(n, h, w, -1)


def _quadrants(x: np.ndarray) -> np.ndarray:
    """(n, h, w, c) -> (n, 4 * c): the mean of each channel over each quarter of the image, which
    keeps where things are, not only what."""
    rows, cols = np.array_split(np.arange(x.shape[1]), 2), np.array_split(np.arange(x.shape[2]), 2)
    return np.concatenate([x[:, r][:, :, c].mean(axis=(1, 2)) for r in rows for c in cols], axis=1)


N_FEATURES = 2 * sum(WIDTHS[:-1]) + 4 * WIDTHS[-1]


def raw_features(pixels: np.ndarray) -> np.ndarray:
    """uint8 (n, h, w) or (n, h, w, 3), h and w >= 2 -> float64 (n, N_FEATURES): the first two
    layers' channel means and spreads over the image (how much of each pattern, how unevenly), and
    the last layer's channel means per quarter (where)."""
    pixels = np.asarray(pixels)
    images = pixels[..., None] if pixels.ndim == 3 else pixels
    kernels = weights(images.shape[-1])
    out = [np.zeros((0, N_FEATURES))]
    for start in range(0, len(images), BATCH):
        x = (images[start:start + BATCH].astype(np.float32) - 127.5) / 127.5
        parts = []
        for kernel in kernels[:-1]:
            x = _conv(x, kernel)
            parts += [x.mean(axis=(1, 2)), x.std(axis=(1, 2))]
        parts.append(_quadrants(_conv(x, kernels[-1])))
        out.append(np.concatenate(parts, axis=1).astype(np.float64))
    return np.concatenate(out)


@dataclass(frozen=True)
class Reference:
    """The training images' feature statistics, in units of each feature's spread over them (so
    every feature counts alike, whatever its layer's scale; at least MIN_SCALE of the median
    spread): centre and scale (F,), then the mean (F,) and covariance (F, F) of the scaled features."""

    centre: np.ndarray
    scale: np.ndarray
    mu: np.ndarray
    cov: np.ndarray

    def scaled(self, pixels: np.ndarray) -> np.ndarray:
        return (raw_features(pixels) - self.centre) / self.scale


def reference(pixels: np.ndarray, seed: int = 0, most: int = REFERENCE_IMAGES) -> Reference:
    """The Reference of training images uint8 (n, h, w[, 3]), n >= 2; at most `most` of them,
    chosen by seed, beyond which the statistics hardly change."""
    if len(pixels) > most:
        pixels = pixels[np.sort(np.random.default_rng(seed).choice(len(pixels), most, replace=False))]
    features = raw_features(pixels)
    centre, spread = features.mean(axis=0), features.std(axis=0)
    # A feature that barely varies over the data (a pattern found almost nowhere) would otherwise be
    # magnified without bound, and a few rare images firing it would dominate the distance.
    scale = np.maximum(spread, MIN_SCALE * np.median(spread)) if spread.any() else np.ones_like(spread)
    return Reference(centre, scale, *quality.gaussian_stats((features - centre) / scale))


def distance(pixels: np.ndarray, ref: Reference) -> float:
    """The random-feature distance of images uint8 (n, h, w[, 3]), n >= 2, shaped like the reference's,
    from the reference: the Fréchet distance of their scaled features' statistics, >= 0."""
    return quality.frechet_distance(*quality.gaussian_stats(ref.scaled(pixels)), ref.mu, ref.cov)
