"""Refreshes per second of the toy GAN engine (gan/toy.py): what one redraw of the Concepts page's
toy costs before Plotly and Streamlit add theirs, and whether the guided experiments show what
they claim.

Run from the repository root (about 2 minutes, most of it the largest settings; --experiments
adds about 10 minutes at 12 seeds):
    python -m bench.toy_speed [--iterations 10] [--resolution 60] [--frames 300] [--experiments [--seeds 8]]

A frame is what the page's fragment does per refresh: `--iterations` training iterations, D's
heatmap over a --resolution² grid, 512 generated points, G's gradient arrows on 64 of them and the
loss history. It prints the median and 90th-percentile frame time, refreshes per second (from the
median) and each part's median milliseconds, for the default settings and a few heavier ones.
With --experiments it replays each guided experiment on several seeds and prints how many modes
of the target the generated points cover, how many fakes D rejects outright (score < 0.05) and
the range of D's recent loss, next to the same settings with the other cross-entropy loss and
the defaults on the same target. It prints figures; it asserts nothing.
"""

import argparse
import statistics
import time

import numpy as np

from gan import toy

N_POINTS, N_ARROWS = 512, 64
OTHER_LOSS = {"nonsat": "minimax", "minimax": "nonsat"}  # an experiment's loss swapped, for contrast
WARMUP = 200  # iterations before timing: the first steps of Adam are no cheaper, but caches are cold
SETTINGS = {
    "default": {},
    "d_steps=5": {"d_steps": 5},
    "hidden=64": {"hidden": 64},
    "layers=3, batch=256": {"layers": 3, "batch_size": 256},
    "largest allowed": {"hidden": 64, "layers": 3, "batch_size": 512, "d_steps": 5},
}


def frame(state: toy.State, data: np.ndarray, iterations: int, resolution: int) -> dict[str, float]:
    """One refresh, timed part by part (seconds)."""
    times, start = {}, time.perf_counter()
    toy.step(state, data, n=iterations)
    times["train"], start = time.perf_counter() - start, time.perf_counter()
    toy.discriminator_grid(state, resolution=resolution)
    times["heatmap"], start = time.perf_counter() - start, time.perf_counter()
    points = toy.generated(state, N_POINTS)
    times["points"], start = time.perf_counter() - start, time.perf_counter()
    toy.generator_gradients(state, points[:N_ARROWS])
    times["arrows"], start = time.perf_counter() - start, time.perf_counter()
    toy.losses(state)
    times["losses"] = time.perf_counter() - start
    return times


def bench_speed(iterations: int, resolution: int, frames: int) -> None:
    print(f"frame = {iterations} iterations + {resolution}x{resolution} heatmap + {N_POINTS} points "
          f"+ {N_ARROWS} arrows + loss history; {frames} frames each")
    print(f"{'settings':<22}{'refreshes/s':>12}{'median ms':>11}{'p90 ms':>8}   per part, median ms")
    for name, changes in SETTINGS.items():
        state = toy.init(toy.Settings(**changes))
        data = toy.sample_target(state.settings.target, 2000, np.random.default_rng(0))
        toy.step(state, data, n=WARMUP)
        parts = [frame(state, data, iterations, resolution) for _ in range(frames)]
        totals = [sum(part.values()) for part in parts]
        median = statistics.median(totals)
        p90 = statistics.quantiles(totals, n=10)[-1]
        detail = "  ".join(f"{key} {statistics.median(p[key] for p in parts) * 1e3:.2f}" for key in parts[0])
        print(f"{name:<22}{1 / median:>12.0f}{median * 1e3:>11.2f}{p90 * 1e3:>8.2f}   {detail}")


def replay(settings: toy.Settings, checkpoints: list[int]) -> list[tuple[int, float, float]]:
    """(modes covered, share of fakes with D's score < 0.05, D's mean loss over the last 200
    iterations) at each checkpoint of one run."""
    state = toy.init(settings)
    data = toy.sample_target(settings.target, 4000, np.random.default_rng(1000 + settings.seed))
    done, results = 0, []
    for checkpoint in checkpoints:
        toy.step(state, data, n=checkpoint - done)
        done = checkpoint
        points = toy.generated(state, 2000)
        rejected = float(np.mean(toy.d_verdicts(state, points) < 0.05))
        results.append((toy.modes_covered(points, settings.target), rejected, toy.losses(state)[1][-200:].mean()))
    return results


def bench_experiments(seeds: int) -> None:
    for name, experiment in toy.EXPERIMENTS.items():
        target = experiment.settings["target"]
        end = experiment.iterations
        checkpoints = [end // 4, end // 2, end]
        print(f"\n{name}\n  {experiment.settings}")
        variants = {"experiment": experiment.settings,
                    "other loss": {**experiment.settings, "loss": OTHER_LOSS[experiment.settings["loss"]]}}
        if toy.Settings.from_dict(experiment.settings) != toy.Settings(target=target):
            variants["defaults"] = {"target": target}
        for label, changes in variants.items():
            runs = [replay(toy.Settings(**{**changes, "seed": seed}), checkpoints) for seed in range(seeds)]
            for index, checkpoint in enumerate(checkpoints):
                modes = [run[index][0] for run in runs]
                rejected = statistics.mean(run[index][1] for run in runs)
                d_losses = [run[index][2] for run in runs]
                print(f"  {label:<10} after {checkpoint:>4} iterations: modes covered {modes} "
                      f"(mean {statistics.mean(modes):.1f} of {len(toy.mode_centres(target))}); "
                      f"fakes with D < 0.05: {rejected:.0%}; D loss {min(d_losses):.2f}–{max(d_losses):.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=10, help="training iterations per refresh")
    parser.add_argument("--resolution", type=int, default=60, help="heatmap grid points per side")
    parser.add_argument("--frames", type=int, default=300, help="refreshes timed per setting")
    parser.add_argument("--experiments", action="store_true", help="also replay the guided experiments")
    parser.add_argument("--seeds", type=int, default=8, help="seeds per guided experiment")
    args = parser.parse_args()
    bench_speed(args.iterations, args.resolution, args.frames)
    if args.experiments:
        bench_experiments(args.seeds)


if __name__ == "__main__":
    main()
