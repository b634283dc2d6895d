"""The toy GAN of the Concepts page: two small MLPs learning a 2-D point cloud, in pure NumPy
(hand-written forward and backward passes, Adam) so the page never imports TensorFlow."""

import csv
import dataclasses
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gan import config
from gan.config import ConfigError
from gan.errors import UserError

TARGETS = ("ring", "grid", "two_moons", "line")
LOSSES = ("nonsat", "minimax", "lsgan")
EXTENT = (-2.0, 2.0)  # the plotting range of both axes; every target fits inside ±DATA_HALF_WIDTH
DATA_HALF_WIDTH = 1.5
MODE_STD = 0.08  # spread of each Gaussian of the ring and the grid
MIN_POINTS, MAX_POINTS = 10, 10_000
LEAK = 0.2  # leaky ReLU slope: a dead unit would freeze part of a net this small for good
ADAM_BETAS = (0.5, 0.999)  # β1 = 0.5, as in DCGAN: momentum makes the adversarial game oscillate
HISTORY_CAP = 4000  # loss records kept; beyond it older records are thinned so a long run stays cheap
# OpenBLAS hands a product of more than 4 × 65,536 multiply-adds to its thread pool. On a busy
# 2-core server, waiting for that pool costs more than the product itself (bench/toy_speed.py:
# 42 refreshes/s instead of 189 under load), and concurrent sessions queue on it, so products
# are cut into row blocks of at most BLAS_BLOCK multiply-adds, which OpenBLAS runs in the caller.
BLAS_BLOCK = 2**17
MOVE_FLOOR = 1e-4  # a change of D(x) below this is rounding noise (verdict_change)
# Play (iterations_due): seconds one refresh may catch up, and the share of them training may take.
# An iteration costs 0.7 ms at the defaults and 40 ms at the largest settings (bench/toy_speed.py).
MAX_LAG, COMPUTE_SHARE = 1.0, 0.5


