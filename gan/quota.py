"""What each visitor of a shared server may keep and add (gan.limits, demo mode): the ended runs
they keep, the room left for new runs, and how often they may import.

A visitor's start or import deletes only their own oldest runs, or other visitors' runs once
those have been idle for keep_hours: nobody evicts a neighbour's fresh results. Runs without an
owner (the host's, from the command line) and runs training or waiting are never deleted.
"""

import fcntl
import time
from pathlib import Path

from gan import archive, runs, uploads
from gan.errors import UserError
from gan.limits import Limits

IMPORTS_LOG = ".imports.log"  # one "time owner" line per import attempt of the last hour
SERVER_IMPORTS = 10  # the whole server imports at most this many times one visitor's rate
HOUR = 3600.0


class QuotaError(UserError):
    """A shared server's budget refuses an addition; its kind and params say why (catalogue texts
    error.quota_*)."""


def make_room(root: Path, server: Limits, owner: str | None, now: float | None = None) -> list[Path]:
    """Before `owner` adds a run: delete their oldest ended runs until they hold fewer than
    keep_runs, then, while the server holds max_runs runs, other visitors' ended runs idle for
    keep_hours, oldest first. Return what was deleted; QuotaError("quota_full") if there is still
    no room. Nothing happens outside demo mode."""
    if not server.demo:
        return []
    now = time.time() if now is None else now
    everything = [(path, runs.read_status(path)) for path in runs.list_runs(root)]  # newest first
    ended = [(path, status) for path, status in everything if not status.alive]
    doomed = []
    if owner and server.keep_runs is not None:
        held = sum(status.owner == owner for _, status in everything)
        mine = [path for path, status in reversed(ended) if status.owner == owner]  # oldest first
        doomed += mine[:max(held - server.keep_runs + 1, 0)]
    if server.max_runs is not None:
        idle = [path for path, status in reversed(ended)
                if status.owner and path not in doomed and now - _last_active(path, status) > server.keep_hours * HOUR]
        while len(everything) - len(doomed) >= server.max_runs and idle:
            doomed.append(idle.pop(0))
        if len(everything) - len(doomed) >= server.max_runs:
            raise QuotaError("quota_full", limit=server.max_runs, hours=f"{server.keep_hours:g}")
    for path in doomed:
        runs.delete(path)
    return doomed


def _last_active(path: Path, status: runs.Status) -> float:
    """When the run last changed: its status's last write, else when its folder was made."""
    return status.updated or status.created or (path / "config.json").stat().st_mtime


def note_import(root: Path, server: Limits, owner: str | None, now: float | None = None) -> None:
    """Count an import attempt by `owner` (checking an archive costs the server seconds of CPU);
    QuotaError "quota_imports" if they reached the hourly rate, "quota_imports_server" if the whole
    server did. Attempts count whether or not the archive is accepted. No rate outside demo mode."""
    if not server.demo or server.imports_per_hour is None:
        return
    now = time.time() if now is None else now
    root.mkdir(parents=True, exist_ok=True)
    with open(root / IMPORTS_LOG, "a+") as log:
        fcntl.flock(log, fcntl.LOCK_EX)
        log.seek(0)
        recent = [entry for entry in (line.split() for line in log) if len(entry) == 2 and _recent(entry[0], now)]
        if sum(who == (owner or "-") for _, who in recent) >= server.imports_per_hour:
            raise QuotaError("quota_imports", limit=server.imports_per_hour)
        if len(recent) >= server.imports_per_hour * SERVER_IMPORTS:
            raise QuotaError("quota_imports_server", limit=server.imports_per_hour * SERVER_IMPORTS)
        recent.append([f"{now:.3f}", owner or "-"])
        log.seek(0)
        log.truncate()
        log.writelines(f"{when} {who}\n" for when, who in recent)


def _recent(when: str, now: float) -> bool:
    try:
        return now - float(when) < HOUR
    except ValueError:
        return False


def make_dataset_room(root: Path, server: Limits, owner: str | None, incoming: int,
                      now: float | None = None) -> list[Path]:
    """Before `owner` stores a new uploaded dataset of about `incoming` bytes: forget their oldest
    datasets no run uses until they hold fewer than keep_datasets (QuotaError "quota_datasets" if
    runs use them all), then, while all datasets would exceed datasets_bytes, delete unused ones
    idle for keep_hours, oldest first (QuotaError "quota_datasets_full" if that is not enough).
    Return what was deleted. Nothing happens outside demo mode."""
    if not server.demo:
        return []
    now = time.time() if now is None else now
    stored, used = uploads.list_stored(root), uploads.in_use(root)
    unused = [held for held in stored if held.path.name not in used]
    deleted = []
    if owner and server.keep_datasets is not None:
        mine = [held for held in stored if owner in held.owners]
        forget = [held for held in unused if owner in held.owners][:max(len(mine) - server.keep_datasets + 1, 0)]
        if len(mine) - len(forget) >= server.keep_datasets:
            raise QuotaError("quota_datasets", limit=server.keep_datasets)
        deleted += [held.path for held in forget if uploads.disown(held, owner)]
    if server.datasets_bytes is not None:
        idle = [held for held in unused if held.path not in deleted and held.path.exists()
                and now - held.created > server.keep_hours * HOUR]
        total = sum(held.size for held in stored if held.path not in deleted)
        while total + incoming > server.datasets_bytes and idle:
            held = idle.pop(0)
            runs.delete(held.path)
            deleted.append(held.path)
            total -= held.size
        if total + incoming > server.datasets_bytes:
            raise QuotaError("quota_datasets_full", limit=archive.size_text(server.datasets_bytes),
                             hours=f"{server.keep_hours:g}")
    return deleted
