"""Train the bundled pretrained generator (gan/assets/pretrained/) with the quick preset on the
bundled digits, keeping its config, metrics, quality and last sample grid as provenance.

Run: python -m scripts.train_pretrained [--epochs N] [--conditional]
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
    parser.add_argument("--conditional", action="store_true", help="train the conditional variant")
    args = parser.parse_args()
    overrides = {"conditional": args.conditional} | ({"epochs": args.epochs} if args.epochs else {})
    cfg = config.preset("quick", **overrides)
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = runs.create(Path(tmp), cfg)
        training.train(cfg, run_dir, on_epoch=lambda p: print(f"epoch {p.epoch}/{p.epochs}", flush=True))
        if OUT.exists():
            shutil.rmtree(OUT)
        (OUT / "samples").mkdir(parents=True)
        for name in KEPT:
            shutil.copy2(run_dir / name, OUT / name)
        epoch, last_grid = runs.list_samples(run_dir)[-1]
        shutil.copy2(last_grid, OUT / "samples" / last_grid.name)
    final = runs.read_quality(OUT)[-1]
    floor = quality.real_floor()
    shares = [final[f"class_{digit}"] for digit in range(10)]
    print(f"run {cfg.run_id}, {epoch} epochs: FDD {final['fdd']:.2f} (real floor {floor['fdd']:.2f}), "
          f"score {final['score']:.2f}, confident {final['confident']:.1%}, "
          f"classes {min(shares):.1%}–{max(shares):.1%}")
    print(f"{sum(p.stat().st_size for p in OUT.rglob('*') if p.is_file()) / 1e6:.2f} MB in {OUT}")


if __name__ == "__main__":
    main()
