"""What loading TensorFlow costs a new process: every trainer, every speed probe and the server's
first Sample page pay it before they do anything, and on a slow host it is most of a run's start-up.

Run from the repository root (under a minute):
    python -m bench.import_cost [--repeats 7]

It starts --repeats fresh Pythons, one after another, that import what a trainer imports
(`gan.training`: TensorFlow and Keras), and prints the median and worst wall and CPU seconds, with
the versions of the libraries whose import time has changed between releases (ml_dtypes 0.7.0 took
0.6–0.9 s of CPU on its own here, 0.6.0 about 0.03 s). It prints figures; it asserts nothing.
"""

import argparse
import importlib.metadata
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

from gan import speed

REPO = Path(__file__).resolve().parents[1]
WATCHED = ("tensorflow-cpu", "tensorflow", "keras", "ml_dtypes", "numpy")


def one_import() -> tuple[float, float]:
    """(wall seconds, CPU seconds) of a fresh Python importing gan.training."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gan.training"], cwd=REPO, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.import_cost", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    print(f"machine: {speed.machine()}")
    print("versions: " + ", ".join(f"{name} {version}" for name in WATCHED if (version := installed(name))))
    one_import()  # the disk's cache warmed, as on a server that has started a trainer before
    times = [one_import() for _ in range(args.repeats)]
    walls, cpus = [wall for wall, _ in times], [cpu for _, cpu in times]
    print(f"import gan.training in a new process: median {statistics.median(walls):.2f} s wall "
          f"(worst {max(walls):.2f} s), {statistics.median(cpus):.2f} s CPU, over {args.repeats} processes")


if __name__ == "__main__":
    main()
