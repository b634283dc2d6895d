"""How long the test suite takes from a fresh clone: natively, or on an emulated host with slower cores.

Run from the repository root (5–15 minutes; --slow-host needs root and Linux's cgroup-v1 cpu controller):
    python -m bench.suite_time [--commit REV] [--readme-command] [--slow-host] [--hog-shares 1536] [-- PYTEST ARGS]

It clones this repository at REV (default HEAD) into a temporary folder and runs
`python -m pytest -p no:cacheprovider -q` there with this Python (so with this environment's
packages, as the README's test command runs it in its .venv), then prints the wall time, the CPU
time of pytest and of the processes it waited for (resource.RUSAGE_CHILDREN: daemons that outlive
their parent, as some of Ray's do, are not counted), pytest's summary line and any failed tests.

--readme-command runs instead the README's whole test command in the clone, as .ci/run does: a new
.venv, the install, then pytest. Neither pip nor uv uses a cache from earlier installs, as on a fresh
machine; pip still reads this machine's configuration (a package mirror, say), uv does not. The
install's share is the whole command's wall time less the duration in pytest's summary.

--slow-host slows every core, as on a host whose cores are slower, by making the suite share each
one: a busy loop pinned to each core runs in a cgroup ("gan-hog") of --hog-shares CPU shares, the
suite in another ("gan-suite") of 1024. Calibration on the only suite timed on a slower host: the
372 tests of commit 049058b took 12 min 18 s on a 2-core AVX2-only AMD EPYC (issue #11). On a 2-core
AMD EPYC with AVX-512 (Zen 4) they took 6 min 14 s natively, 10 min 15 s with 1024 hog shares and
13 min 4 s with 1536, the default: 6% slower than the real host. On a later day the same commit
took 10 min 53 s with 1536: 13% faster than the real host; on a third, 9 min 30 s: 23% faster; on
a fourth, with ONEDNN_MAX_CPU_ISA=AVX2 set for the suite too (it passes the environment on), 10 min
30 s: 15% faster; on a fifth, also capped, 10 min 59 s and 10 min 12 s: 11% and 17% faster; on a
sixth, capped, 10 min 57 s: 11% faster. So
the stand-in ranks commits run one after another, but its minutes are not the slower host's. A real
2-core AVX2-only AMD EPYC (family 25, model 1, Zen 3) later ran 049058b's suite in 11 min 10 s and
31198a2's in 4 min 21 s and 4 min 33 s, where the calibrated stand-in had put a546895 (two small
fixes earlier) at 6 min 32 s to 7 min 17 s. It overestimated today's suite, perhaps because that
spends a smaller share of its CPU in oneDNN's kernels than 049058b did (6% against 16%, measured
natively against an SSE4.1 cap). A single busy Python loop ran 1.9× slower under it.
It prints figures; it asserts nothing.
"""

import argparse
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gan import speed

REPO = Path(__file__).resolve().parents[1]
CGROUPS = Path("/sys/fs/cgroup/cpu")
SUITE_SHARES = 1024


def clone(commit: str, into: Path) -> Path:
    """A fresh clone of this repository at `commit` in `into`."""
    folder = into / "suite"
    subprocess.run(["git", "clone", "-q", str(REPO), str(folder)], check=True)
    subprocess.run(["git", "-C", str(folder), "checkout", "-q", commit], check=True)
    return folder


def cgroup(name: str, shares: int) -> Path:
    """A cgroup-v1 cpu group of `shares` CPU shares and no quota, made if missing."""
    if not (CGROUPS / "cpu.shares").exists():
        sys.exit(f"bench.suite_time: --slow-host needs the cgroup-v1 cpu controller at {CGROUPS}")
    group = CGROUPS / name
    group.mkdir(exist_ok=True)
    (group / "cpu.shares").write_text(str(shares))
    (group / "cpu.cfs_quota_us").write_text("-1")
    return group


def joiner(group: Path | None, cpu: int | None = None):
    """A preexec_fn that moves the new process into `group` (and onto core `cpu`)."""
    def join() -> None:
        if group is not None:
            (group / "tasks").write_text(str(os.getpid()))
        if cpu is not None:
            os.sched_setaffinity(0, {cpu})
    return join


def readme_test_command(folder: Path) -> str:
    """The README's test command, found as .ci/run finds it: the first line that makes a venv and runs pytest."""
    for line in (folder / "README.md").read_text().splitlines():
        if re.match(r"python3 -m venv .* -m pytest", line):
            return line
    sys.exit("bench.suite_time: the README has no test command (a line 'python3 -m venv ... -m pytest')")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(prog="bench.suite_time", description=__doc__.splitlines()[0])
    parser.add_argument("--commit", default="HEAD")
    parser.add_argument("--readme-command", action="store_true",
                        help="run the README's whole test command (new venv, install, pytest), not pytest alone")
    parser.add_argument("--slow-host", action="store_true", help="share every core with a busy loop")
    parser.add_argument("--hog-shares", type=int, default=1536, help="the busy loops' CPU shares (the suite's: 1024)")
    parser.add_argument("pytest_args", nargs="*", help="after --: more arguments for pytest")
    args = parser.parse_args()
    if args.readme_command and args.pytest_args:
        parser.error("--readme-command runs the README's command as it is: no pytest arguments")
    commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", args.commit], check=True,
                            capture_output=True, text=True).stdout.strip()
    print(f"machine: {speed.machine()}")
    print(f"commit {commit}, " + (f"slow host: a busy loop on each core at {args.hog_shares} shares against the "
                                  f"suite's {SUITE_SHARES}" if args.slow_host else "native"))
    hogs, suite_group = [], None
    with tempfile.TemporaryDirectory(prefix="suite_time_") as scratch:
        folder = clone(commit, Path(scratch))
        if args.slow_host:
            hog_group, suite_group = cgroup("gan-hog", args.hog_shares), cgroup("gan-suite", SUITE_SHARES)
            hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=joiner(hog_group, cpu))
                    for cpu in sorted(os.sched_getaffinity(0))]
        try:
            log = Path(scratch) / "pytest.log"
            cpu, clock = children_cpu(), time.perf_counter()
            if args.readme_command:
                command = ["bash", "-c", readme_test_command(folder)]
                print(f"+ {command[-1]}")
                env = dict(os.environ, CI="true", UV_CACHE_DIR=str(Path(scratch) / "uv-cache"), PIP_NO_CACHE_DIR="1")
            else:
                command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args.pytest_args]
                env = None
            with open(log, "w") as out:
                done = subprocess.run(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT, env=env,
                                      preexec_fn=joiner(suite_group))
            wall, cpu = time.perf_counter() - clock, children_cpu() - cpu
        finally:
            for hog in hogs:
                hog.kill()
                hog.wait()
        lines = log.read_text().strip().splitlines()
    minutes, seconds = divmod(round(wall), 60)
    print(f"wall {wall:.0f} s ({minutes} min {seconds} s), CPU {cpu:.0f} s, exit code {done.returncode}")
    print(f"pytest: {lines[-1] if lines else '(no output)'}")
    pytest_seconds = re.search(r" in ([0-9.]+)s", lines[-1]) if lines else None
    if args.readme_command and pytest_seconds:
        print(f"the install and the rest: {wall - float(pytest_seconds[1]):.0f} s")
    for line in lines:  # pytest's short summary: which tests failed, and the first line of why
        if line.startswith(("FAILED ", "ERROR ")):
            print(f"  {line}")


if __name__ == "__main__":
    main()