@dataclass(frozen=True)
class Settings:
    """Everything that defines a toy run. `target` names a built-in distribution, or "custom" for
    points the user supplies (through points_from_csv or points_from_sketch)."""

    target: str = "ring"
    loss: str = "nonsat"
    g_lr: float = 2e-3
    d_lr: float = 2e-3
    d_steps: int = 1
    hidden: int = 32
    layers: int = 2
    noise_dim: int = 2
    batch_size: int = 128
    seed: int = 0

    def __post_init__(self) -> None:
        validate(self)
        for name in ("g_lr", "d_lr"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "Settings":
        """Build from a dict; unknown keys are refused, missing keys default."""
        unknown = sorted(set(values) - set(FIELD_TYPES))
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting; known: {', '.join(FIELD_TYPES)}")
        return cls(**values)

    def replace(self, **changes: Any) -> "Settings":
        return Settings.from_dict({**self.to_dict(), **changes})


FIELD_TYPES: dict[str, type] = {f.name: f.type for f in dataclasses.fields(Settings)}
# The upper bounds keep the heaviest toy near 40 ms per iteration (bench/toy_speed.py, 2 busy cores).
RANGES: dict[str, tuple[float, float]] = {
    "g_lr": (1e-5, 0.1),
    "d_lr": (1e-5, 0.1),
    "d_steps": (1, 5),
    "hidden": (2, 64),
    "layers": (1, 3),
    "noise_dim": (1, 2),
    "batch_size": (8, 512),
    "seed": (0, config.SEED_MAX),
}
CHOICES: dict[str, tuple[str, ...]] = {"target": (*TARGETS, "custom"), "loss": LOSSES}
# What a learner may change while a run plays; the others reshape the networks and need a reset.
LIVE_FIELDS = ("target", "loss", "g_lr", "d_lr", "d_steps", "batch_size")


def validate(settings: Settings) -> None:
    """Raise ConfigError naming the first field of the wrong type, outside its choices or range."""
    config.check_fields(settings, (FIELD_TYPES, RANGES, CHOICES))


@dataclass(frozen=True)
class Experiment:
    """A one-click lesson: settings to load and how many iterations to play. Its title and what to
    look for are worded by the catalogues (concepts.toy.experiments.<name>)."""

    settings: dict[str, Any]
    iterations: int


# Verified on 12 seeds by `python -m bench.toy_speed --experiments` (numbers below). A D that
# outpaces G is the common cause of the first two; the generator's loss decides the symptom.
EXPERIMENTS: dict[str, Experiment] = {
    # 1 of 9 modes covered on 12 of 12 seeds from iteration 500 to 3000; the defaults ("balanced")
    # cover 6–9 (mean 6.8) by 3000. The minimax loss is not the one that collapses here: in this
    # setting it covers 1–4 (mean 2.0), in the balanced one 7–9 (mean 8.2). −log D, the non-saturating
    # loss, is the mode-seeking one (Arjovsky & Bottou, 2017); minimax fails by stalling instead.
    "mode_collapse": Experiment(
        settings={"target": "grid", "loss": "nonsat", "g_lr": 5e-4, "d_lr": 1e-2, "d_steps": 5, "seed": 0},
        iterations=3000,
    ),
    # 76–80% of the fakes score below 0.05 throughout (defaults: none); after 1000 iterations 0–3
    # of 8 modes are covered (mean 1.2; defaults 7.1). With nonsat instead the rejected share falls
    # from 74% to 21% by iteration 1000, and the fakes reach 2–3 modes.
    "strong_d": Experiment(
        settings={"target": "ring", "loss": "minimax", "g_lr": 5e-4, "d_lr": 1e-2, "d_steps": 5, "seed": 0},
        iterations=1000,
    ),
    # D's loss over the last 200 of 3000 iterations: 1.05–1.27 (mode_collapse: 0.35–0.38).
    "balanced": Experiment(
        settings={"target": "grid", "loss": "nonsat", "g_lr": 2e-3, "d_lr": 2e-3, "d_steps": 1, "seed": 0},
        iterations=3000,
    ),
}


# --- data ----------------------------------------------------------------------------------------

def mode_centres(target: str) -> np.ndarray | None:
    """The centres (k, 2) of the ring's 8 and the grid's 9 Gaussians; None for other targets."""
    if target == "ring":
        angles = np.arange(8) * (2 * np.pi / 8)
        return DATA_HALF_WIDTH * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    if target == "grid":
        ticks = np.array([-1.0, 0.0, 1.0]) * 1.2
        return np.stack(np.meshgrid(ticks, ticks), axis=-1).reshape(-1, 2)
    return None


def sample_target(name: str, n: int, rng: np.random.Generator) -> np.ndarray:
    """n points (n, 2) float64 of a built-in distribution, inside ±DATA_HALF_WIDTH."""
    if name not in TARGETS:
        raise ConfigError("target", f"must be one of {', '.join(TARGETS)}, not {name!r}")
    if name in ("ring", "grid"):
        centres = mode_centres(name)
        return centres[rng.integers(0, len(centres), n)] + MODE_STD * rng.standard_normal((n, 2))
    if name == "two_moons":
        t = rng.uniform(0.0, np.pi, n)
        upper = rng.random(n) < 0.5
        x = np.where(upper, np.cos(t), 1.0 - np.cos(t))
        y = np.where(upper, np.sin(t), 0.5 - np.sin(t))
        return np.stack([x - 0.5, y - 0.25], axis=1) + 0.05 * rng.standard_normal((n, 2))
    t = rng.uniform(-1.0, 1.0, n)
    return np.stack([1.2 * t, 0.6 * t], axis=1) + 0.03 * rng.standard_normal((n, 2))


class PointsError(UserError, ValueError):
    """User points (a CSV file or a sketch) that cannot be trained on; its kind says why (error.toy_*)."""


def points_from_csv(content: str | bytes) -> np.ndarray:
    """User points (n, 2) from CSV text: two numeric columns separated by a semicolon, a tab, a
    comma or spaces (decimal commas are read with the first two), an optional header line.
    Centred and scaled (aspect kept) to fit ±DATA_HALF_WIDTH.

    Raises PointsError (a ValueError) naming the line at fault."""
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise PointsError("toy_csv_not_text") from None
    lines = [(number, line.strip()) for number, line in enumerate(content.splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise PointsError("toy_csv_empty")
    if len(lines) > MAX_POINTS + 1:
        raise PointsError("toy_csv_too_long", lines=f"{len(lines):,}", limit=f"{MAX_POINTS:,}")
    # A semicolon or a tab wins over a comma: spreadsheets in decimal-comma locales write "1,5;2,3".
    delimiter = next((d for d in ";\t," if d in lines[0][1]), None)
    rows = []
    for index, (number, line) in enumerate(lines):
        cells = next(csv.reader(io.StringIO(line), delimiter=delimiter)) if delimiter else line.split()
        cells = [cell.strip() if delimiter == "," else cell.strip().replace(",", ".") for cell in cells]
        if len(cells) != 2:
            raise PointsError("toy_csv_columns", line=number, columns=len(cells))
        try:
            rows.append((float(cells[0]), float(cells[1])))
        except ValueError:
            if index == 0:  # a header line
                continue
            raise PointsError("toy_csv_not_numbers", line=number, text=repr(line[:40])) from None
    return _scaled(_checked(np.array(rows, dtype=np.float64).reshape(-1, 2), "file"))


def points_from_sketch(points: Sequence[Sequence[float]]) -> np.ndarray:
    """Points (n, 2) drawn in the plot, kept where they were drawn; same checks as a CSV file."""
    try:
        array = np.asarray(points, dtype=np.float64)
    except (TypeError, ValueError):
        raise PointsError("toy_sketch_not_pairs") from None
    if array.ndim != 2 or array.shape[1] != 2:
        raise PointsError("toy_sketch_not_pairs")
    array = _checked(array, "sketch")
    if np.abs(array).max() > EXTENT[1]:
        raise PointsError("toy_sketch_outside", low=f"{EXTENT[0]:g}", high=f"{EXTENT[1]:g}")
    return array


def _checked(points: np.ndarray, source: str) -> np.ndarray:
    """points, if finite and neither too few nor too many; source "file" or "sketch" picks the wording."""
    if not np.isfinite(points).all():
        row = int(np.flatnonzero(~np.isfinite(points).all(axis=1))[0])
        raise PointsError(f"toy_{source}_not_finite", point=row + 1)
    if len(points) < MIN_POINTS:
        raise PointsError(f"toy_{source}_too_few", count=len(points), minimum=MIN_POINTS)
    if len(points) > MAX_POINTS:
        raise PointsError(f"toy_{source}_too_many", count=f"{len(points):,}", limit=f"{MAX_POINTS:,}")
    return points


def _scaled(points: np.ndarray) -> np.ndarray:
    low, high = points.min(axis=0), points.max(axis=0)
    half_width = (high - low).max() / 2
    if half_width == 0:
        raise PointsError("toy_points_identical")
    return (points - (low + high) / 2) * (DATA_HALF_WIDTH / half_width)


# --- networks: a flat parameter vector per MLP, unpacked into layer views -------------------------

def _sizes(settings: Settings, net: str) -> list[int]:
    inner = [settings.hidden] * settings.layers
    return [settings.noise_dim, *inner, 2] if net == "g" else [2, *inner, 1]


def _layers(theta: np.ndarray, sizes: list[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(W (fan_in, fan_out), b (fan_out,)) views into theta, input layer first."""
    layers, start = [], 0
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:], strict=True):
        w = theta[start:start + fan_in * fan_out].reshape(fan_in, fan_out)
        start += fan_in * fan_out
        layers.append((w, theta[start:start + fan_out]))
        start += fan_out
    return layers


def _init_params(sizes: list[int], rng: np.random.Generator) -> np.ndarray:
    """He-initialised hidden layers; the output layer 10× smaller, so every run starts the same
    way: the fakes a small cloud in the middle of the plot, D's heatmap close to an even 0.5."""
    parts = []
    for index, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        scale = math.sqrt(2.0 / fan_in) * (0.1 if index == len(sizes) - 2 else 1.0)
        parts += [rng.standard_normal(fan_in * fan_out) * scale, np.zeros(fan_out)]
    return np.concatenate(parts)


def _matmul(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a @ b, (n, k) @ (k, m), in row blocks small enough to stay single-threaded."""
    rows = max(1, BLAS_BLOCK // (a.shape[1] * b.shape[1]))
    if len(a) <= rows:
        return a @ b
    return np.concatenate([a[i:i + rows] @ b for i in range(0, len(a), rows)])


def _matmul_tn(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a.T @ b, (n, k)ᵀ @ (n, m), summed over row blocks small enough to stay single-threaded."""
    rows = max(1, BLAS_BLOCK // (a.shape[1] * b.shape[1]))
    if len(a) <= rows:
        return a.T @ b
    return sum(a[i:i + rows].T @ b[i:i + rows] for i in range(0, len(a), rows))


def _forward(theta: np.ndarray, sizes: list[int], x: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """The MLP's output and the inputs of each layer (what the backward pass needs)."""
    inputs = []
    layers = _layers(theta, sizes)
    for w, b in layers[:-1]:
        inputs.append(x)
        z = _matmul(x, w) + b
        x = np.maximum(z, LEAK * z)
    inputs.append(x)
    w, b = layers[-1]
    return _matmul(x, w) + b, inputs


def _backward(theta: np.ndarray, sizes: list[int], inputs: list[np.ndarray], d_out: np.ndarray,
              params: bool = True) -> tuple[np.ndarray | None, np.ndarray]:
    """(∂L/∂theta flat, or None when params is False; ∂L/∂input) given ∂L/∂output."""
    layers = _layers(theta, sizes)
    grads = []
    delta = d_out
    for i in range(len(layers) - 1, -1, -1):
        w, _ = layers[i]
        if params:
            grads += [delta.sum(axis=0), _matmul_tn(inputs[i], delta).ravel()]
        delta = _matmul(delta, w.T)
        if i > 0:
            # inputs[i] is the leaky ReLU's output, positive exactly where its input was
            delta = np.where(inputs[i] > 0, delta, LEAK * delta)
    return (np.concatenate(grads[::-1]) if params else None), delta


def _sigmoid(logits: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * logits))  # overflow-free for any logit


def _softplus(x: np.ndarray) -> np.ndarray:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def d_loss(loss: str, real_logits: np.ndarray, fake_logits: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """D's loss on logits (n, 1) and its gradients with respect to the real and the fake logits.

    Cross-entropy (nonsat, minimax): −log σ(real) − log(1 − σ(fake)), batch means.
    lsgan: ((real − 1)² + fake²) / 2 on the raw output, as gan/losses.py does."""
    n_real, n_fake = len(real_logits), len(fake_logits)
    if loss == "lsgan":
        value = 0.5 * np.mean((real_logits - 1.0) ** 2) + 0.5 * np.mean(fake_logits**2)
        return float(value), (real_logits - 1.0) / n_real, fake_logits / n_fake
    value = np.mean(_softplus(-real_logits)) + np.mean(_softplus(fake_logits))
    return float(value), (_sigmoid(real_logits) - 1.0) / n_real, _sigmoid(fake_logits) / n_fake


def g_loss(loss: str, fake_logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """G's loss per fake point (n, 1) and its gradient with respect to each fake's logit.

    nonsat: −log σ(a); minimax: log(1 − σ(a)), which goes flat once D rejects the fake;
    lsgan: (a − 1)² / 2."""
    if loss == "nonsat":
        return _softplus(-fake_logits), _sigmoid(fake_logits) - 1.0
    if loss == "minimax":
        return -_softplus(fake_logits), -_sigmoid(fake_logits)
    return 0.5 * (fake_logits - 1.0) ** 2, fake_logits - 1.0


# --- state and training --------------------------------------------------------------------------

@dataclass
class Adam:
    """One network's Adam moments and step count."""

    m: np.ndarray
    v: np.ndarray
    t: int = 0

    def update(self, theta: np.ndarray, grad: np.ndarray, lr: float) -> None:
        """Apply one Adam step to theta in place."""
        beta1, beta2 = ADAM_BETAS
        self.t += 1
        self.m *= beta1
        self.m += (1 - beta1) * grad
        self.v *= beta2
        self.v += (1 - beta2) * grad * grad
        step = lr * math.sqrt(1 - beta2**self.t) / (1 - beta1**self.t)
        theta -= step * self.m / (np.sqrt(self.v) + 1e-8)


@dataclass
class State:
    """A toy run: weights, optimiser moments, counters, loss history and the random generator.
    Plain NumPy arrays and lists, so copy.deepcopy and pickle are cheap: about 60 kB for the
    default networks (400 kB for the largest allowed) plus at most 90 kB of loss history."""

    settings: Settings
    g_theta: np.ndarray
    d_theta: np.ndarray
    g_adam: Adam
    d_adam: Adam
    rng: np.random.Generator
    iteration: int = 0
    history: list[tuple[int, float, float]] = field(default_factory=list)  # (iteration, d_loss, g_loss)


def init(settings: Settings) -> State:
    """A fresh run seeded by settings.seed: He-initialised networks, zeroed Adam moments."""
    rng = np.random.default_rng(settings.seed)
    g_theta = _init_params(_sizes(settings, "g"), rng)
    d_theta = _init_params(_sizes(settings, "d"), rng)
    return State(settings, g_theta, d_theta, Adam(np.zeros_like(g_theta), np.zeros_like(g_theta)),
                 Adam(np.zeros_like(d_theta), np.zeros_like(d_theta)), rng)


def retune(state: State, settings: Settings) -> None:
    """Switch a playing run to new settings that keep its networks' shapes (LIVE_FIELDS may change).
    Raises ConfigError naming a field that would need a reset."""
    for name in FIELD_TYPES:
        if name not in LIVE_FIELDS and getattr(settings, name) != getattr(state.settings, name):
            raise ConfigError(name, "changing it rebuilds the networks: reset the toy GAN to apply it")
    state.settings = settings


def step(state: State, data: np.ndarray, what: str = "both", n: int = 1) -> None:
    """Train in place for n iterations on real points `data` (m, 2), each batch drawn at random.

    what="both": an iteration is settings.d_steps D updates then one G update; "d" or "g": one
    update of that network only. Each iteration appends (iteration, d_loss, g_loss) to the history:
    the losses of its last D and G batches, before the update (measured only, for a network that
    does not move)."""
    if what not in ("both", "d", "g"):
        raise ValueError(f"what must be 'both', 'd' or 'g', not {what!r}")
    settings = state.settings
    d_updates = {"both": settings.d_steps, "d": 1, "g": 0}[what]
    for _ in range(n):
        if what == "g":
            d_value, _ = d_loss_and_gradient(settings, state.d_theta, *_batches(state, data))
        for _ in range(d_updates):
            d_value, d_grad = d_loss_and_gradient(settings, state.d_theta, *_batches(state, data))
            state.d_adam.update(state.d_theta, d_grad, settings.d_lr)
        noise = _noise(state.rng, settings.batch_size, settings.noise_dim)
        g_value, g_grad = g_loss_and_gradient(settings, state.g_theta, state.d_theta, noise)
        if what != "d":
            state.g_adam.update(state.g_theta, g_grad, settings.g_lr)
        state.iteration += 1
        _record(state, d_value, g_value)


def d_loss_and_gradient(settings: Settings, d_theta: np.ndarray, real: np.ndarray,
                        fake: np.ndarray) -> tuple[float, np.ndarray]:
    """D's loss on a real batch (b, 2) and a fake batch (b', 2), and its gradient (P_d,) with
    respect to D's flat parameters d_theta (P_d,)."""
    sizes = _sizes(settings, "d")
    # One forward pass over real and fake together: half the NumPy calls of two passes.
    logits, inputs = _forward(d_theta, sizes, np.concatenate([real, fake]))
    value, d_real, d_fake = d_loss(settings.loss, logits[:len(real)], logits[len(real):])
    grad, _ = _backward(d_theta, sizes, inputs, np.concatenate([d_real, d_fake]))
    return value, grad


def g_loss_and_gradient(settings: Settings, g_theta: np.ndarray, d_theta: np.ndarray,
                        noise: np.ndarray) -> tuple[float, np.ndarray]:
    """G's loss (batch mean) on the fakes it makes from noise (b, noise_dim), and its gradient (P_g,)
    with respect to G's flat parameters g_theta. The gradient flows back through D, whose weights
    it leaves alone: D is the fixed judge of this step."""
    fake, g_inputs = _forward(g_theta, _sizes(settings, "g"), noise)
    d_sizes = _sizes(settings, "d")
    logits, d_inputs = _forward(d_theta, d_sizes, fake)
    values, d_logits = g_loss(settings.loss, logits)
    _, d_fake = _backward(d_theta, d_sizes, d_inputs, d_logits / len(fake), params=False)
    grad, _ = _backward(g_theta, _sizes(settings, "g"), g_inputs, d_fake)
    return float(np.mean(values)), grad


def _noise(rng: np.random.Generator, n: int, noise_dim: int) -> np.ndarray:
    return rng.standard_normal((n, noise_dim))


def _batches(state: State, data: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A batch of real points drawn from data and a batch of fresh fakes, each (batch, 2)."""
    settings = state.settings
    real = data[state.rng.integers(0, len(data), settings.batch_size)]
    noise = _noise(state.rng, settings.batch_size, settings.noise_dim)
    return real, _forward(state.g_theta, _sizes(settings, "g"), noise)[0]


def _record(state: State, d_value: float, g_value: float) -> None:
    state.history.append((state.iteration, d_value, g_value))
    if len(state.history) > HISTORY_CAP:
        # Thin the older half only: the recent curve keeps every iteration.
        half = HISTORY_CAP // 2
        state.history[:half] = state.history[:half:2]


# --- what the page draws -------------------------------------------------------------------------

def generated(state: State, n: int) -> np.ndarray:
    """n generated points (n, 2) from a fixed noise sample: frames show G moving, not noise changing.
    Does not touch the training random generator."""
    noise = _noise(np.random.default_rng(state.settings.seed), n, state.settings.noise_dim)
    return _forward(state.g_theta, _sizes(state.settings, "g"), noise)[0]


def d_verdicts(state: State, points: np.ndarray) -> np.ndarray:
    """D's verdict (n,) on points (n, 2), in [0, 1] with 1 = "real": σ(logit) for the cross-entropy
    losses, the raw output clipped to [0, 1] for lsgan (whose targets are 1 and 0)."""
    outputs = _forward(state.d_theta, _sizes(state.settings, "d"), points)[0][:, 0]
    return np.clip(outputs, 0.0, 1.0) if state.settings.loss == "lsgan" else _sigmoid(outputs)


def discriminator_grid(state: State, extent: tuple[float, float] = EXTENT,
                       resolution: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """D's verdicts over a square grid: (xs (r,), ys (r,), scores (r, r)) with scores[i, j] at
    (xs[j], ys[i]), Plotly's heatmap layout; scores as d_verdicts."""
    ticks = np.linspace(extent[0], extent[1], resolution)
    xs, ys = np.meshgrid(ticks, ticks)
    scores = d_verdicts(state, np.stack([xs.ravel(), ys.ravel()], axis=1))
    return ticks, ticks.copy(), scores.reshape(resolution, resolution)


def generator_gradients(state: State, points: np.ndarray) -> np.ndarray:
    """−∂loss_G/∂x (n, 2) at each point x (n, 2): the way G's loss pushes a fake sitting there.
    Per point, not divided by n; scale the arrows for display."""
    sizes = _sizes(state.settings, "d")
    logits, inputs = _forward(state.d_theta, sizes, points)
    _, d_logits = g_loss(state.settings.loss, logits)
    return -_backward(state.d_theta, sizes, inputs, d_logits, params=False)[1]


def losses(state: State) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The loss history: (iterations (k,), d_loss (k,), g_loss (k,)); older records thinned."""
    if not state.history:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0)
    iterations, d_values, g_values = zip(*state.history, strict=True)
    return np.array(iterations), np.array(d_values), np.array(g_values)


def modes_covered(points: np.ndarray, target: str, min_share: float = 0.25) -> int | None:
    """How many of the ring's or grid's modes hold at least min_share of their fair share of points
    (n, 2) within 3 σ of their centre; None for targets without modes."""
    centres = mode_centres(target)
    if centres is None:
        return None
    distances = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    counts = (distances < 3 * MODE_STD).sum(axis=0)
    return int((counts >= min_share * len(points) / len(centres)).sum())


def verdict_change(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, float]:
    """How D's verdicts moved between two grids (r, r) of discriminator_grid: after − before scaled
    into [-1, 1] by its largest magnitude (r, r), and that largest change (≥ 0, on D(x)'s 0–1 scale).
    Early on one D step moves the plane by a percent or two, invisible on the verdicts' own scale.
    Changes below MOVE_FLOOR are rounding, not learning: zeros and 0.0."""
    change = after - before
    largest = float(np.abs(change).max(initial=0.0))
    if largest < MOVE_FLOOR:
        return np.zeros_like(change), 0.0
    return change / largest, largest


# --- Play: a steady pace in iterations per second, whatever the refresh rate ----------------------

def iterations_due(pace: float, elapsed: float, seconds_per_iteration: float | None = None,
                   owed: float = 0.0) -> tuple[int, float]:
    """How many iterations one refresh of Play trains to keep `pace` iterations per second, `elapsed`
    seconds after the previous refresh, and the fraction of an iteration still owed: pass it back
    next time, so that 12 refreshes/s at 100/s train 100, not 96.

    At most MAX_LAG seconds are caught up: a pause, a slow first refresh or a hidden tab never
    brings a burst. Given what an iteration costs lately (seconds_per_iteration; None: not known yet),
    training takes at most COMPUTE_SHARE of the elapsed time, so heavy settings play slower rather
    than freeze the page. At least 1: Play never stands still."""
    elapsed = min(max(elapsed, 0.0), MAX_LAG)
    due = pace * elapsed + owed
    n = math.floor(due)
    if seconds_per_iteration:
        n = min(n, math.floor(COMPUTE_SHARE * elapsed / seconds_per_iteration))
    return max(n, 1), due - math.floor(due)


def measured_pace(ticks: Sequence[tuple[float, int]]) -> tuple[float, float] | None:
    """(refreshes per second, iterations per second) over ticks (seconds, iteration reached) of
    successive refreshes, oldest first; None until two ticks span some time."""
    if len(ticks) < 2 or ticks[-1][0] <= ticks[0][0]:
        return None
    span = ticks[-1][0] - ticks[0][0]
    return (len(ticks) - 1) / span, (ticks[-1][1] - ticks[0][1]) / span
