"""This machine's measured training speed, per architecture and batch shape: a short probe, a cache
in the runs root that real runs keep fresh, and the epochs a time budget buys. No TensorFlow here;
the probe itself runs in its own process (python -m gan.speed, started by gan.launcher)."""

import itertools
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from gan import data, pace, runs
from gan.config import RunConfig

MAX_AGE_SECONDS = 7 * 24 * 3600  # a measurement older than this is measured again
PROBE_SECONDS = 5.0  # timed training steps in a probe, after tracing
PROBE_ENV = "GAN_PROBE_SECONDS"  # a host's own probe length: shorter measures sooner, and noisier
SAVES_SECONDS = 0.2  # the grid, generator.keras and the checkpoint after each epoch (measured: 0.1-0.2 s)
BUDGETS_MINUTES = (1, 2, 5, 10)
MAX_MINUTES = 24 * 60  # the longest time budget
EXPECTED = data.ASSETS / "expected_quality.json"  # written by bench.time_to_quality
UNHASHED = ("epochs", "seed")  # settings the expected-quality table holds for any value


@dataclass(frozen=True)
class Speed:
    """How fast runs of one shape train here. seconds_per_image: wall time per training image
    with each epoch's saves and evaluation; startup_s: from the process's start to its first step
    (importing TensorFlow, loading data, tracing the step); source: "probe" or "run"."""

    seconds_per_image: float
    startup_s: float
    measured_at: float
    source: str

    def epoch_seconds(self, n_images: int) -> float:
        return self.seconds_per_image * n_images


def machine() -> str:
    """What the speed depends on besides the config: the CPU (model, family and model numbers,
    its widest vector ISA), the cores this process may use, and oneDNN's ISA cap if one is set."""
    info = {}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            name, _, value = line.partition(":")
            info.setdefault(name.strip(), value.strip())
    except OSError:
        pass
    model = info.get("model name") or platform.processor() or platform.machine()
    if "cpu family" in info:
        model += f" (family {info['cpu family']}, model {info.get('model', '?')})"
    flags = set(info.get("flags", "").split())
    widest = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "")
    return f"{model} · {widest} · {cores} core{'s' * (cores != 1)}" + (f" · oneDNN ≤ {cap}" if cap else "")


def key(cfg: RunConfig, root: Path) -> str:
    """The settings that change the cost of a training step, and the machine. The image shape of
    cfg's data counts too (colour 32 x 32 trains at about 0.67x the images per second of digits,
    bench.shape_speed): written only when it is not MNIST's, so older measurements stay valid."""
    shape = {name: getattr(cfg, name) for name in ("architecture", "batch_size", "d_steps", "latent_dim",
                                                   "conditional", "loss", "simultaneous")}
    shape["ema"] = cfg.ema_decay > 0
    image_shape = data_shape(cfg, root)
    if image_shape != data.IMAGE_SHAPE:
        shape["image_shape"] = list(image_shape)
    return json.dumps({"machine": machine(), **shape}, sort_keys=True)


def data_shape(cfg: RunConfig, root: Path) -> tuple[int, int, int]:
    """(height, width, channels) of cfg's images: an upload's from its stored meta.json (MNIST's if
    it is missing: the run cannot train then anyway), MNIST's and Fashion-MNIST's otherwise."""
    from gan import uploads

    if not cfg.dataset.startswith(uploads.PREFIX):
        return data.IMAGE_SHAPE
    meta = uploads.read_meta(root, cfg.dataset) or {}
    shape = meta.get("image_shape")
    return tuple(shape) if isinstance(shape, list) and len(shape) == 3 else data.IMAGE_SHAPE


def lookup(root: Path, cfg: RunConfig, now: float | None = None) -> Speed | None:
    """The cached speed for cfg's shape on this machine, or None if never measured or stale."""
    entry = runs.read_speeds(root).get(key(cfg, root))
    try:
        found = Speed(**entry) if isinstance(entry, dict) else None
    except TypeError:
        return None
    if found is None or (now or time.time()) - found.measured_at > MAX_AGE_SECONDS:
        return None
    return found


def record(root: Path, cfg: RunConfig, found: Speed) -> None:
    runs.record_speed(root, key(cfg, root), asdict(found))


@dataclass(frozen=True)
class Plan:
    """What a time budget buys: epochs, and the predicted wall time of the whole run in seconds."""

    epochs: int
    seconds: float


def plan(budget_s: float, found: Speed, n_images: int, elapsed_s: float = 0.0, startup_s: float | None = None) -> Plan:
    """The epochs whose predicted wall time, start-up included, comes closest to budget_s (at least one).

    elapsed_s: already spent (a command line that probed first); startup_s: what is still to come
    before the first step, by default the measured start-up.
    """
    startup = found.startup_s if startup_s is None else startup_s
    per_epoch = found.epoch_seconds(n_images)
    epochs = max(1, round((budget_s - elapsed_s - startup) / per_epoch))
    return Plan(epochs, elapsed_s + startup + epochs * per_epoch)


