"""Runs as tasks of a Ray cluster (GAN_EXECUTOR=ray): each task starts the same trainer as a local
run on whichever node has the CPUs it asks for, and Ray runs it again elsewhere if its node dies.

Only gan.launcher imports this module, and only with the Ray executor: the default install has no Ray.
"""

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import warnings
from pathlib import Path

import ray

from gan import data, launcher, quality, runs
from gan.errors import UserError

NAMESPACE = "gan-atelier"
DISPATCHER = "gan-dispatcher"
CPUS_ENV, GPUS_ENV, RETRIES_ENV = "GAN_RAY_CPUS", "GAN_RAY_GPUS", "GAN_RAY_RETRIES"  # what each run asks Ray for
# Settings of the submitting server that decide how a run trains: they travel with the task, since a
# node's own environment is whatever `ray start` was given there.
RUN_SETTINGS = (data.FORCE_BUNDLED_ENV, quality.EVAL_ENV, launcher.NICE_ENV)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
CONNECT_SECONDS = 5.0


def submit(root: Path, run_dir: Path) -> None:
    """Hand the run to the cluster: it reads as waiting for the cluster until a node starts its
    trainer. A cluster that cannot be reached fails the run, saying so."""
    launched_at = time.time()
    # Written before the task exists: its trainer's own writes must come after this one.
    runs.write_status(run_dir, state="queued", executor="ray", pid=None, host=None, phase=None,
                      heartbeat=launched_at, launched_at=launched_at, error=None, traceback=None,
                      waiting_since=None, slots=None)
    settings = {name: os.environ[name] for name in RUN_SETTINGS if name in os.environ}
    try:
        ray.get(dispatcher().submit.remote(str(root), run_dir.name, launched_at, settings, request()))
    except (OSError, ValueError, ray.exceptions.RayError) as error:
        failure = UserError("cluster_unreachable", error, address=os.environ.get("RAY_ADDRESS") or "auto")
        runs.write_status(run_dir, state="failed", error=failure)


def request() -> dict[str, float | int]:
    """Ray options of every run's task: the CPUs and GPUs it needs (default 1 CPU, no GPU) and how
    many times a task whose node or worker died is run again (default 3)."""
    return {"num_cpus": float(os.environ.get(CPUS_ENV) or 1), "num_gpus": float(os.environ.get(GPUS_ENV) or 0),
            "max_retries": int(os.environ.get(RETRIES_ENV) or 3)}


def connect() -> None:
    """Join the cluster at RAY_ADDRESS (host:port of its head), or else the one `ray start` left on
    this machine, once per process; OSError (ValueError for a malformed address) if it cannot."""
    if ray.is_initialized():
        return
    address = os.environ.get("RAY_ADDRESS") or "auto"
    if address != "auto":  # ray.init retries an unreachable head for many minutes: a click must not wait that long
        host, _, port = address.rpartition(":")
        socket.create_connection((host, int(port)), timeout=CONNECT_SECONDS).close()
    with warnings.catch_warnings():  # Ray's notice of a future default; a run without GPUs must not see them, as now
        warnings.filterwarnings("ignore", "Tip: In future versions of Ray", FutureWarning)
        ray.init(address=address, namespace=NAMESPACE, log_to_driver=False, logging_level="WARNING",
                 runtime_env={"py_modules": [str(Path(__file__).parent)]})  # nodes need not have this checkout


def dispatcher():
    """The cluster's one dispatcher, created on its head node by the first submission."""
    connect()
    return Dispatcher.options(
        name=DISPATCHER, namespace=NAMESPACE, get_if_exists=True, lifetime="detached",
        resources={"node:__internal_head__": 0.001},  # a worker node may leave; the head is the cluster
    ).remote()


@ray.remote(num_cpus=0)
class Dispatcher:
    """Owns every run's task. A task dies with its owner, and the dashboard reruns and `gan.submit`
    exits at once: a detached actor outlives both. It also records which runs it still holds, for
    the run store to tell a run Ray will retry from one that is gone (runs.cluster_holds)."""

    def __init__(self):
        self.tasks: dict[str, dict[str, ray.ObjectRef]] = {}  # runs root -> run id -> its task
        self.lock = threading.Lock()
        threading.Thread(target=self._beat, daemon=True, name="cluster-holds").start()

    def submit(self, root: str, run_id: str, launched_at: float, settings: dict[str, str], options: dict) -> None:
        with self.lock:
            # A task it replaces was cancelled before the cluster started it: it ends as it starts.
            self.tasks.setdefault(root, {})[run_id] = train_run.options(**options).remote(
                root, run_id, launched_at, settings, options["num_cpus"])
            runs.write_cluster_holds(Path(root), list(self.tasks[root]))

    def _beat(self) -> None:
        while True:
            time.sleep(runs.HEARTBEAT_SECONDS)
            with self.lock:
                for root, tasks in list(self.tasks.items()):
                    ended, _ = ray.wait(list(tasks.values()), num_returns=len(tasks), timeout=0)
                    for run_id in [run_id for run_id, task in tasks.items() if task in ended]:
                        del tasks[run_id]
                    with contextlib.suppress(OSError):  # a root deleted meanwhile must not stop the others' records
                        runs.write_cluster_holds(Path(root), list(tasks))
                    if not tasks:
                        del self.tasks[root]


@ray.remote
def train_run(root: str, run_id: str, launched_at: float, settings: dict[str, str], cpus: float) -> int:
    """Train the run on this node with `python -m gan.train`, as the local launcher does; return its
    exit code. A run cancelled while it waited for the cluster ends here at once."""
    run_dir = runs.run_path(Path(root), run_id)
    if runs.cancel_requested(run_dir, launched_at):  # also a retry of a run cancelled as its node died
        if runs.read_status(run_dir).launched_at == launched_at:  # not submitted again since
            runs.write_status(run_dir, state="cancelled", phase=None, eta_s=None)
        return 0
    env = {**launcher.child_env(), **settings, launcher.LAUNCHED_AT_ENV: repr(launched_at)}
    env.setdefault(launcher.NICE_ENV, str(launcher.TRAINER_NICE))
    env["TF_NUM_INTRAOP_THREADS"] = str(max(1, round(cpus)))  # the CPUs Ray gave the run, not the node's
    with open(run_dir / "train.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gan.train", "--run", run_id, "--runs-dir", root, "--quiet"],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, preexec_fn=_die_with_parent())
    runs.write_status(run_dir, state="queued", pid=process.pid, host=runs.HOST, heartbeat=time.time())
    return process.wait()


def _die_with_parent():
    """What the trainer runs before exec to be killed with this task's worker, as a machine's death
    would kill it; None where the kernel offers no such thing (not Linux). A trainer left running
    would hold the run's lock while Ray's retry gave up."""
    if sys.platform != "linux":
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork: a child of threads must not load
    return lambda: prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
