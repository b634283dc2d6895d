"""Does the random-feature distance and the memorisation check behave, and what do they cost?

Run from the repository root (about 2 minutes on 2 cores):
    python -m bench.feature_distance [--repeats 3]

On two datasets, each split into training images and 2,000 held out: the bundled MNIST digits
(28 x 28 grey, 8,000 + 2,000) and 12,000 synthetic colour shapes made here (32 x 32: a disc,
square or triangle of random colour, size and position on a random dark background; 10,000 +
2,000). For each, at 256 and 2,000 samples, it prints the random-feature distance (gan.features)
and the near-copy share and median nearest-training distance (gan.memorisation) of:
  held-out real images (should be small: the floor), the training images themselves, the held-out
  images blurred (3 x 3 box) and shifted by 4 pixels, one held-out image repeated (mode collapse),
  uniform noise, and training images with a little noise added (copies: near-copy share ~1).
Then the seconds each takes per evaluation against the training images (median of --repeats;
wall and CPU time), the once-per-run preparation, and for the digits the classifier's own
evaluation (gan.quality.score) for comparison. It prints figures; it asserts nothing.
"""

import argparse
import statistics
import time

import numpy as np

from gan import data, features, memorisation, quality, scoring

N_TRAIN, N_HELD = 10_000, 2_000
SIZES = (256, 2000)


def shapes(n: int, seed: int, side: int = 32) -> np.ndarray:
    """uint8 (n, side, side, 3): one disc, square or triangle of random colour, size and position
    on a random dark background per image."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:side, :side]
    out = np.empty((n, side, side, 3), np.uint8)
    for i in range(n):
        background = rng.integers(0, 90, 3)
        colour = rng.integers(60, 256, 3)
        radius = rng.uniform(4, 10)
        cy, cx = rng.uniform(radius, side - radius, 2)
        kind = rng.integers(3)
        if kind == 0:
            inside = (yy - cy) ** 2 + (xx - cx) ** 2 <= radius**2
        elif kind == 1:
            inside = (abs(yy - cy) <= radius * 0.8) & (abs(xx - cx) <= radius * 0.8)
        else:
            inside = (yy >= cy - radius) & (yy <= cy + radius) & (abs(xx - cx) <= (yy - cy + radius) / 2)
        out[i] = np.where(inside[..., None], colour, background)
    return out


def blur(pixels: np.ndarray) -> np.ndarray:
    """A 3 x 3 box blur of uint8 (n, h, w[, c]), edges repeated."""
    pad = ((0, 0), (1, 1), (1, 1)) + ((0, 0),) * (pixels.ndim - 3)
    padded = np.pad(pixels.astype(np.float32), pad, mode="edge")
    h, w = pixels.shape[1:3]
    total = sum(padded[:, i:i + h, j:j + w] for i in range(3) for j in range(3))
    return np.clip(np.round(total / 9), 0, 255).astype(np.uint8)


def cases(train: np.ndarray, held: np.ndarray, n: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    copies = train[rng.choice(len(train), n, replace=False)].astype(np.int16)
    return {
        "held-out real": held[:n],
        "training images": train[rng.choice(len(train), n, replace=False)],
        "held-out, blurred": blur(held[:n]),
        "held-out, shifted 4 px": np.roll(held[:n], 4, axis=2),
        "one image repeated": np.repeat(held[:1], n, axis=0),
        "uniform noise": rng.integers(0, 256, held[:n].shape).astype(np.uint8),
        "copies + noise (±6)": np.clip(copies + rng.integers(-6, 7, copies.shape), 0, 255).astype(np.uint8),
    }


def timed(function, repeats: int) -> str:
    """'wall s (CPU s)': the medians over repeats. On a machine shared with other jobs the wall time
    includes waiting for a core; the CPU time (all of this process's threads) does not."""
    walls, cpus = [], []
    for _ in range(repeats):
        clock, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - clock)
        cpus.append(time.process_time() - cpu)
    return f"{statistics.median(walls):.3f} s ({statistics.median(cpus):.3f} s CPU)"


def report(name: str, train: np.ndarray, held: np.ndarray, repeats: int, digits: bool) -> None:
    print(f"\n== {name}: {len(train):,} training images {train.shape[1:]}, {len(held):,} held out ==")
    clock, cpu = time.perf_counter(), time.process_time()
    scorer = scoring.Scorer(data.Dataset(train, np.zeros(len(train), np.uint8), "bench"), SIZES[-1], 0,
                            novelty=True)
    scorer.prepare()
    print(f"once per run (features of the training images, threshold, floor at n={SIZES[-1]}): "
          f"{time.perf_counter() - clock:.2f} s ({time.process_time() - cpu:.2f} s CPU)")
    print(f"near-copy threshold: RMS {scorer.calibration.threshold:.4f} "
          f"(median gap between distinct training images {scorer.calibration.real_median:.4f})")
    rng = np.random.default_rng(1)
    for n in SIZES:
        print(f"\n-- {n:,} samples --")
        print(f"{'case':26} {'random-feature distance':>24} {'near-copies':>12} {'median nearest RMS':>19}")
        for label, samples in cases(train, held, n, rng).items():
            found = memorisation.check(samples, scorer.train, scorer.calibration)
            print(f"{label:26} {features.distance(samples, scorer.reference):24.2f} {found.share:12.1%} "
                  f"{np.median(found.distance):19.4f}")
    print(f"\nseconds per evaluation against {len(train):,} training images (median of {repeats}):")
    for n in SIZES:
        samples = held[:n]
        rfd = timed(lambda s=samples: features.distance(s, scorer.reference), repeats)
        copies = timed(lambda s=samples: memorisation.check(s, scorer.train, scorer.calibration), repeats)
        both = timed(lambda s=samples: (features.distance(s, scorer.reference),
                                         memorisation.check(s, scorer.train, scorer.calibration)), repeats)
        line = f"  n={n:5,}: random-feature distance {rfd}, memorisation {copies}, both {both}"
        if digits:
            line += f"; the digit classifier's score {timed(lambda s=samples: quality.score(s), repeats)}"
        print(line)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="bench.feature_distance", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    digits = data.load_bundled().pixels
    order = np.random.default_rng(0).permutation(len(digits))  # the bundled set has 10,000: 8,000 + 2,000
    report("bundled MNIST digits", digits[order[N_HELD:]], digits[order[:N_HELD]], args.repeats, digits=True)
    colour = shapes(N_TRAIN + N_HELD, seed=0)
    report("synthetic colour shapes", colour[:N_TRAIN], colour[N_TRAIN:], args.repeats, digits=False)


if __name__ == "__main__":
    main()
