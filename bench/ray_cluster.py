"""Two runs on a two-node Ray cluster on this machine, and the worker node killed under one of them.

Run from the repository root (a minute or two; needs requirements-cluster.txt):
    python -m bench.ray_cluster [--images 512] [--epochs 8]

A head and a worker node of one CPU each: both runs start at once, one on each (submitted with
`python -m gan.submit`, which exits at once: the runs must outlive it). Once the worker's run has
completed an epoch, the worker node is killed, as a machine that dies. Ray runs that task again
when a CPU frees (the head's, once the other run ends), and it resumes from its checkpoint. It
prints when each run finished, the epoch the killed one resumed from, its metrics steps missing or
logged twice (against the other run, of the same shape), and the wall times. It asserts nothing.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("GAN_BUNDLED_DATA", "1")

from ray.cluster_utils import Cluster  # noqa: E402

from gan import launcher, runs  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
POLL = 0.1


def parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def submit(root: Path, address: str, seed: int, args) -> Path:
    env = dict(os.environ, **{launcher.EXECUTOR_ENV: "ray", "RAY_ADDRESS": address, launcher.NICE_ENV: "0"})
    done = subprocess.run([sys.executable, "-m", "gan.submit", "--preset", "quick", "--epochs", str(args.epochs),
                           "--set", f"n_images={args.images}", "--set", f"seed={seed}", "--runs-dir", str(root)],
                          cwd=REPO, env=env, capture_output=True, text=True, check=True)
    return Path(json.loads(done.stdout.splitlines()[-1])["run_dir"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512, help="training images per run")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args()

    clock = time.perf_counter()
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    worker = cluster.add_node(num_cpus=1, include_dashboard=False)
    cluster.wait_for_nodes()
    print(f"cluster of 2 nodes up in {time.perf_counter() - clock:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        clock = time.perf_counter()
        run_dirs = [submit(root, cluster.address, seed, args) for seed in (1, 2)]
        print(f"both submitted in {time.perf_counter() - clock:.1f} s (two gan.submit processes, now ended)")
        start = time.perf_counter()
        while not all(runs.read_status(d).state == "running" for d in run_dirs):
            time.sleep(POLL)
        raylet = worker.all_processes["raylet"][0].process.pid
        on_worker = next(d for d in run_dirs if parent(parent(runs.read_status(d).pid)) == raylet)
        other = next(d for d in run_dirs if d != on_worker)
        while runs.read_status(on_worker).epoch < 1:
            time.sleep(POLL)
        at_kill = runs.read_status(on_worker)
        killed_at = time.perf_counter()
        cluster.remove_node(worker, allow_graceful=False)
        print(f"worker node killed {killed_at - start:.1f} s after submission, its run at epoch "
              f"{at_kill.epoch}/{at_kill.epochs}, step {at_kill.step}")
        finished_at, waiting_seen, restarted_at = {}, None, None
        while len(finished_at) < 2:
            for run_dir in run_dirs:
                status = runs.read_status(run_dir)
                if status.state in ("finished", "failed", "cancelled") and run_dir not in finished_at:
                    finished_at[run_dir] = (time.perf_counter() - start, status.state)
            status = runs.read_status(on_worker)
            if waiting_seen is None and status.waiting_for_cluster:
                waiting_seen = time.perf_counter() - killed_at
            if restarted_at is None and status.pid and status.pid != at_kill.pid:
                restarted_at = time.perf_counter() - killed_at
            time.sleep(POLL)
        resumed = runs.read_status(on_worker)
        steps = [int(row["step"]) for row in runs.read_metrics(on_worker)]
        reference = {int(row["step"]) for row in runs.read_metrics(other)}
        print(f"run on the head   : {finished_at[other][1]} after {finished_at[other][0]:.1f} s")
        print(f"run on the killed : {finished_at[on_worker][1]} after {finished_at[on_worker][0]:.1f} s, "
              f"resumed from epoch {resumed.resumed_from}")
        waited = (f"read as waiting for the cluster {waiting_seen:.1f} s after the kill" if waiting_seen is not None
                  else f"never read as waiting for the cluster (that takes a heartbeat {runs.STALE_AFTER_SECONDS:g} s "
                       "old)")
        print(f"  {waited}; its trainer restarted {restarted_at:.1f} s after the kill")
        print(f"  metrics rows {len(steps)}: duplicated steps {len(steps) - len(set(steps))}, "
              f"missing steps {len(reference - set(steps))}, extra steps {len(set(steps) - reference)}")
        print(f"total wall time {time.perf_counter() - start:.1f} s from submission")
    cluster.shutdown()


if __name__ == "__main__":
    main()
