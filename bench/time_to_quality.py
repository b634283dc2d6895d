"""Time to quality on this machine: the `tutorial` and `quick` presets trained one after the other
for the same training time on the bundled digits, then `quick` through the real command line with
time budgets, to check its end-time predictions.

Run from the repository root (CPU; about 2 × --seconds plus the budget runs):
    python -m bench.time_to_quality [--seconds 300] [--marks 60,120,300] [--budgets 2,5] [--write]
Imitate a slower machine with oneDNN's ISA cap and fewer cores, for example:
    ONEDNN_MAX_CPU_ISA=AVX2 taskset -c 0 python -m bench.time_to_quality

It prints, in this order:
  1. the machine: CPU model, usable cores, ISA flags, oneDNN's cap;
  2. quality at equal training time: FDD, classifier score, confident share and the smallest and
     largest class share of 2,000 samples of each preset's sampler, at each mark (evaluation time
     excluded), with the epochs reached and images/s, and the real-digit floor; for quick also at
     early marks (5, 10, ... s), to time how soon it reaches tutorial's final FDD;
  3. that time and the ratio to tutorial's;
  4. for each budget: `python -m gan.train --preset quick --minutes M` in a fresh runs folder (so
     it probes the speed first, as on a new machine): its predicted and actual wall time, the ETA
     it printed after each epoch against the real time left, per-epoch overhead (everything but
     training steps, from the second epoch on), and the quality of its final generator.
With --write, the quick rows go into gan/assets/expected_quality.json for this machine, which the
Train form quotes. It prints figures; it asserts nothing.
"""

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from gan import config, data, quality, runs, sampling, speed, training

REPO = Path(__file__).resolve().parents[1]
EARLY_MARKS = (5, 10, 15, 20, 25, 30, 45)
EPOCH_LINE = re.compile(r"^epoch +(?P<epoch>\d+)/\d+ .* elapsed (?P<elapsed>\S+) +ETA (?P<eta>\S+)")


@dataclass
class Curve:
    """One preset's training: quality at each mark (training seconds, epochs, scores) and throughput."""

    name: str
    cfg: config.RunConfig
    points: list = field(default_factory=list)
    images_seen: int = 0
    train_seconds: float = 0.0

    @property
    def images_per_s(self) -> float:
        return self.images_seen / self.train_seconds

    def time_to_fdd(self, target: float) -> float | None:
        """Training seconds of the first mark whose FDD is at most target, or None."""
        return next((seconds for seconds, _, scores in self.points if scores["fdd"] <= target), None)


def train_for(name: str, cfg: config.RunConfig, marks: list[float]) -> Curve:
    """Train cfg with the product's compiled step on the bundled digits, scoring at each mark of
    training time (tracing included: a user waits for it too; evaluations excluded)."""
    keras.utils.set_random_seed(cfg.seed)
    dataset = data.subset(data.load_bundled(), cfg.n_images, cfg.seed)
    images_tensor = tf.constant(data.to_images(dataset.pixels))
    labels_tensor = tf.constant(dataset.labels.astype(np.int32))
    gan = training.GAN(cfg)
    gan.compile()
    step = gan.step_function()
    curve, pending, epoch = Curve(name, cfg), sorted(marks), 0
    while pending:
        for batch in training.epoch_batches(dataset, cfg, epoch, images_tensor, labels_tensor):
            clock = time.perf_counter()
            step(batch)
            if curve.train_seconds + (time.perf_counter() - clock) >= pending[0]:
                float(gan.d_loss_tracker.result())  # wait for the step before reading the clock
            curve.train_seconds += time.perf_counter() - clock
            curve.images_seen += cfg.batch_size * cfg.d_steps
            if curve.train_seconds >= pending[0]:
                scores = quality.evaluate_generator(gan.sampler, n=quality.EVAL_SAMPLES, seed=0)
                curve.points.append((pending.pop(0), curve.images_seen / len(dataset.pixels), scores))
                if not pending:
                    break
        epoch += 1
    return curve


def classes(scores: dict) -> str:
    return f"{min(scores['histogram']):.1%}–{max(scores['histogram']):.1%}"


def print_quality_table(curves: list[Curve]) -> None:
    floor = quality.real_floor()
    print("Quality at equal training time (2,000 samples; FDD lower is better, score max 10;")
    print("conf = share with top probability > 0.9; classes = smallest–largest class share)")
    for curve in curves:
        print(f"  {curve.name} ({curve.images_per_s:,.0f} images/s)")
        print(f"  {'train s':>8} {'epochs':>6} {'FDD':>7} {'score':>5} {'conf':>5} {'classes':>13}")
        for seconds, epochs, s in curve.points:
            print(f"  {seconds:>8.0f} {epochs:>6.1f} {s['fdd']:>7.2f} {s['score']:>5.2f} {s['confident']:>5.0%} "
                  f"{classes(s):>13}")
    print(f"  {'real':>8} {'':>6} {floor['fdd']:>7.2f} {floor['score']:>5.2f} {floor['confident']:>5.0%} "
          f"{classes(floor):>13}   (2,000 held-out real digits)")


