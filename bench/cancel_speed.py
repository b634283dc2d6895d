"""How fast Cancel acts and what Resume shows while it starts: real trainers started by the
launcher, as the Train page starts them.

Run from the repository root (a few minutes):
    python -m bench.cancel_speed [--repeats 3]

For each moment a participant may press Cancel (while the trainer loads TensorFlow, while it
compiles its first step, in the middle of an epoch), it prints the seconds from the request until
the process has ended and the run reads as cancelled: median and worst over --repeats. Then it
resumes one cancelled run and prints the start-up phases the pages showed, with when each began.
It prints figures; it asserts nothing.
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GAN_BUNDLED_DATA", "1")

from gan import config, launcher, runs, speed  # noqa: E402

POLL = 0.02


def wait(condition, timeout=300.0) -> float:
    """Seconds until condition() held."""
    clock = time.perf_counter()
    while not condition():
        if time.perf_counter() - clock > timeout:
            raise SystemExit("timed out")
        time.sleep(POLL)
    return time.perf_counter() - clock


def cancel_at(root: Path, seed: int, moment: str) -> float:
    """Start a run, cancel it at `moment`, return the seconds the cancel took to act."""
    cfg = config.preset("quick", seed=seed, epochs=5)
    run_dir = launcher.submit(root, cfg).run_dir
    if moment == "mid-epoch":
        wait(lambda: runs.read_status(run_dir).step >= 30)
    else:
        wait(lambda: runs.read_status(run_dir).phase == moment)
    clock = time.perf_counter()
    launcher.cancel(run_dir)
    wait(lambda: not runs.read_status(run_dir).active)
    seconds = time.perf_counter() - clock
    state = runs.read_status(run_dir).state
    if state != "cancelled":
        raise SystemExit(f"the run ended {state}, not cancelled")
    return seconds


def resume_timeline(root: Path, seed: int) -> list[tuple[float, str]]:
    """Train one epoch, cancel, resume; [(seconds since Resume, what the status said)]."""
    cfg = config.preset("quick", seed=seed, epochs=5)
    run_dir = launcher.submit(root, cfg).run_dir
    wait(lambda: runs.read_status(run_dir).epoch >= 1)
    launcher.cancel(run_dir)
    wait(lambda: not runs.read_status(run_dir).active)
    clock = time.perf_counter()
    resumed = launcher.submit(root, cfg)
    seen, timeline = None, []
    while True:
        status = runs.read_status(run_dir)
        said = status.phase or status.state
        if status.phase == "restoring":
            said += f" epoch {status.resumed_from}"
        if said != seen:
            timeline.append((time.perf_counter() - clock, said))
            seen = said
        if status.state == "running" and status.phase is None:
            break
        time.sleep(POLL)
    launcher.cancel(resumed.run_dir)
    wait(lambda: not runs.read_status(run_dir).active)
    return timeline


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.cancel_speed", description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {speed.machine()}; ONEDNN_MAX_CPU_ISA={os.environ.get('ONEDNN_MAX_CPU_ISA', '-')}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        seed = 100
        for moment in ("tensorflow", "compiling", "mid-epoch"):
            took = []
            for _ in range(args.repeats):
                seed += 1
                took.append(cancel_at(root, seed, moment))
            print(f"cancel while {moment:<10}: median {statistics.median(took):.2f} s, worst {max(took):.2f} s "
                  f"({', '.join(f'{s:.2f}' for s in took)})")
        print("resume of a cancelled run, as the pages show it:")
        for seconds, said in resume_timeline(root, seed + 1):
            print(f"  {seconds:6.2f} s  {said}")


if __name__ == "__main__":
    main()
