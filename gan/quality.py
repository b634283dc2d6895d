"""How good are generated digits: a shipped MNIST classifier's Fréchet distance (FDD), classifier
score and class histogram, the same numbers for real digits (the floor), and a mode-collapse check."""

import functools
import hashlib
import json
import math
import os
from pathlib import Path

import numpy as np

from gan import data
from gan.errors import UserError

CLASSIFIER = data.ASSETS / "classifier.keras"
CLASSIFIER_INFO = data.ASSETS / "classifier.json"
REAL_STATS = data.ASSETS / "real_stats.npz"

SPLIT_SEED = 0
N_HELD_OUT = 2000  # bundled digits the classifier never trains on: its accuracy and the real floor
EVAL_SAMPLES = 2000  # generated digits per evaluation: the floor's sample size, so FDDs compare fairly
EVAL_ENV = "GAN_EVAL_SAMPLES"  # a smaller size for runs whose scores nobody compares (the tests set 256)
CONFIDENT = 0.9  # a digit is "confident" when the classifier's top probability exceeds this
BATCH = 500  # keeps the first convolution's activations near 50 MB
MAX_ENTROPY = math.log(data.N_CLASSES)  # nats, of a perfectly even class histogram
METRICS = ("fdd", "score", "confident", "entropy")


DIGIT_SOURCES = ("bundled", "keras_mnist")  # data.Dataset sources of MNIST digits: what the classifier reads


def reads(source: str | None, image_shape=None) -> bool:
    """Whether the classifier's numbers mean anything for data from `source` (a data.Dataset source;
    None: not recorded, as for runs before sources were) with images of image_shape (None: MNIST's):
    MNIST digits, grey 28 x 28. Fashion-MNIST and uploaded images are not digits it knows."""
    shape = data.IMAGE_SHAPE if image_shape is None else tuple(image_shape)
    return (source is None or source in DIGIT_SOURCES) and shape == data.IMAGE_SHAPE


class QualityUnavailable(UserError, RuntimeError):
    """The classifier or its reference statistics are missing or damaged; its kind says which."""


def reference_split() -> tuple[data.Dataset, data.Dataset]:
    """(fit, held_out) of the bundled digits, fixed by SPLIT_SEED: 8,000 and 2,000.

    The classifier trains on `fit`, and the real statistics FDD compares against are `fit`'s; its
    accuracy and the real floor come from `held_out`, so the floor is not measured on the very
    digits that define "real" (which would make it optimistically near zero).
    """
    digits = data.load_bundled()
    order = np.random.default_rng(SPLIT_SEED).permutation(len(digits.pixels))
    fit, held_out = order[:-N_HELD_OUT], order[-N_HELD_OUT:]
    return (data.Dataset(digits.pixels[fit], digits.labels[fit], digits.source),
            data.Dataset(digits.pixels[held_out], digits.labels[held_out], digits.source))


def two_headed(classifier):
    """A Keras model: images (n, 28, 28, 1) in [-1, 1] -> [features (n, F), probabilities (n, 10)]."""
    import keras

    return keras.Model(classifier.input, [classifier.get_layer("features").output, classifier.output])


def _check_sha256(path: Path, expected: str) -> None:
    if hashlib.sha256(path.read_bytes()).hexdigest() != expected:
        raise QualityUnavailable("quality_asset_damaged", path=path.name, info=CLASSIFIER_INFO.name)


@functools.cache
def classifier_info() -> dict:
    """classifier.json: the classifier's training setup, held-out accuracy, real floor and sha256s."""
    try:
        return json.loads(CLASSIFIER_INFO.read_text())
    except (OSError, ValueError) as error:
        raise QualityUnavailable("quality_asset_unreadable", error, path=CLASSIFIER_INFO.name) from error


@functools.cache
def load_classifier():
    """The shipped classifier as two_headed(...), loaded once with safe_mode=True."""
    import keras

    try:
        _check_sha256(CLASSIFIER, classifier_info()["classifier_sha256"])
        return two_headed(keras.models.load_model(CLASSIFIER, safe_mode=True, compile=False))
    except OSError as error:
        raise QualityUnavailable("quality_asset_unreadable", error, path=CLASSIFIER.name) from error


@functools.cache
def real_stats() -> tuple[np.ndarray, np.ndarray]:
    """(mean (F,), covariance (F, F)) float64 of the classifier's features on the 8,000 fit digits."""
    try:
        _check_sha256(REAL_STATS, classifier_info()["real_stats_sha256"])
        with np.load(REAL_STATS) as archive:
            return archive["mu"], archive["cov"]
    except (OSError, KeyError, ValueError) as error:
        raise QualityUnavailable("quality_asset_unreadable", error, path=REAL_STATS.name) from error


