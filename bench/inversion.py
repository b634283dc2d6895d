"""How close and how fast GAN inversion finds real digits in the bundled pretrained generator.

Run from the repository root (about 10 minutes on 2 cores):
    python -m bench.inversion [--n 100] [--before REV]

For --n held-out real digits (gan.quality's held-out split of the bundled digits, which neither the
generator nor the classifier trained on), it runs gan.inversion.invert as the Sample page does (8
starts, 200 steps; a conditional generator is asked for the digit's true label) and prints the
median and 90th percentile of the RMS pixel distance (pixels in [0, 1], as the page shows it) and of
the seconds per inversion, the first call (which traces the graph) apart. With --before REV it also
runs gan/inversion.py as it was at that commit, digit by digit in turn with today's (who goes first
alternates), so both see the same load on a shared machine. It prints figures; it asserts nothing.
"""

import argparse
import importlib.util
import os
import statistics
import subprocess
import tempfile
import time
import types
from pathlib import Path

os.environ.setdefault("GAN_BUNDLED_DATA", "1")

import numpy as np  # noqa: E402

from gan import inversion, quality, sampling  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
BEFORE = "9eb544c"  # the first gan.inversion: a Python loop of Adam steps, traced again on every call


def module_at(rev: str, folder: Path) -> types.ModuleType:
    """gan/inversion.py as it was at commit rev, as a module of its own (its file written to folder:
    TensorFlow's autograph reads a function's source from its file)."""
    source = subprocess.run(["git", "show", f"{rev}:gan/inversion.py"], cwd=REPO, check=True, capture_output=True,
                            text=True).stdout
    path = folder / f"inversion_{rev}.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def machine() -> str:
    """The CPU's model name, AVX-512 or not, the cores this process may use and the load now."""
    model = "unknown CPU"
    flags = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name") and model == "unknown CPU":
            model = line.split(":", 1)[1].strip()
        if line.startswith("flags") and not flags:
            flags = line
    cores = len(os.sched_getaffinity(0))
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    return f"{model}, {'AVX-512' if 'avx512f' in flags else 'no AVX-512'}, {cores} cores, load average {load}"


def percentile(values: list[float], share: float) -> float:
    return float(np.percentile(values, share * 100))


def report(name: str, seconds: list[float], distances: list[float]) -> None:
    print(f"{name}: distance median {statistics.median(distances):.3f}, p90 {percentile(distances, 0.9):.3f}; "
          f"seconds per inversion median {statistics.median(seconds):.2f}, p90 {percentile(seconds, 0.9):.2f}, "
          f"first call {seconds[0]:.2f} (traces the graph), all but the first: median "
          f"{statistics.median(seconds[1:]):.2f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100, help="held-out digits (default 100)")
    parser.add_argument("--before", default=BEFORE, help=f"the commit to compare with (default {BEFORE}; '' for none)")
    args = parser.parse_args()
    generator = sampling.load_generator(sampling.PRETRAINED / "generator.keras")
    held = quality.reference_split()[1]
    pixels, labels = held.pixels[:args.n], held.labels[:args.n].astype(int)
    variants = {"today": inversion.invert}
    if args.before:
        variants[f"at {args.before}"] = module_at(args.before, Path(tempfile.mkdtemp())).invert
    print(f"machine: {machine()}", flush=True)
    kind = "conditional" if sampling.is_conditional(generator) else "unconditional"
    print(f"{len(pixels)} held-out digits, the bundled {kind} generator, 8 starts x 200 steps each", flush=True)
    seconds: dict[str, list[float]] = {name: [] for name in variants}
    distances: dict[str, list[float]] = {name: [] for name in variants}
    for i, (target, label) in enumerate(zip(pixels, labels, strict=True)):
        order = list(variants) if i % 2 == 0 else list(variants)[::-1]
        for name in order:
            clock = time.perf_counter()
            found = variants[name](generator, target, label)
            seconds[name].append(time.perf_counter() - clock)
            distances[name].append(found.distance)
        if (i + 1) % 10 == 0:
            print(f"  {i + 1} done: " + "; ".join(f"{name} {statistics.median(seconds[name]):.2f} s"
                                                  for name in variants), flush=True)
    for name in variants:
        report(name, seconds[name], distances[name])
    print(f"machine at the end: {machine()} (shared with other jobs while this ran)", flush=True)


if __name__ == "__main__":
    main()
