"""Starting training runs as separate OS processes, with at most N at a time and never two for
one config, and speed probes: what the dashboard calls instead of running TensorFlow itself.
With GAN_EXECUTOR=ray, runs are tasks of a Ray cluster instead (gan.cluster), queued by Ray."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from gan import limits, owners, quota, runs, startup, waitlist, warmstart
from gan.config import ConfigError, RunConfig
from gan.errors import UserError
from gan.limits import Limits

PACKAGE_PARENT = Path(__file__).resolve().parents[1]
LAUNCHED_AT_ENV = "GAN_LAUNCHED_AT"  # when the launcher started the trainer: cancels from before it do not apply
NO_PROBE_ENV = "GAN_NO_SPEED_PROBE"  # "1": the dashboard never starts a probe (tests of other things)
# Trainers started from the dashboard run at this niceness (os.nice), unless the environment sets
# another: on a shared server the pages answer first and training takes the CPU they leave.
NICE_ENV, TRAINER_NICE = "GAN_TRAINER_NICE", 10
LAPTOP = Limits()  # no caps, one run at a time
SLOTS_ENV = "GAN_SLOTS"  # the concurrency limit a trainer was started under: it starts the next run as it ends
WARM_WAIT_SECONDS = 20.0  # how long a start waits for a warm-start helper still loading TensorFlow
EXECUTOR_ENV = "GAN_EXECUTOR"  # "ray": every run is a task of the Ray cluster at RAY_ADDRESS (gan.cluster)


@dataclass(frozen=True)
class Submission:
    """What happened to a submitted config. outcome: started, resumed (from `epoch`), attached,
    finished, queued (waiting for a slot: `position` 1 is next, `busy` runs train meanwhile),
    unresumable (`error` says why), over_cap (`error`: the ConfigError of a server cap), full
    (`error`: the server has no room, gan.quota) or refused (the submitter already has run `other`
    training or waiting, and the server allows one each)."""

    run_dir: Path
    outcome: str
    epoch: int = 0
    busy: int = 0
    error: UserError | None = None
    position: int | None = None
    other: Path | None = None


def on_cluster() -> bool:
    """Whether runs go to a Ray cluster. Its pending tasks are then the queue: Ray starts each run
    when a node has the CPUs (and GPUs) it asks for, so GAN_MAX_CONCURRENT holds nothing back."""
    return os.environ.get(EXECUTOR_ENV) == "ray"


def active_runs(root: Path) -> list[Path]:
    """Runs under root whose training process is alive (queued or running)."""
    return [p for p in runs.list_runs(root) if runs.read_status(p).active]


@contextlib.contextmanager
def _launch_lock(root: Path):
    """One submission, start or withdrawal at a time per root, across sessions and processes:
    check-then-spawn must be atomic or two clicks on the same config would start two trainers."""
    with runs.exclusive_lock(Path(root) / ".launch.lock"):
        yield


def submit(root: Path, cfg: RunConfig, server: Limits = LAPTOP, owner: str | None = None,
           run_dir: Path | None = None, display_name: str | None = None,
           budget_minutes: float | None = None) -> Submission:
    """Attach to cfg's run if it exists and is alive, waiting or finished; otherwise start (or
    resume) it in a new process, or queue it when server.max_concurrent processes already train:
    it starts by itself when a slot frees (pump). With the Ray executor it goes to the cluster,
    whose own queue holds it until a node is free.

    Every start passes the server's caps (gan.limits), resumes and imported runs included. A new
    run first makes room under the server's budget (gan.quota); on a demo, an owner who already
    has a run training or waiting is refused. A run without an owner records `owner`
    (gan.owners.digest) and their `display_name` (bounded by gan.owners.display_name), and one
    without a budget the `budget_minutes` its epochs were planned for. run_dir names an existing
    run folder to resume instead of cfg's own: an imported run lives in its importer's folder,
    never in the one a config trains in.
    """
    root = Path(root)
    try:
        limits.check(cfg, server)
    except ConfigError as error:
        return Submission(run_dir or runs.run_path(root, cfg.run_id), "over_cap", error=error)
    with _launch_lock(root):
        _pump_locked(root, server.max_concurrent)  # slots freed by trainers that died without passing them on
        explicit, run_dir = run_dir, run_dir or runs.run_path(root, cfg.run_id)
        new = explicit is None and not run_dir.exists()
        status = runs.read_status(run_dir)
        if status.state == "finished":
            return Submission(run_dir, "finished", status.epoch)
        if status.active:
            return Submission(run_dir, "attached", status.epoch)
        busy = active_runs(root)
        if status.state == "waiting":
            return Submission(run_dir, "queued", status.epoch, len(busy), position=waitlist.position(root, run_dir))
        if server.demo and owner and (other := _owned_alive(root, owner)) is not None:
            return Submission(run_dir, "refused", status.epoch, len(busy), other=other)
        try:  # a damaged or foreign checkpoint is refused here, before anything says "resuming"
            epoch = runs.check_checkpoint(run_dir, cfg)
        except runs.CheckpointError as error:
            return Submission(run_dir, "unresumable", status.epoch, error=error)
        if new:
            try:
                quota.make_room(root, server, owner)
            except quota.QuotaError as error:
                return Submission(run_dir, "full", error=error)
        if explicit is None:
            runs.create(root, cfg)  # only now: a refused submission leaves no folder behind
        _record_submitter(run_dir, owner, display_name, budget_minutes)
        if not on_cluster() and (len(busy) >= server.max_concurrent or waitlist.waiting(root)):
            runs.write_status(run_dir, state="waiting", waiting_since=time.time(), pid=None, error=None)
            return Submission(run_dir, "queued", epoch, len(busy), position=waitlist.position(root, run_dir))
        _spawn(root, run_dir, server.max_concurrent)
    return Submission(run_dir, "resumed" if epoch > 0 else "started", epoch)


def _record_submitter(run_dir: Path, owner: str | None, display_name: str | None,
                      budget_minutes: float | None) -> None:
    """Record who submitted the run, under which name and with which budget, where it records none
    yet. The name goes with the ownership: resuming someone else's run does not rename it."""
    status = runs.read_status(run_dir)
    fields = {}
    if owner and not status.owner:
        fields.update(owner=owner, display_name=owners.display_name(display_name))
    if budget_minutes and status.budget_minutes is None:
        fields["budget_minutes"] = budget_minutes
    if fields:
        runs.write_status(run_dir, **fields)