def real_floor() -> dict:
    """score()'s numbers for the 2,000 held-out real digits: the best a generator can hope for."""
    return classifier_info()["real_floor"]


def predict(pixels: np.ndarray, model=None) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) -> (features float64 (n, F), probabilities float64 (n, 10))."""
    model = load_classifier() if model is None else model
    features, probabilities = [], []
    for start in range(0, len(pixels), BATCH):
        f, p = model(data.to_images(pixels[start:start + BATCH]), training=False)
        features.append(np.asarray(f, np.float64))
        probabilities.append(np.asarray(p, np.float64))
    return np.concatenate(features), np.concatenate(probabilities)


def classify(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """uint8 (n, 28, 28) -> (predicted digit int (n,), its probability float (n,) in [0, 1])."""
    _, probabilities = predict(pixels)
    return probabilities.argmax(axis=1), probabilities.max(axis=1)


def gaussian_stats(features: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(mean (F,), covariance (F, F)) float64 of features (n, F), n >= 2."""
    features = np.asarray(features, np.float64)
    return features.mean(axis=0), np.cov(features, rowvar=False)


def _sqrt_psd(matrix: np.ndarray) -> np.ndarray:
    """The symmetric square root of a symmetric positive semi-definite matrix."""
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


def frechet_distance(mu1, cov1, mu2, cov2) -> float:
    """Squared Fréchet (2-Wasserstein) distance between N(mu1, cov1) and N(mu2, cov2), >= 0:
    |mu1 - mu2|^2 + Tr(cov1 + cov2 - 2 (cov1^1/2 cov2 cov1^1/2)^1/2). Means (F,), covariances (F, F)."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    cov1, cov2 = np.asarray(cov1, np.float64), np.asarray(cov2, np.float64)
    # Tr sqrt(cov1 cov2) computed through a symmetric matrix, so eigh applies: no scipy.sqrtm
    root1 = _sqrt_psd(cov1)
    middle = root1 @ cov2 @ root1
    trace_root = np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2), 0, None)).sum()
    distance = np.sum((mu1 - mu2) ** 2) + np.trace(cov1) + np.trace(cov2) - 2 * trace_root
    return float(max(distance, 0.0))


def classifier_score(probabilities: np.ndarray) -> float:
    """exp(E_x KL(p(y|x) || p(y))) for probabilities (n, 10): 1 (one class or unsure) to 10."""
    p = np.clip(np.asarray(probabilities, np.float64), 1e-12, 1.0)
    marginal = p.mean(axis=0, keepdims=True)
    return float(np.exp(np.mean(np.sum(p * (np.log(p) - np.log(marginal)), axis=1))))


def histogram_entropy(histogram) -> float:
    """Entropy in nats of class fractions (10,): 0 (one class) to ln 10 ≈ 2.303 (all even)."""
    shares = np.asarray(histogram, np.float64)
    shares = shares[shares > 0]
    return float(np.sum(shares * np.log(1 / shares)))


def score(pixels: np.ndarray, model=None, reference=None) -> dict:
    """Quality of uint8 digits (n, 28, 28), n >= 2, against the real statistics (or `reference`):

    fdd: Fréchet distance of the classifier's features (>= 0, lower is better);
    score: classifier score (1..10, higher is better); confident: fraction with top probability
    > 0.9; entropy: of the predicted-class histogram, nats (max ln 10); histogram: 10 fractions.
    """
    features, probabilities = predict(pixels, model)
    mu, cov = reference if reference is not None else real_stats()
    histogram = np.bincount(probabilities.argmax(axis=1), minlength=data.N_CLASSES) / len(pixels)
    return {
        "fdd": frechet_distance(*gaussian_stats(features), mu, cov),
        "score": classifier_score(probabilities),
        "confident": float(np.mean(probabilities.max(axis=1) > CONFIDENT)),
        "entropy": histogram_entropy(histogram),
        "histogram": [float(share) for share in histogram],
    }


def eval_samples() -> int:
    """How many digits a training run scores after an epoch: EVAL_SAMPLES, or $GAN_EVAL_SAMPLES
    (64 to 100,000). FDD is biased upwards below 2,000, so such scores are not comparable."""
    try:
        return min(max(int(os.environ.get(EVAL_ENV) or EVAL_SAMPLES), 64), 100_000)
    except ValueError:
        return EVAL_SAMPLES


def evaluate_generator(generator, n: int = EVAL_SAMPLES, seed: int = 0) -> dict:
    """score() of n digits from the generator's fixed noise for `seed` (conditional: labels 0..9 cycling)."""
    from gan import sampling

    return score(sampling.generate(generator, sampling.latents(generator, n, seed)))


