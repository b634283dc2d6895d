"""Train the bundled pretrained run (gan/assets/pretrained/) with the quick preset on the bundled
digits, keeping its generator, config, status, metrics, quality and every epoch's sample grid: the
Sample page draws from it, and the Live page shows its real history to visitors who have no run yet.

Run: python -m scripts.train_pretrained [--epochs N] [--unconditional]
"""

import argparse
import os
import shutil
import tempfile
from pathlib import Path

os.environ["GAN_BUNDLED_DATA"] = "1"  # reproducible anywhere: never the full download

from gan import config, quality, runs, sampling, training  # noqa: E402

OUT = sampling.PRETRAINED
KEPT = ("config.json", "status.json", "metrics.csv", "quality.csv", "generator.keras")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--epochs", type=int, help="epochs (default: the quick preset's)")
    parser.add_argument("--unconditional", action="store_true", help="without the preset's digit labels")
    args = parser.parse_args()
    overrides = {"conditional": False} if args.unconditional else {}
    overrides |= {"epochs": args.epochs} if args.epochs else {}
    cfg = config.preset("quick", **overrides)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = runs.create(Path(tmp), cfg)
        training.train(cfg, run_dir, on_epoch=lambda p: print(f"epoch {p.epoch}/{p.epochs}", flush=True))
        if OUT.exists():
            shutil.rmtree(OUT)
        (OUT / "samples").mkdir(parents=True)
        for name in KEPT:
            shutil.copy2(run_dir / name, OUT / name)
        for _, grid in runs.list_samples(run_dir):
            shutil.copy2(grid, OUT / "samples" / grid.name)
    final = runs.read_quality(OUT)[-1]
    floor = quality.real_floor()
    shares = [final[f"class_{digit}"] for digit in range(10)]
    print(f"run {cfg.run_id}, {cfg.epochs} epochs: FDD {final['fdd']:.2f} (real floor {floor['fdd']:.2f}), "
          f"score {final['score']:.2f}, confident {final['confident']:.1%}, "
          f"classes {min(shares):.1%}–{max(shares):.1%}")
    print(f"{sum(p.stat().st_size for p in OUT.rglob('*') if p.is_file()) / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
