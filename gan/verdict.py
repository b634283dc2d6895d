"""The discriminator's verdict on a digit: a run's D rebuilt from its checkpoint scores it, and the
score is read on the scale the run's loss trained it on (a probability, a hinge margin, a critic value)."""

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan import data, runs
from gan.config import RunConfig
from gan.errors import UserError

# How each loss's scores read: "probability" (sigmoid of a logit, real above 0.5), "margin" (hinge:
# real above 0, trained to ±1), "target" (least squares: trained to 1 for real, 0 for fake, line at
# 0.5), "critic" (Wasserstein: no fixed line, only comparable with the scores D gives real and fake).
SCALES = {"nonsat": "probability", "minimax": "probability", "hinge": "margin", "lsgan": "target",
          "wgan_gp": "critic"}
LINES = {"probability": 0.0, "margin": 0.0, "target": 0.5}  # on the raw score


class VerdictError(UserError, ValueError):
    """A run whose discriminator cannot be asked: none saved (the bundled generator ships without
    one), or its checkpoint unusable; its kind says which (error.verdict_*)."""


@dataclass(frozen=True)
class Verdict:
    """D's raw score for one digit and how to read it. scale: one of SCALES' values; real: on which
    side of the scale's line the score falls (for a critic, nearer the run's typical real score than
    its typical fake one; None if the run logged neither); probability: sigmoid(score), for the
    probability scale only; typical_real / typical_fake: the mean scores D gave real digits and
    fakes in the checkpoint's epoch (metrics.csv), None for runs that did not log them."""

    score: float
    scale: str
    real: bool | None
    probability: float | None
    typical_real: float | None
    typical_fake: float | None
    label: int | None  # the digit a conditional D was told the drawing is


@dataclass
class Judge:
    """A run's discriminator, ready to score digits."""

    discriminator: object
    cfg: RunConfig
    epoch: int
    typical_real: float | None
    typical_fake: float | None


def load(run_dir: Path) -> Judge:
    """The discriminator of run_dir's last complete epoch, rebuilt from its config and checkpoint
    (restored exactly as a resume would, so both checkpoint formats load); VerdictError if the run
    has no checkpoint or it cannot be used."""
    from gan import training

    cfg = runs.read_config(run_dir)
    if cfg is None or not (Path(run_dir) / runs.CHECKPOINT).exists():
        raise VerdictError("verdict_no_discriminator")
    shape = runs.read_status(run_dir).image_shape or data.IMAGE_SHAPE  # as training recorded its data's
    if tuple(shape) != data.IMAGE_SHAPE:  # a run on other pictures
        raise VerdictError("verdict_not_digits", shape=tuple(shape))
    gan = training.GAN(cfg)
    gan.compile()
    try:
        epoch, _, _ = training.restore(gan, run_dir)
    except runs.CheckpointError as error:
        raise VerdictError("verdict_unusable", error=error) from error
    real, fake = typical_scores(run_dir, epoch)
    return Judge(gan.discriminator, cfg, epoch, real, fake)


def typical_scores(run_dir: Path, epoch: int) -> tuple[float | None, float | None]:
    """The mean raw scores D gave real digits and fakes over `epoch`'s metrics rows (d_real_score,
    d_fake_score); None for a column the run did not log."""
    rows = [row for row in runs.read_metrics(run_dir) if row.get("epoch") == epoch]

    def mean(column: str) -> float | None:
        values = [row[column] for row in rows if isinstance(row.get(column), float) and math.isfinite(row[column])]
        return float(np.mean(values)) if values else None

    return mean("d_real_score"), mean("d_fake_score")


def scores(judge: Judge, pixels: np.ndarray, labels: np.ndarray | None = None) -> np.ndarray:
    """float (n,): D's raw outputs for uint8 (n, 28, 28) digits; a conditional D is told `labels`
    (n,) int, 0 if None."""
    images = data.to_images(pixels)
    if judge.cfg.conditional:
        labels = np.zeros(len(pixels), np.int32) if labels is None else np.asarray(labels, np.int32)
        inputs = [images, labels]
    else:
        inputs = images
    return np.asarray(judge.discriminator(inputs, training=False)).reshape(-1).astype(float)


def judge_digit(judge: Judge, pixels: np.ndarray, label: int | None = None) -> Verdict:
    """D's verdict on one uint8 (28, 28) digit; label: what a conditional D is told it is."""
    score = float(scores(judge, pixels[None], None if label is None else np.array([label]))[0])
    scale = SCALES[judge.cfg.loss]
    if scale == "critic":
        known = judge.typical_real is not None and judge.typical_fake is not None
        real = abs(score - judge.typical_real) < abs(score - judge.typical_fake) if known else None
    else:
        real = score > LINES[scale]
    probability = 1.0 / (1.0 + math.exp(-score)) if scale == "probability" else None
    return Verdict(score, scale, real, probability, judge.typical_real, judge.typical_fake,
                   label if judge.cfg.conditional else None)