def to_row(result: dict, epoch: int, seconds: float) -> dict:
    """A quality.csv row: epoch, training seconds, the four numbers and class_0..class_9."""
    row = {"epoch": epoch, "seconds": round(seconds, 3)}
    row.update({key: round(result[key], 6) for key in METRICS})
    row.update({f"class_{d}": round(share, 6) for d, share in enumerate(result["histogram"])})
    return row


class CollapseWarning(str):
    """A collapse warning: its English sentence, plus `kind` (missing, dominant, entropy, or early:
    a histogram that would have warned, from a generator too unformed to judge) and the `params` it
    was worded from, so that an interface can word it in another language."""

    kind: str
    params: dict[str, str]

    def __new__(cls, text: str, kind: str, **params: str) -> "CollapseWarning":
        warning = super().__new__(cls, text)
        warning.kind, warning.params = kind, params
        return warning

    @property
    def early(self) -> bool:
        """Too early to tell: a note, not an alarm."""
        return self.kind == "early"


# Below this share of confident digits the generator is still forming, and its class histogram
# says little about collapse: 3 of 6 healthy quick runs drew a digit under 2% of the time after
# epoch 1, with 32-34% confident digits. bench/collapse_alarms.py: at 0.5, no false alarm in 36
# healthy evaluations, and every squeezed (collapsed) generator with half its digits confident flagged.
MATURE_CONFIDENT = 0.5


def collapse_warning(histogram, best_entropy: float | None = None, confident: float | None = None,
                     min_share: float = 0.02, max_share: float = 0.3, max_drop: float = 0.25,
                     mature: float = MATURE_CONFIDENT) -> CollapseWarning | None:
    """One line if the class fractions (10,) look like mode collapse, else None.

    Flags digits drawn less than min_share of the time, a digit drawn more than max_share of the
    time (a fair share is 0.1), and entropy more than max_drop nats below `best_entropy`, the best
    of earlier epochs. At 2,000 samples a share's sampling noise is under a percentage point, far
    from both thresholds. While under `mature` of the samples are confident digits (`confident`;
    None: not known), a histogram that would be flagged gives an "early" note instead.
    """
    warning = _histogram_warning(np.asarray(histogram, np.float64), best_entropy, min_share, max_share, max_drop)
    if warning is None or confident is None or confident >= mature:
        return warning
    digits = warning.params.get("digits") or warning.params.get("digit") or ""
    share = f"{confident:.0%}"
    return CollapseWarning(f"Too early to tell: only {share} of samples are clear digits yet, so an uneven class "
                           f"histogram{f' (digits {digits})' if digits else ''} speaks of an unfinished generator "
                           f"more than of mode collapse.", "early", confident=share, digits=digits or "—")


def _histogram_warning(shares: np.ndarray, best_entropy: float | None, min_share: float, max_share: float,
                       max_drop: float) -> CollapseWarning | None:
    missing = [str(d) for d in np.flatnonzero(shares < min_share)]
    if missing:
        digits, share = ", ".join(missing), f"{min_share:.0%}"
        return CollapseWarning(
            f"Mode collapse? Digit{'s' if len(missing) > 1 else ''} {digits} "
            f"{'are' if len(missing) > 1 else 'is'} almost never drawn (under {share} of samples).",
            "missing", digits=digits, share=share)
    top = int(shares.argmax())
    if shares[top] > max_share:
        share = f"{shares[top]:.0%}"
        return CollapseWarning(f"Mode collapse? Digit {top} is {share} of samples; a fair share is 10%.",
                               "dominant", digit=str(top), share=share)
    entropy = histogram_entropy(shares)
    if best_entropy is not None and best_entropy - entropy > max_drop:
        before, after = f"{best_entropy:.2f}", f"{entropy:.2f}"
        return CollapseWarning(f"Mode collapse? The class histogram's entropy fell from {before} to "
                               f"{after} nats: the generator draws fewer kinds of digit than it did.",
                               "entropy", before=before, after=after)
    return None


def latest_warning(rows: list[dict]) -> CollapseWarning | None:
    """collapse_warning() for the last quality.csv row, against the best entropy of earlier rows."""
    if not rows:
        return None
    histogram = [rows[-1].get(f"class_{d}", 0.0) for d in range(data.N_CLASSES)]
    best = max((row["entropy"] for row in rows[:-1] if "entropy" in row), default=None)
    return collapse_warning(histogram, best, rows[-1].get("confident"))
