"""How often the Live page's mode-collapse warning is wrong, and how often it catches a collapse.

Run from the repository root (about 10 minutes on 2 cores):
    python -m bench.collapse_alarms [--runs 3] [--epochs 6] [--samples 2000]

Healthy runs: the quick preset, conditional (the default) and unconditional, --runs seeds each,
trained --epochs epochs on the bundled digits; after every epoch the generator is scored on
--samples digits, as the trainer scores it. Every flag on these is a false alarm.

Collapsed generators: each epoch's unconditional generator, with its latent space squeezed onto
1, 2 or 3 points (z = one of k anchors + 5% noise): the generator can then only draw what those
k points draw, which is what a collapsed GAN does. Every flag on these is a catch.

For each maturity threshold (gan.quality.MATURE_CONFIDENT: below it, a flag becomes "too early to
tell"), it prints the false alarms among the healthy evaluations, by epoch, and the collapses
caught, among mature and immature generators. It prints figures; it asserts nothing.
"""

import argparse
import os
import tempfile
from collections import defaultdict
from pathlib import Path

os.environ.setdefault("GAN_BUNDLED_DATA", "1")

import numpy as np  # noqa: E402

from gan import config, quality, runs, sampling, speed, training  # noqa: E402

THRESHOLDS = (None, 0.3, 0.5, 0.7)  # None: the rule without a maturity check (before this bench)
SQUEEZES = (1, 2, 3)


def flagged(histogram, best_entropy, confident, mature) -> bool:
    """Whether the page would raise the collapse alarm (not the "too early" note)."""
    warning = (quality.collapse_warning(histogram, best_entropy) if mature is None else
               quality.collapse_warning(histogram, best_entropy, confident, mature=mature))
    return warning is not None and not warning.early


def squeezed(generator, k: int, n: int, seed: int) -> np.ndarray:
    """n digits from the generator with its latents squeezed onto k anchors."""
    rng = np.random.default_rng(seed)
    anchors = rng.standard_normal((k, sampling.latent_dim(generator)))
    z = anchors[rng.integers(k, size=n)] + 0.05 * rng.standard_normal((n, anchors.shape[1]))
    return sampling.generate(generator, z.astype(np.float32))


def train_and_score(root: Path, cfg, samples: int, collapse: bool) -> list[dict]:
    """Train cfg, scoring every epoch's generator (and its squeezed versions if collapse)."""
    run_dir = runs.create(root, cfg)
    records, best = [], None

    def on_epoch(progress) -> None:
        nonlocal best
        generator = sampling.load_generator(run_dir / "generator.keras")
        result = quality.evaluate_generator(generator, n=samples, seed=123)
        records.append({"kind": "healthy", "epoch": progress.epoch, "histogram": result["histogram"],
                        "confident": result["confident"], "best": best})
        best = max(best or 0.0, result["entropy"])
        if collapse:
            for k in SQUEEZES:
                scores = quality.score(squeezed(generator, k, samples, seed=progress.epoch * 10 + k))
                records.append({"kind": f"collapsed to {k}", "epoch": progress.epoch,
                                "histogram": scores["histogram"], "confident": scores["confident"], "best": None})
        print(f"  {cfg.run_id} epoch {progress.epoch}: confident {result['confident']:.0%}, "
              f"classes {min(result['histogram']):.1%}-{max(result['histogram']):.1%}", flush=True)

    training.train(cfg, run_dir, on_epoch=on_epoch, eval_samples=256)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.collapse_alarms", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="seeds per kind of healthy run")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--samples", type=int, default=quality.EVAL_SAMPLES)
    args = parser.parse_args()
    print(f"machine: {speed.machine()}")
    records = []
    with tempfile.TemporaryDirectory() as tmp:
        for conditional in (True, False):
            for seed in range(1, args.runs + 1):
                cfg = config.preset("quick", seed=seed, epochs=args.epochs, conditional=conditional)
                print(f"{'conditional' if conditional else 'unconditional'} quick run, seed {seed}:", flush=True)
                records += train_and_score(Path(tmp), cfg, args.samples, collapse=not conditional)
    healthy = [r for r in records if r["kind"] == "healthy"]
    collapsed = [r for r in records if r["kind"] != "healthy"]
    print(f"\n{len(healthy)} healthy evaluations, {len(collapsed)} collapsed ones, {args.samples} samples each")
    for mature in THRESHOLDS:
        name = "no maturity check" if mature is None else f"mature at {mature:.0%} confident"
        by_epoch = defaultdict(lambda: [0, 0])
        for r in healthy:
            by_epoch[r["epoch"]][0] += flagged(r["histogram"], r["best"], r["confident"], mature)
            by_epoch[r["epoch"]][1] += 1
        alarms = sum(hit for hit, _ in by_epoch.values())
        epochs = ", ".join(f"e{e} {hit}/{n}" for e, (hit, n) in sorted(by_epoch.items()))
        caught = [flagged(r["histogram"], None, r["confident"], mature) for r in collapsed]
        grown = [c for c, r in zip(caught, collapsed, strict=True) if r["confident"] >= quality.MATURE_CONFIDENT]
        print(f"{name:<26} false alarms {alarms}/{len(healthy)} ({epochs}); collapses caught "
              f"{sum(caught)}/{len(caught)} ({sum(grown)}/{len(grown)} of those with ≥ "
              f"{quality.MATURE_CONFIDENT:.0%} confident digits)")


if __name__ == "__main__":
    main()