def _owned_alive(root: Path, owner: str) -> Path | None:
    """A run of this owner's that is training or waiting, if any."""
    for run_dir in runs.list_runs(root):
        status = runs.read_status(run_dir)
        if status.owner == owner and status.alive:
            return run_dir
    return None


def pump(root: Path, max_concurrent: int) -> list[Path]:
    """Start waiting runs, first come first, while fewer than max_concurrent train; return them.
    Called by a trainer as it ends, by every submission and by the Train page."""
    root = Path(root)
    if not root.is_dir():
        return []
    with _launch_lock(root):
        return _pump_locked(root, max_concurrent)


def _pump_locked(root: Path, max_concurrent: int) -> list[Path]:
    started = []
    free = max_concurrent - len(active_runs(root))
    for run_dir in waitlist.waiting(root):  # with Ray, all of them: queued before the executor changed
        if free <= 0 and not on_cluster():
            break
        cfg = runs.read_config(run_dir)
        try:
            if cfg is None:
                raise runs.RunError("run_not_found", path=run_dir)
            runs.check_checkpoint(run_dir, cfg)
        except (runs.CheckpointError, runs.RunError) as error:
            runs.write_status(run_dir, state="failed", error=error, waiting_since=None)
            continue
        _spawn(root, run_dir, max_concurrent)
        started.append(run_dir)
        free -= 1
    return started


def withdraw(run_dir: Path) -> bool:
    """Take a waiting run out of the queue (it reads as cancelled, ready to be submitted again);
    False if it was no longer waiting."""
    run_dir = Path(run_dir)
    with _launch_lock(run_dir.parent):
        if runs.read_status(run_dir).state != "waiting":
            return False
        runs.write_status(run_dir, state="cancelled", waiting_since=None)
    return True


