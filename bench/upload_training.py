"""Your own images, end to end through the command line: a zip of 2,000 colour pictures made here
(random shapes of random colour and position on light backgrounds, 48 to 96 pixels a side, two
class folders), or the zip, folder or array given with --data, trains with
`python -m gan.train --data`, then prints, per epoch, the random-feature distance (and the
training images' own value at the same sample size) and the share of near-copies of training images.

python -m bench.upload_training [--epochs 5] [--images 2000] [--data PATH]
"""

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.upload_speed import shapes_zip
from gan import runs

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--images", type=int, default=2000, help="how many pictures the bench makes")
    parser.add_argument("--data", type=Path, help="your own zip, folder or array instead of the bench's pictures")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        upload = args.data.resolve() if args.data else Path(tmp) / "shapes.zip"
        if not args.data:
            upload.write_bytes(shapes_zip(args.images))
        command = [sys.executable, "-m", "gan.train", "--data", str(upload), "--preset", "quick",
                   "--epochs", str(args.epochs), "--runs-dir", str(Path(tmp) / "runs")]
        print("+", " ".join(command[1:]), flush=True)
        start = time.perf_counter()
        env = {**os.environ, "GAN_BUNDLED_DATA": "1"}
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
        seconds = time.perf_counter() - start
        print(done.stdout, end="")
        if done.returncode != 0:
            sys.exit(f"gan.train failed ({done.returncode}): {done.stderr[-2000:]}")
        run_dir = Path(done.stdout.strip().splitlines()[-1])
        status = runs.read_status(run_dir)
        print(f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}; "
              f"{status.n_train} images {status.image_shape}, classes {', '.join(status.class_names or ())}; "
              f"{seconds:.0f} s in all")
        print("epoch  seconds  random-feature distance (training images)  near-copies  threshold")
        for row in runs.read_quality(run_dir):
            print(f"{int(row['epoch']):5d}  {row['seconds']:7.1f}  {row['rfd']:12.1f} ({row['rfd_real']:.1f})"
                  f"{'':22s}{row['near_copies']:8.1%}  {row['copy_threshold']:9.4f}")


if __name__ == "__main__":
    main()
