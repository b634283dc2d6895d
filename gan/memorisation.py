"""The memorisation check: each generated sample's nearest training image and its distance, and the
share of samples that are near-copies, by a threshold calibrated on the training images themselves.

Rule: a sample is a near-copy when it is closer to its nearest training image than all but
COPY_QUANTILE of training images are to their nearest *other* (distinct) training image. About
COPY_QUANTILE of fresh real images from the same source would count too; a GAN that copies its
data scores far more. Distances are the root-mean-square difference of downsampled pixels, in
units of the full intensity range (0: identical, 1: black against white everywhere)."""

from dataclasses import dataclass

import numpy as np

COPY_QUANTILE = 0.01  # the share of real images closer to another real image than the threshold
MANY_COPIES = 0.1  # a near-copy share worth a warning: ten times what fresh real images score
SIDE = 16  # images are compared block-averaged down to about this many pixels a side
CALIBRATION_IMAGES = 1000  # training images whose nearest other training image sets the threshold
BLOCK_BYTES = 32 * 2**20  # each block of the distance matrix (samples x training images)
# Images closer than half a grey level (RMS) are the same image: float32 distances cannot tell finer
# differences apart, and a copy is a copy even in a dataset where every image is repeated.
SAME = 0.5 / 255


def downsample(pixels: np.ndarray) -> np.ndarray:
    """uint8 (n, h, w) or (n, h, w, 3) -> float32 (n, d) in [0, 1]: the mean of each f x f block,
    f = ceil(min(h, w) / SIDE), rows and columns past a multiple of f left out (a 28 x 28 digit:
    14 x 14; a 32 x 32 picture: 16 x 16 x 3)."""
    pixels = np.asarray(pixels)
    images = pixels[..., None] if pixels.ndim == 3 else pixels
    n, h, w, c = images.shape
    f = -(-min(h, w) // SIDE)
    cropped = images[:, :h - h % f, :w - w % f].astype(np.float32)
    blocks = cropped.reshape(n, h // f, f, w // f, f, c).mean(axis=(2, 4))
    return blocks.reshape(n, -1) / 255.0


@dataclass(frozen=True)
class Neighbours:
    """The nearest training image of each query: its index (n,) int and RMS distance (n,) float."""

    index: np.ndarray
    distance: np.ndarray


class TrainingSet:
    """Training images, downsampled once, to search for each sample's nearest neighbour in bounded memory."""

    def __init__(self, pixels: np.ndarray):
        self.vectors = downsample(pixels)
        self.norms = np.einsum("nd,nd->n", self.vectors, self.vectors)

    def nearest(self, pixels: np.ndarray, exclude: np.ndarray | None = None, distinct: bool = False) -> Neighbours:
        """Neighbours of uint8 images shaped like the training images. `exclude` (n,): the training
        index each query must not match (itself); `distinct`: skip training images identical to the
        query. The distance matrix is computed in blocks of BLOCK_BYTES."""
        queries = downsample(pixels)
        dims = queries.shape[1]
        q_norms = np.einsum("nd,nd->n", queries, queries)
        best = np.full(len(queries), np.inf)
        index = np.zeros(len(queries), np.int64)
        width = max(1, BLOCK_BYTES // (4 * max(1, len(queries))))
        for start in range(0, len(self.vectors), width):
            chunk = self.vectors[start:start + width]
            squared = q_norms[:, None] + self.norms[None, start:start + width] - 2 * (queries @ chunk.T)
            np.maximum(squared, 0, out=squared)
            if exclude is not None:
                own = (exclude >= start) & (exclude < start + len(chunk))
                squared[own, exclude[own] - start] = np.inf
            if distinct:
                squared[squared <= dims * SAME**2] = np.inf
            found = squared.argmin(axis=1)
            value = squared[np.arange(len(queries)), found]
            better = value < best
            best[better], index[better] = value[better], found[better] + start
        return Neighbours(index, np.sqrt(best / dims))


@dataclass(frozen=True)
class Calibration:
    """threshold: the RMS distance at or under which a sample is a near-copy; real_median: the median
    distance of a training image to its nearest distinct other one (the typical gap in the data)."""

    threshold: float
    real_median: float


def calibrate(train: TrainingSet, pixels: np.ndarray, seed: int = 0, most: int = CALIBRATION_IMAGES) -> Calibration:
    """The threshold for training images uint8 `pixels` (those of `train`): the COPY_QUANTILE
    quantile of their nearest distinct neighbours' distances, over `most` of them chosen by seed,
    and at least SAME (when no two training images differ, only copies count)."""
    chosen = np.arange(len(pixels))
    if len(pixels) > most:
        chosen = np.sort(np.random.default_rng(seed).choice(len(pixels), most, replace=False))
    gaps = train.nearest(pixels[chosen], exclude=chosen, distinct=True).distance
    gaps = gaps[np.isfinite(gaps)]
    if not len(gaps):
        return Calibration(SAME, 0.0)
    return Calibration(max(float(np.quantile(gaps, COPY_QUANTILE)), SAME), float(np.median(gaps)))


@dataclass(frozen=True)
class Check:
    """The memorisation check of n samples: each one's nearest training index (n,) and RMS distance
    (n,), the calibrated threshold, and the share (0..1) of samples at or under it."""

    nearest: np.ndarray
    distance: np.ndarray
    threshold: float
    share: float

    def most_copied(self, k: int) -> np.ndarray:
        """Indices of the k samples closest to a training image, closest first."""
        return np.argsort(self.distance, kind="stable")[:k]


def check(samples: np.ndarray, train: TrainingSet, calibration: Calibration) -> Check:
    """The memorisation check of uint8 samples shaped like the training images."""
    found = train.nearest(samples)
    share = float(np.mean(found.distance <= calibration.threshold)) if len(samples) else 0.0
    return Check(found.index, found.distance, calibration.threshold, share)