def estimate(found: Speed, cfg: RunConfig, minutes: float | None) -> Plan:
    """The plan for `minutes` of budget, or, without one, the predicted wall time of cfg.epochs."""
    if minutes is None:
        return Plan(cfg.epochs, found.startup_s + cfg.epochs * found.epoch_seconds(cfg.n_images))
    return plan(minutes * 60, found, cfg.n_images)


def expected(cfg: RunConfig) -> list[dict]:
    """What bench/time_to_quality.py measured for cfg's settings, one row per reference machine: the
    checkpoint with the most epochs not above cfg.epochs (machine, epochs, seconds, fdd, floor,
    score, confident). Empty for settings it never measured."""
    try:
        table = json.loads(EXPECTED.read_text())
        measured = {k: v for k, v in table["config"].items() if k not in UNHASHED}
    except (OSError, ValueError, KeyError, AttributeError):
        return []
    if {k: v for k, v in cfg.to_dict().items() if k not in UNHASHED} != measured:
        return []
    found = []
    for reference in table.get("machines", []):
        rows = [row for row in reference.get("rows", []) if row.get("epochs", 1e9) <= cfg.epochs]
        if rows:
            found.append({"machine": reference.get("machine", "?"), **max(rows, key=lambda row: row["epochs"])})
    return found


def from_probe(images_per_s: float, eval_seconds: float, n_images: int, startup_s: float) -> Speed:
    """A Speed from a probe's step rate: each epoch adds its saves and evaluations at their share."""
    epoch = n_images / images_per_s
    epoch += SAVES_SECONDS + min(eval_seconds, pace.EVAL_SHARE * epoch)
    return Speed(epoch / n_images, startup_s, time.time(), "probe")


def from_run(seconds_per_epoch: float, n_images: int, startup_s: float) -> Speed:
    return Speed(seconds_per_epoch / n_images, startup_s, time.time(), "run")


def probe_seconds() -> float:
    """How long a probe times training steps: PROBE_SECONDS, or $GAN_PROBE_SECONDS (0.2 to 60)."""
    try:
        return min(max(float(os.environ.get(PROBE_ENV) or PROBE_SECONDS), 0.2), 60.0)
    except ValueError:
        return PROBE_SECONDS


def probe(cfg: RunConfig, started: float, root: Path, seconds: float = PROBE_SECONDS) -> Speed:
    """Measure cfg's shape here: trace and time training steps on its data (the bundled digits for
    MNIST and Fashion-MNIST, an upload as stored under root) for about `seconds`, and one quality
    evaluation as its runs make it. `started`: the process's start (time.time())."""
    import numpy as np
    import tensorflow as tf

    from gan import quality, scoring, training, uploads

    # MNIST and Fashion-MNIST cost the same per step: the bundled digits stand in without a download.
    source = data.load(cfg.dataset, root) if cfg.dataset.startswith(uploads.PREFIX) else data.load_bundled()
    dataset = data.subset(source, min(cfg.n_images, 2048), cfg.seed)
    gan = training.GAN(cfg, dataset.image_shape, len(dataset.class_names))
    gan.compile()
    step = gan.step_function()
    images, labels = tf.constant(data.to_images(dataset.pixels)), tf.constant(dataset.labels.astype(np.int32))
    batches = itertools.chain.from_iterable(training.epoch_batches(dataset, cfg, epoch, images, labels)
                                            for epoch in itertools.count())
    step(next(batches))
    float(gan.d_loss_tracker.result())
    startup = time.time() - started
    steps, clock = 0, time.perf_counter()
    while time.perf_counter() - clock < seconds:
        step(next(batches))
        steps += 1
    float(gan.d_loss_tracker.result())
    rate = steps * cfg.batch_size * cfg.d_steps / (time.perf_counter() - clock)
    scorer = scoring.Scorer(dataset, quality.eval_samples(), seed=0)
    scorer.prepare()  # once per run, as in training: not part of an evaluation's cost
    clock = time.perf_counter()
    scorer.evaluate(gan.sampler, 1, 0.0)
    return from_probe(rate, time.perf_counter() - clock, cfg.n_images, startup)


def measure(root: Path, cfg: RunConfig, started: float) -> Speed:
    """The cached speed for cfg's shape, probed and cached first if missing or stale."""
    with runs.speed_probe_lock(root):
        found = lookup(root, cfg)
        if found is None:
            found = probe(cfg, started, root, probe_seconds())
            record(root, cfg, found)
    return found


def main(argv: list[str] | None = None) -> int:
    started = time.time()
    import argparse

    parser = argparse.ArgumentParser(prog="gan.speed", description="Measure and cache this machine's training speed.")
    parser.add_argument("--runs-dir", help=f"runs root holding the cache (default ${runs.ROOT_ENV} or ./runs)")
    parser.add_argument("--config", default="{}", help="the run config as JSON (default: the quick preset)")
    args = parser.parse_args(argv)
    cfg = RunConfig.from_dict(json.loads(args.config))
    root = runs.resolve_root(args.runs_dir)
    root.mkdir(parents=True, exist_ok=True)
    from gan import cli

    cli.import_tensorflow_quietly()
    found = measure(root, cfg, started)
    print(json.dumps({"machine": machine(), **asdict(found)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
