"""A run's quality after an epoch, whatever its data: the digit classifier's scores for MNIST digits,
and, for data the classifier cannot judge, the random-feature distance and the memorisation check
against the run's training images (their statistics computed once per run, kept in memory)."""

import numpy as np

from gan import data, features, memorisation, quality, runs

STRIP = 8  # the most copy-like samples kept for the Live page, each beside its nearest training image
NOVELTY_FIELDS = runs.QUALITY_FIELDS[len(runs.LEGACY_QUALITY_FIELDS):]  # see runs.QUALITY_FIELDS


class Scorer:
    """Scores a run's generator after the epochs pace.EvalSchedule picks, on n samples drawn from
    fixed noise (seed). The training images' statistics are computed by prepare(), once."""

    def __init__(self, dataset: data.Dataset, n: int, seed: int, novelty: bool | None = None):
        self.dataset, self.n, self.seed = dataset, n, seed
        self.classified = quality.reads(dataset.source, dataset.image_shape)
        self.novelty = not self.classified if novelty is None else novelty
        self.reference: features.Reference | None = None

    def prepare(self) -> None:
        """Compute, once, what the novelty measures compare with: the feature statistics of the
        training images, the distance n of them score against those, and the near-copy threshold."""
        if not self.novelty or self.reference is not None:
            return
        pixels = self.dataset.pixels
        self.train = memorisation.TrainingSet(pixels)
        self.calibration = memorisation.calibrate(self.train, pixels, self.seed)
        self.reference = features.reference(pixels, self.seed)
        # Drawn with replacement: n training images without it would be the whole set whenever n is
        # its size, the reference itself, at distance 0; a resample keeps sampling's own distance.
        drawn = np.random.default_rng([self.seed, 1]).choice(len(pixels), self.n, replace=True)
        self.rfd_real = features.distance(pixels[drawn], self.reference)

    def score(self, pixels: np.ndarray, epoch: int, seconds: float) -> tuple[dict, runs.Copies | None]:
        """A quality.csv row for samples uint8 (n, h, w[, 3]) after `epoch` (training `seconds`
        so far), and the copy strip (None without the novelty measures). QualityUnavailable if the
        classifier's assets are damaged."""
        row = quality.to_row(quality.score(pixels), epoch, seconds) if self.classified else {
            "epoch": epoch, "seconds": round(seconds, 3)}
        if not self.novelty:
            return row, None
        self.prepare()
        found = memorisation.check(pixels, self.train, self.calibration)
        row.update(rfd=features.distance(pixels, self.reference), rfd_real=self.rfd_real, near_copies=found.share,
                   copy_threshold=found.threshold, nearest_median=float(np.median(found.distance)),
                   real_gap=self.calibration.real_median)
        row.update({key: round(row[key], 6) for key in NOVELTY_FIELDS})
        top = found.most_copied(STRIP)
        copies = runs.Copies(epoch, pixels[top], self.dataset.pixels[found.nearest[top]], found.nearest[top],
                        found.distance[top], found.threshold)
        return row, copies

    def evaluate(self, generator, epoch: int, seconds: float) -> tuple[dict, runs.Copies | None]:
        """score() of n samples from the generator's fixed noise (conditional: labels cycling)."""
        from gan import sampling

        return self.score(sampling.generate(generator, sampling.latents(generator, self.n, self.seed)), epoch, seconds)
