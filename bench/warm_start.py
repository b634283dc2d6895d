"""Cold against warm starts (gan.warmstart): how long a tiny run started by the launcher takes from
the click to its end and to its first step, as a new Python and as a child forked from a helper that
has loaded TensorFlow, in turn; the helper's own load and memory; and, with --forks N, N children
forked from one helper that each trace and run a small TensorFlow step on TensorFlow's default
thread pools, counting any that hang or fail (TensorFlow does not promise that a fork works).

Run from the repository root (about a minute, more with --forks):
    python -m bench.warm_start [--rounds 5] [--forks 0]
Imitate a slower host: ONEDNN_MAX_CPU_ISA=AVX2 taskset -c 0 python -m bench.warm_start
It prints figures; it asserts nothing.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from gan import launcher, runs, speed, warmstart
from gan.config import RunConfig

TINY = {"n_images": 64, "batch_size": 16, "latent_dim": 8, "epochs": 1, "conditional": False}
HANG_SECONDS = 120.0
STEP = """
import sys
import tensorflow as tf
import keras
model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                          keras.layers.Flatten(), keras.layers.Dense(1)])
@tf.function
def gradients(x):
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x) ** 2)
    return tape.gradient(loss, model.trainable_variables)
for _ in range(5):
    gradients(tf.random.normal((64, 28, 28, 1)))
open(sys.argv[1], "w").write("ok")
"""


def timed_run(root: Path, seed: int, warm: bool) -> tuple[float, float, float]:
    """(seconds to the first step's end, seconds to the end, the trainer's peak MB) of a tiny run."""
    os.environ[warmstart.ENV] = "1" if warm else "0"
    clock = time.perf_counter()
    run_dir = launcher.submit(root, RunConfig(**TINY, seed=seed)).run_dir
    first = None
    while (status := runs.read_status(run_dir)).active or status.state == "waiting":
        if first is None and status.step:
            first = time.perf_counter() - clock
        time.sleep(0.02)
    if status.state != "finished":
        raise SystemExit(f"bench.warm_start: run {run_dir.name} ended {status.state}: {status.error}")
    end = time.perf_counter() - clock
    return first or end, end, status.peak_memory_mb or float("nan")


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, anonymous) MB of a process (smaps_rollup): anonymous is its own heap and stacks; the
    rest is mapped from files (TensorFlow's libraries), which the kernel can drop and read again."""
    fields = {line.split(":")[0]: int(line.split()[1]) / 1024
              for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]}
    return fields["Rss"], fields["Anonymous"]


def forks(count: int, scratch: Path) -> None:
    """count children of one helper, four at a time, each running STEP; reports hangs and failures."""
    module = scratch / "bench_fork_step.py"
    module.write_text(STEP)
    env = {**launcher.child_env(), "PYTHONPATH": f"{scratch}{os.pathsep}{launcher.child_env()['PYTHONPATH']}"}
    for name in ("TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS", "OPENBLAS_NUM_THREADS"):
        env.pop(name, None)  # TensorFlow's own pools, as on a laptop
    warmstart.prepare(env)
    warmstart.start("bench_fork_step", [str(scratch / "warm-up")], env, scratch / "warm-up.log", wait=HANG_SECONDS)
    running, bad, started, clock = {}, [], 0, time.perf_counter()
    while started < count or running:
        while len(running) < 4 and started < count:
            done_file = scratch / f"fork-{started}.ok"
            pid = warmstart.start("bench_fork_step", [str(done_file)], env, scratch / f"fork-{started}.log")
            if pid is None:
                raise SystemExit("bench.warm_start: the helper stopped forking")
            running[pid], started = (done_file, time.perf_counter()), started + 1
        for pid, (done_file, since) in list(running.items()):
            if not Path(f"/proc/{pid}").exists():
                bad += [] if done_file.exists() else [f"{done_file.stem} failed"]
                del running[pid]
            elif time.perf_counter() - since > HANG_SECONDS:
                os.kill(pid, 9)
                bad.append(f"{done_file.stem} hung")
                del running[pid]
        time.sleep(0.02)
    print(f"{count} forked children ran a traced step on default thread pools in "
          f"{time.perf_counter() - clock:.0f} s: {len(bad)} hung or failed {bad[:5]}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.warm_start", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--forks", type=int, default=0, help="also fork this many children that run a step")
    args = parser.parse_args()
    print(f"machine: {speed.machine()}")
    os.environ.update({"GAN_BUNDLED_DATA": "1", "GAN_EVAL_SAMPLES": "256", launcher.NICE_ENV: "0"})
    with tempfile.TemporaryDirectory(prefix="warm_start_") as scratch:
        root = Path(scratch) / "runs"
        clock = time.perf_counter()
        launcher.warm_up()
        helper = warmstart._helper
        if helper is None or not helper.loaded(wait=HANG_SECONDS):
            raise SystemExit("bench.warm_start: no warm-start helper here (not Linux, or GAN_WARM_START=0?)")
        resident, anonymous = memory_mb(helper.process.pid)
        print(f"helper loaded in {time.perf_counter() - clock:.2f} s; resident {resident:.0f} MB, of which "
              f"{anonymous:.0f} MB its own heap (the rest mapped from TensorFlow's library files)")
        times = {"cold": [], "warm": []}
        for round_ in range(args.rounds):
            for way in ("cold", "warm"):  # in turn, so that a busy machine slows both alike
                times[way].append(timed_run(root, 1000 + 2 * round_ + (way == "warm"), way == "warm"))
        for way, rows in times.items():
            first, end, peak = (statistics.median(column) for column in zip(*rows, strict=True))
            print(f"{way}: click to first step {first:.2f} s, to the end {end:.2f} s (medians of {len(rows)}); "
                  f"trainer's peak {peak:.0f} MB")
        cold, warm = (statistics.median(row[0] for row in times[way]) for way in ("cold", "warm"))
        print(f"warm / cold, click to first step: {warm / cold:.2f}")
        if args.forks:
            forks(args.forks, Path(scratch))
        warmstart.stop()


if __name__ == "__main__":
    main()
