"""What loading TensorFlow costs a new process: every trainer, every speed probe and the server's
first Sample page pay it before they do anything, and on a slow host it is most of a run's start-up.

Run from the repository root (about a minute):
    python -m bench.import_cost [--repeats 7]

It starts fresh Pythons, one after another, that import what a trainer imports (TensorFlow and
Keras, then `gan.training`), in two ways taken in turn: as the command lines do it
(`gan.cli.import_tensorflow_quietly`, which keeps pandas out of Keras' import) and as a plain
`import gan.training` (Keras then imports pandas). It prints each way's median and worst wall
seconds, median CPU seconds and median peak memory, with the versions of the libraries whose import
time has changed between releases (ml_dtypes 0.7.0 took 0.6–0.9 s of CPU on its own here, 0.6.0
about 0.03 s). It prints figures; it asserts nothing.
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
WAYS = {
    "as the command lines import it (pandas kept out)":
        "from gan import cli; cli.import_tensorflow_quietly(); import gan.training",
    "plain `import gan.training` (Keras imports pandas)": "import gan.training",
}
PEAK = "; import resource, sys; print('pandas' in sys.modules, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"


def one_import(code: str) -> tuple[float, float, float, bool]:
    """(wall seconds, CPU seconds, peak MB, whether pandas was loaded) of a fresh Python running code."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    clock = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + PEAK], cwd=REPO, check=True, capture_output=True, text=True)
    wall = time.perf_counter() - clock
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    loaded, peak_kb = done.stdout.split()[-2:]
    return wall, cpu, int(peak_kb) / 1024, loaded == "True"


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
    for code in WAYS.values():
        one_import(code)  # the disk's cache warmed, as on a server that has started a trainer before
    times = {way: [] for way in WAYS}
    for _ in range(args.repeats):  # the ways in turn, so a drift in the machine's speed touches both
        for way, code in WAYS.items():
            times[way].append(one_import(code))
    for way, runs in times.items():
        walls, cpus, peaks, pandas = zip(*runs, strict=True)
        print(f"{way}: median {statistics.median(walls):.2f} s wall (worst {max(walls):.2f} s), "
              f"{statistics.median(cpus):.2f} s CPU, peak {statistics.median(peaks):.0f} MB, "
              f"pandas loaded in {sum(pandas)} of {args.repeats} processes")


if __name__ == "__main__":
    main()
