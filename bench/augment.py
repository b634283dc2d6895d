"""Does differentiable augmentation help on small data? The quick preset trained on 500 and on 2,000
of the bundled digits, with augmentation off and on, for the same training time each, scored by the
shipped classifier on 2,000 samples.

Run from the repository root (CPU; about 2 sizes × 2 arms × seeds × --seconds, plus scoring and a
minute for the cost):
    python -m bench.augment [--seconds 180] [--sizes 500,2000] [--seeds 0,1] [--policy color,translation,cutout]
(--seconds 0: only the cost per step.)

Runs alternate off, on, off, on… (each pair's first arm alternating too), so a machine shared with
other jobs slows both alike; each row shows the load average at its end. Training time includes
the step's tracing (a user waits for it too) and excludes the scoring. It prints, per run: images,
seed, policy, steps reached, ms per step, FDD, classifier score and confident share at each mark;
then each cell's mean over seeds; last, augmentation's cost per step, timed in one process on blocks
of steps taken in turn with and without it (the median block), so the machine's load changes both
alike. It prints figures; it asserts nothing.
"""

import argparse
import os
import statistics
import time

import numpy as np
import tensorflow as tf

from bench.time_to_quality import print_machine, train_for
from gan import config, data, quality, training

COST_BLOCK, COST_ROUNDS = 20, 10  # steps per timed block, blocks per arm


def run(size: int, policy: str, seed: int, marks: list[float]) -> dict:
    cfg = config.preset("quick", n_images=size, augment=policy, seed=seed, epochs=1000)
    curve = train_for(policy, cfg, marks)
    steps = curve.images_seen // (cfg.batch_size * cfg.d_steps)
    return {"size": size, "policy": policy, "seed": seed, "steps": steps,
            "ms_per_step": 1000 * curve.train_seconds / steps, "points": curve.points, "load": os.getloadavg()}


def print_row(row: dict) -> None:
    marks = "  ".join(f"{seconds:>4.0f}s FDD {s['fdd']:>6.2f} score {s['score']:>4.2f} conf {s['confident']:>4.0%}"
                      for seconds, _, s in row["points"])
    load = " ".join(f"{value:.1f}" for value in row["load"])
    print(f"{row['size']:>6} {row['seed']:>4} {row['policy']:>24} {row['steps']:>6} {row['ms_per_step']:>6.1f}  "
          f"{marks}  load {load}", flush=True)


def print_summary(rows: list[dict], policy: str) -> None:
    print("\nMean over seeds at the last mark (FDD lower is better; score max 10):")
    print(f"{'images':>6} {'augment':>24} {'seeds':>5} {'steps':>6} {'ms/step':>7} {'FDD':>6} {'score':>5} {'conf':>5}")
    for size in sorted({row["size"] for row in rows}):
        for arm in ("off", policy):
            cell = [row for row in rows if row["size"] == size and row["policy"] == arm]
            last = [row["points"][-1][2] for row in cell]
            print(f"{size:>6} {arm:>24} {len(cell):>5} {statistics.mean(r['steps'] for r in cell):>6.0f} "
                  f"{statistics.mean(r['ms_per_step'] for r in cell):>7.1f} "
                  f"{statistics.mean(s['fdd'] for s in last):>6.2f} {statistics.mean(s['score'] for s in last):>5.2f} "
                  f"{statistics.mean(s['confident'] for s in last):>5.0%}")
    floor = quality.real_floor()
    print(f"Real floor (2,000 held-out real digits): FDD {floor['fdd']:.2f}, score {floor['score']:.2f}")


def print_cost(policy: str) -> None:
    """ms per training step of the quick preset with and without `policy`, blocks of COST_BLOCK
    steps in turn on the same batches, after one traced step each."""
    dataset = data.subset(data.load_bundled(), 2000, 0)
    images_tensor = tf.constant(data.to_images(dataset.pixels))
    labels_tensor = tf.constant(dataset.labels.astype(np.int32))
    steps, blocks, cpu = {}, {}, {}
    for arm in ("off", policy):
        cfg = config.preset("quick", n_images=2000, augment=arm)
        gan = training.GAN(cfg)
        gan.compile()
        steps[arm], blocks[arm], cpu[arm] = gan.step_function(), [], []
        batches = list(training.epoch_batches(dataset, cfg, 0, images_tensor, labels_tensor))[:COST_BLOCK]
        steps[arm](batches[0])
    for _ in range(COST_ROUNDS):
        for arm in steps:
            clock, cpu_clock = time.perf_counter(), time.process_time()
            for batch in batches:
                result = steps[arm](batch)
            float(result["d_loss"])  # wait for the last step
            blocks[arm].append(1000 * (time.perf_counter() - clock) / len(batches))
            cpu[arm].append(1000 * (time.process_time() - cpu_clock) / len(batches))
    print(f"\nAugmentation's cost per step (median of {COST_ROUNDS} blocks of {COST_BLOCK} steps, taken in turn; "
          f"CPU time is this process's, all threads, and depends less on other jobs): load {os.getloadavg()[0]:.1f}")
    for name, times in (("wall", blocks), ("CPU", cpu)):
        off, on = (statistics.median(times[arm]) for arm in ("off", policy))
        print(f"  {name:>4}: {on:.1f} ms with {policy}, {off:.1f} ms off ({on / off - 1:+.0%})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180.0, help="training time per run (180)")
    parser.add_argument("--sizes", default="500,2000", help="training images per run")
    parser.add_argument("--seeds", default="0,1", help="one pair of runs per size and seed")
    parser.add_argument("--policy", default="color,translation,cutout", choices=config.AUGMENTS[1:])
    args = parser.parse_args(argv)
    os.environ.setdefault("GAN_BUNDLED_DATA", "1")
    marks = sorted({args.seconds / 3, 2 * args.seconds / 3, args.seconds})
    print_machine()
    if args.seconds == 0:
        print_cost(args.policy)
        return
    print(f"quick preset, {args.seconds:.0f} s of training per run; scored on {quality.EVAL_SAMPLES:,} samples")
    print(f"{'images':>6} {'seed':>4} {'augment':>24} {'steps':>6} {'ms/st':>6}  quality at each mark of training time")
    rows, pair = [], 0
    for seed in (int(s) for s in args.seeds.split(",")):
        for size in (int(s) for s in args.sizes.split(",")):
            arms = ("off", args.policy) if pair % 2 == 0 else (args.policy, "off")
            pair += 1
            for arm in arms:
                rows.append(run(size, arm, seed, marks))
                print_row(rows[-1])
    print_summary(rows, args.policy)
    print_cost(args.policy)


if __name__ == "__main__":
    main()
