"""The launcher's queue, read from the run store: which runs wait for a training slot, in what
order (first come, first served), and when each should start, from this machine's measured speeds.

No process of its own keeps the queue: a waiting run is a run folder whose status is "waiting".
Whoever frees or asks for a slot (a trainer that ends, a submission, the Train page) starts the
next ones (gan.launcher.pump), so the queue moves on with no page open.
"""

import heapq
from pathlib import Path

from gan import runs, speed


def waiting(root: Path) -> list[Path]:
    """Runs under root waiting for a slot, first come first."""
    statuses = ((runs.read_status(p), p) for p in runs.list_runs(root))
    line = sorted((status.waiting_since or 0.0, p.name, p) for status, p in statuses if status.state == "waiting")
    return [p for *_, p in line]


def position(root: Path, run_dir: Path) -> int | None:
    """1 for the next run to start, None if run_dir is not waiting."""
    order = [p.name for p in waiting(root)]
    return order.index(Path(run_dir).name) + 1 if Path(run_dir).name in order else None


def remaining_seconds(run_dir: Path, root: Path) -> float | None:
    """How long a run still needs: its own ETA while it trains, else a prediction from the measured
    speed of its shape (start-up included), None if this machine has never measured it."""
    status, cfg = runs.read_status(run_dir), runs.read_config(run_dir)
    if status.active:
        return status.eta_s
    found = speed.lookup(root, cfg) if cfg else None
    if found is None:
        return None
    return found.startup_s + found.epoch_seconds(cfg.n_images) * max(cfg.epochs - status.epoch, 0)


def start_estimates(root: Path, slots: int) -> dict[str, float | None]:
    """{waiting run id: seconds from now until it should start}, in the queue's order: the training
    runs' ETAs free the slots, and each waiting run takes the first free slot for its predicted time.
    None once a run ahead has no prediction (this machine never measured its shape)."""
    active = [p for p in runs.list_runs(root) if runs.read_status(p).active]
    ends = [remaining_seconds(p, root) for p in active]
    unknown = any(end is None for end in ends)
    free_at = sorted(end or 0.0 for end in ends)[:max(slots, 1)]
    free_at += [0.0] * (max(slots, 1) - len(free_at))
    heapq.heapify(free_at)
    estimates = {}
    for run_dir in waiting(root):
        start = heapq.heappop(free_at)
        estimates[run_dir.name] = None if unknown else start
        needs = remaining_seconds(run_dir, root)
        unknown = unknown or needs is None
        heapq.heappush(free_at, start + (needs or 0.0))
    return estimates