def seconds_of(text: str) -> float:
    """cli.duration's '1h02m', '3m05s' or '42s' back to seconds."""
    match = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?", text)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def run_budget(minutes: float) -> dict:
    """`python -m gan.train --preset quick --minutes M` in a fresh runs folder, timed from outside;
    each epoch's line is stamped as it arrives, to compare its ETA with the real end."""
    with tempfile.TemporaryDirectory() as root:
        clock = time.time()
        process = subprocess.Popen([sys.executable, "-m", "gan.train", "--preset", "quick", "--minutes", str(minutes),
                                    "--runs-dir", root], cwd=REPO, stdout=subprocess.PIPE, text=True)
        lines = [(time.time(), line.strip()) for line in process.stdout]
        process.wait()
        wall = time.time() - clock
        said = next(line for _, line in lines if line.startswith("budget"))
        epochs = [(at, EPOCH_LINE.search(line)) for at, line in lines if EPOCH_LINE.search(line)]
        # (epoch, wall clock, training seconds, ETA) for each epoch line
        stamped = [(int(m["epoch"]), at, seconds_of(m["elapsed"]), seconds_of(m["eta"])) for at, m in epochs]
        run_dir = Path(lines[-1][1])
        scores = quality.evaluate_generator(sampling.load_generator(run_dir / "generator.keras"),
                                            n=quality.EVAL_SAMPLES, seed=0)
        (first, first_at, first_train, _), (last, last_at, last_train, _) = stamped[0], stamped[-1]
        overhead = 1 - (last_train - first_train) / (last_at - first_at) if last > first else float("nan")
        return {"said": said, "wall": wall, "epochs": runs.read_config(run_dir).epochs, "scores": scores,
                "overhead": overhead, "etas": [(e, eta, clock + wall - at) for e, at, _, eta in stamped[:-1]]}


def write_expected(curve: Curve, floor: float) -> None:
    """Record quick's marks for this machine in gan/assets/expected_quality.json (other machines kept)."""
    try:
        table = json.loads(speed.EXPECTED.read_text())
    except (OSError, ValueError):
        table = {}
    if table.get("config") != curve.cfg.to_dict():
        table = {"config": curve.cfg.to_dict(), "machines": []}
    rows = [{"seconds": seconds, "epochs": round(epochs, 1), "fdd": round(s["fdd"], 2), "floor": round(floor, 2),
             "score": round(s["score"], 2), "confident": round(s["confident"], 3)}
            for seconds, epochs, s in curve.points]
    machines = [m for m in table["machines"] if m["machine"] != speed.machine()]
    table["machines"] = [*machines, {"machine": speed.machine(), "rows": rows}]
    speed.EXPECTED.write_text(json.dumps(table, indent=1) + "\n")
    print(f"\nwrote {len(rows)} rows for this machine to {speed.EXPECTED.relative_to(REPO)}")


def print_machine() -> None:
    flags = set()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("flags"):
            flags = set(line.split(":", 1)[1].split())
            break
    isa = ", ".join(f for f in ("avx512f", "avx512_bf16", "avx2", "fma", "sse4_1") if f in flags)
    print(f"Machine: {speed.machine()}; CPU flags: {isa}; TensorFlow {tf.__version__}", flush=True)
    print("  (oneDNN's ISA cap slows TensorFlow's convolutions, not XLA; taskset limits the cores)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0, help="training time per preset (300; 0: budgets only)")
    parser.add_argument("--marks", default="60,120,300", help="score at these training seconds")
    parser.add_argument("--budgets", default="2,5", help="--minutes runs to check the end-time prediction")
    parser.add_argument("--write", action="store_true", help="record quick's rows in gan/assets/expected_quality.json")
    args = parser.parse_args(argv)
    marks = sorted({float(m) for m in args.marks.split(",") if m and float(m) <= args.seconds} | {args.seconds})
    print_machine()

    if args.seconds > 0:  # 0: only the budget runs
        early = [m for m in EARLY_MARKS if m < args.seconds]
        curves = [train_for("tutorial", config.preset("tutorial"), marks),
                  train_for("quick", config.preset("quick"), sorted({*early, *marks}))]
        print()
        print_quality_table(curves)
        target = curves[0].points[-1][2]["fdd"]
        tutorial_time = curves[0].time_to_fdd(target)
        reached = curves[1].time_to_fdd(target)
        print(f"\nTraining time to reach the tutorial preset's {args.seconds:.0f}-s FDD ({target:.2f}):")
        if reached is None:
            print(f"  quick: not reached in {args.seconds:.0f} s")
        else:
            bound = "≤ " if reached == curves[1].points[0][0] else ""
            print(f"  quick: {bound}{reached:.0f} s vs tutorial {tutorial_time:.0f} s -> "
                  f"{'≥ ' if bound else ''}{tutorial_time / reached:.0f}× sooner")
        if args.write:
            write_expected(curves[1], quality.real_floor()["fdd"])

    for minutes in (float(m) for m in args.budgets.split(",") if m):
        result = run_budget(minutes)
        wall, budget = result["wall"], minutes * 60
        s = result["scores"]
        print(f"\n--minutes {minutes:g}: {result['said']}")
        print(f"  wall time {wall:.0f} s for a {budget:.0f}-s budget ({wall / budget - 1:+.0%}), "
              f"{result['epochs']} epochs; per-epoch overhead (all but training steps) {result['overhead']:.1%}")
        for epoch, eta, real in result["etas"]:
            print(f"  after epoch {epoch:>2}: ETA {eta:>4.0f} s, real {real:>4.0f} s ({eta / max(real, 1) - 1:+.0%})")
        print(f"  final quality: FDD {s['fdd']:.2f}, score {s['score']:.2f}, {s['confident']:.0%} confident, "
              f"classes {classes(s)}")


if __name__ == "__main__":
    main()