def child_env() -> dict[str, str]:
    """This process's environment, with the gan package importable from any working directory."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(PACKAGE_PARENT), *filter(None, [os.environ.get("PYTHONPATH")])]))


def warm_up(load_now: bool = True) -> None:
    """For the dashboard, a process that starts many trainers: from now on they start warm (forked
    from a helper that has loaded TensorFlow, gan.warmstart). With load_now the helper starts loading
    at once, while the visitor fills in the form; otherwise at the first start, which waits for it."""
    global _warm
    if on_cluster():
        return
    _warm = True
    if load_now:
        warmstart.prepare(child_env())


_warm = False  # set by warm_up: the command lines start a trainer or two and end, a helper would not pay


def start_probe(root: Path, cfg: RunConfig) -> subprocess.Popen | None:
    """Measure this machine's speed for cfg's shape (python -m gan.speed) in a detached process."""
    if os.environ.get(NO_PROBE_ENV) == "1":
        return None
    return subprocess.Popen([sys.executable, "-m", "gan.speed", "--runs-dir", str(root), "--config",
                             json.dumps(cfg.to_dict())], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=child_env(), start_new_session=True)


def _spawn(root: Path, run_dir: Path, max_concurrent: int) -> None:
    """Start `python -m gan.train --run ID` detached from this process, logging to train.log; it
    passes its slot on (pump with max_concurrent) when it ends. With Ray, submit it to the cluster."""
    if on_cluster():
        from gan import cluster  # imports Ray, which only the Ray executor needs installed

        cluster.submit(root, run_dir)
        return
    launched_at = time.time()
    env = child_env()
    env[LAUNCHED_AT_ENV] = repr(launched_at)
    env[SLOTS_ENV] = str(max_concurrent)
    env.setdefault(NICE_ENV, str(TRAINER_NICE))
    # Queued, and loading TensorFlow (a warm start's helper may still be), before it starts: a warm
    # trainer writes its next phases within milliseconds, and readers must not see the run idle.
    runs.write_status(run_dir, state="queued", pid=None, host=runs.HOST, executor=None, heartbeat=launched_at,
                      launched_at=launched_at, phase=startup.PHASES[0], error=None, traceback=None,
                      waiting_since=None, slots=max_concurrent)
    args = ["--run", run_dir.name, "--runs-dir", str(root), "--quiet"]
    pid = warmstart.start("gan.train", args, env, run_dir / "train.log", WARM_WAIT_SECONDS) if _warm else None
    if pid is None:
        with open(run_dir / "train.log", "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "gan.train", *args], stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env,
                start_new_session=True,  # survives the Streamlit server's reruns and restarts
            )
        # Reap it when it ends, or every finished trainer stays a zombie while the server runs.
        threading.Thread(target=process.wait, daemon=True, name=f"reap-{run_dir.name}").start()
        pid = process.pid
    runs.write_status(run_dir, pid=pid, heartbeat=time.time())  # the start may have waited for the helper


def cancel(run_dir: Path) -> None:
    """Ask the run's process to stop; its last complete epoch is kept. A trainer still starting up
    (gan.startup) is ended at once: it has written nothing a kill could spoil, and while it imports
    TensorFlow its own cancel watch cannot run (loading the library holds Python's lock for seconds).
    A Ray run's trainer may be on another machine: only the request reaches it, and one the cluster
    has not started yet reads as cancelled at once (its task will see the request and end)."""
    runs.request_cancel(run_dir)
    status = runs.read_status(run_dir)
    if status.waiting_for_cluster:
        runs.write_status(run_dir, state="cancelled", phase=None, eta_s=None)
    elif (status.active and status.executor != "ray" and status.pid and status.phase in startup.PHASES
          and status.phase != "compiling"):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(status.pid, signal.SIGKILL)
            runs.write_status(run_dir, state="cancelled", phase=None, eta_s=None)
            pump(Path(run_dir).parent, slots_of(status))  # killed, it cannot pass its slot on itself


def slots_of(status: runs.Status) -> int:
    """The concurrency limit to pass a freed slot on under (1 if unknown)."""
    return max(1, status.slots or 1)
