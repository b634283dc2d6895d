"""The run store: one directory per run under a root. The only module that writes run files;
every write is atomic or append-only, and every reader tolerates missing or damaged files."""

import contextlib
import csv
import errno
import fcntl
import io
import json
import os
import re
import shutil
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from gan.config import ConfigError, RunConfig

ROOT_ENV = "GAN_RUNS_DIR"
DEFAULT_ROOT = "runs"
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
METRICS_FIELDS = ("step", "epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake", "images_per_s")
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0  # a "running" run whose heartbeat is older than this has died
STATES = ("queued", "running", "finished", "failed", "cancelled", "interrupted")

_status_lock = threading.Lock()


class RunError(ValueError):
    """A run id, path or file that cannot be used; the message says which and why."""


def resolve_root(explicit: str | os.PathLike | None = None) -> Path:
    """The runs root: `explicit`, else $GAN_RUNS_DIR, else ./runs."""
    return Path(explicit or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).expanduser().resolve()


def run_path(root: Path, run_id: str) -> Path:
    """root/run_id, refusing anything but a plain id (no separators, no '..', not absolute)."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise RunError(f"run id {run_id!r} is not a plain id (letters, digits, '-', '_')")
    root = Path(root).resolve()
    path = (root / run_id).resolve()
    if path.parent != root:
        raise RunError(f"run id {run_id!r} points outside the runs root")
    return path


def locate(run: str | os.PathLike, root: Path | None = None) -> Path:
    """A run directory from a path to it or from an id under `root`; RunError if there is none."""
    candidate = Path(run)
    if candidate.is_dir() and (candidate / "config.json").exists():
        return candidate.resolve()
    if os.sep in str(run) or candidate.exists():
        raise RunError(f"no run at {candidate} (a run directory holds config.json)")
    path = run_path(resolve_root(root), str(run))
    if not (path / "config.json").exists():
        raise RunError(f"no run at {candidate} (a run directory holds config.json)")
    return path


def _write_atomic(path: Path, data: bytes) -> None:
    """Write to a temporary sibling, fsync, then rename over `path`: readers see old or new, never half."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        with open(tmp, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_json(path: Path) -> dict[str, Any] | None:
    """The JSON object in `path`, or None if it is missing, empty or not a JSON object."""
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


# --- config and creation ---------------------------------------------------------------

def create(root: Path, cfg: RunConfig) -> Path:
    """The run directory for cfg, created with config.json (first) and a queued status if new."""
    path = run_path(root, cfg.run_id)
    path.mkdir(parents=True, exist_ok=True)
    (path / "samples").mkdir(exist_ok=True)
    if read_config(path) is None:
        _write_atomic(path / "config.json", json.dumps(cfg.to_dict(), indent=2).encode())
    if not (path / "status.json").exists():
        write_status(path, state="queued", epoch=0, epochs=cfg.epochs, created=time.time())
    return path


def read_config(path: Path) -> RunConfig | None:
    """The run's config, or None if config.json is missing or is not a valid config."""
    values = _read_json(Path(path) / "config.json")
    if values is None:
        return None
    try:
        return RunConfig.from_dict(values)
    except (ConfigError, TypeError):
        return None


def delete(path: Path) -> None:
    """Remove a run directory: renamed aside first, so no reader ever sees half of it."""
    path = Path(path)
    trash = path.with_name(f".deleted-{path.name}-{os.getpid()}")
    os.replace(path, trash)
    shutil.rmtree(trash, ignore_errors=True)


def list_runs(root: Path) -> list[Path]:
    """Run directories under root (those holding a config.json), newest first."""
    root = Path(root)
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and RUN_ID.match(p.name) and (p / "config.json").exists()]
    return sorted(found, key=lambda p: (p / "config.json").stat().st_mtime, reverse=True)


# --- status ----------------------------------------------------------------------------

def read_status(path: Path) -> dict[str, Any]:
    """status.json as a dict ({} if missing or damaged), with `state` corrected for dead processes.

    A run recorded as running (or queued with a pid) whose process is gone, or whose heartbeat
    is older than STALE_AFTER_SECONDS, is reported as "interrupted".
    """
    status = _read_json(Path(path) / "status.json") or {}
    if status.get("state") in ("running", "queued"):
        beat = status.get("heartbeat") or status.get("updated") or 0
        dead = status.get("pid") and not _pid_alive(status["pid"])
        if dead or time.time() - float(beat) > STALE_AFTER_SECONDS:
            status["state"] = "interrupted"
    return status


def is_active(status: dict[str, Any]) -> bool:
    """Whether a training process owns the run: queued by a launcher, or running."""
    return status.get("state") in ("queued", "running") and bool(status.get("pid"))


def write_status(path: Path, **fields: Any) -> dict[str, Any]:
    """Merge fields into status.json (atomically) and return the new status."""
    with _status_lock:
        status = _read_json(Path(path) / "status.json") or {}
        status.update(fields, updated=time.time())
        _write_atomic(Path(path) / "status.json", json.dumps(status, indent=2).encode())
    return status


def _pid_alive(pid: Any) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def training_lock(path: Path) -> Iterator[bool]:
    """Hold the run's exclusive lock while training; yields False if another process holds it.

    The kernel drops the lock when its holder dies, even by kill -9, so it never goes stale.
    """
    with open(Path(path) / "train.lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def request_cancel(path: Path) -> None:
    """Ask the run's training process to stop at its next logged step."""
    _write_atomic(Path(path) / "cancel.request", str(time.time()).encode())


def cancel_requested(path: Path, since: float) -> bool:
    """Whether a cancel was requested at or after `since` (an older request was for an earlier launch)."""
    try:
        return float((Path(path) / "cancel.request").read_text() or 0) >= since
    except (OSError, ValueError):
        return False


# --- metrics ---------------------------------------------------------------------------

def _append_csv(target: Path, fields: tuple[str, ...], rows: list[dict[str, float]]) -> None:
    """Append rows (header first if the file is new or empty); a half line left by a crash is ended
    first so that it cannot merge with the new rows."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, extrasaction="ignore", lineterminator="\n")
    if not target.exists() or target.stat().st_size == 0:
        writer.writeheader()
    else:
        with open(target, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":
                buffer.write("\n")
    writer.writerows(rows)
    with open(target, "a") as handle:
        handle.write(buffer.getvalue())
        handle.flush()


def _keep_csv_through(target: Path, fields: tuple[str, ...], epoch: int) -> None:
    """Rewrite a CSV atomically, keeping the complete rows of epochs <= epoch."""
    if not target.exists():
        return
    kept = [row for row in _read_csv_rows(target) if row.get("epoch", 0) <= epoch]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fields, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: _compact(v) for k, v in row.items()} for row in kept)
    _write_atomic(target, buffer.getvalue().encode())


def append_metrics(path: Path, rows: list[dict[str, float]]) -> None:
    """Append rows to metrics.csv."""
    _append_csv(Path(path) / "metrics.csv", METRICS_FIELDS, rows)


def read_metrics(path: Path) -> list[dict[str, float]]:
    """metrics.csv rows as dicts of floats; a half-written last line and unparsable rows are skipped."""
    return _read_csv_rows(Path(path) / "metrics.csv")


def _complete_text(target: Path) -> str:
    """The file's text up to its last newline ('' if missing): a half-written line is not data."""
    try:
        text = target.read_bytes().decode("utf-8", errors="replace")
    except OSError:
        return ""
    return text[: text.rfind("\n") + 1]


def _read_csv_rows(target: Path) -> list[dict[str, float]]:
    rows = []
    for row in csv.DictReader(io.StringIO(_complete_text(target))):
        try:
            rows.append({key: float(value) if value else float("nan")
                         for key, value in row.items() if key is not None})
        except (TypeError, ValueError):
            continue
    return rows


def keep_metrics_through(path: Path, epoch: int) -> None:
    """Rewrite metrics.csv keeping rows of epochs <= epoch: what a resume from that epoch needs."""
    _keep_csv_through(Path(path) / "metrics.csv", METRICS_FIELDS, epoch)


def _compact(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- epoch artefacts -------------------------------------------------------------------

def sample_path(path: Path, epoch: int) -> Path:
    return Path(path) / "samples" / f"epoch_{epoch:04d}.png"


def save_sample_grid(path: Path, epoch: int, png: bytes) -> Path:
    """samples/epoch_NNNN.png, written atomically."""
    target = sample_path(path, epoch)
    target.parent.mkdir(exist_ok=True)
    _write_atomic(target, png)
    return target


def list_samples(path: Path) -> list[tuple[int, Path]]:
    """(epoch, png path) of every saved epoch grid, in epoch order."""
    found = []
    for png in (Path(path) / "samples").glob("epoch_*.png"):
        with contextlib.suppress(ValueError):
            found.append((int(png.stem.split("_")[1]), png))
    return sorted(found)


def save_generator(path: Path, generator) -> Path:
    """generator.keras, replaced atomically: a crash or a full disk leaves the previous one intact."""
    target = Path(path) / "generator.keras"
    tmp = Path(path) / f".generator.{os.getpid()}.partial.keras"  # Keras insists on the suffix
    try:
        generator.save(tmp)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def save_checkpoint(path: Path, arrays: list[np.ndarray], meta: dict[str, Any]) -> None:
    """checkpoint.npz: every variable resume needs, plus meta (completed epoch, step, seconds)."""
    buffer = io.BytesIO()
    named = {f"v{i:04d}": np.asarray(a) for i, a in enumerate(arrays)}
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **named)
    _write_atomic(Path(path) / "checkpoint.npz", buffer.getvalue())


def load_checkpoint(path: Path) -> tuple[list[np.ndarray], dict[str, Any]] | None:
    """(arrays, meta) from checkpoint.npz, or None if there is none or it cannot be read."""
    try:
        with np.load(Path(path) / "checkpoint.npz") as archive:
            meta = json.loads(archive["meta"].tobytes().decode())
            names = sorted(k for k in archive.files if k.startswith("v"))
            return [archive[k] for k in names], meta
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
        return None


# --- quality ---------------------------------------------------------------------------

QUALITY_FIELDS = ("epoch", "seconds", "fdd", "score", "confident", "entropy", *(f"class_{d}" for d in range(10)))


def append_quality(path: Path, row: dict[str, float]) -> None:
    """Append one epoch's row to quality.csv."""
    _append_csv(Path(path) / "quality.csv", QUALITY_FIELDS, [row])


def read_quality(path: Path) -> list[dict[str, float]]:
    """quality.csv rows (one per epoch) as dicts of floats; a half-written last line is skipped."""
    return _read_csv_rows(Path(path) / "quality.csv")


def keep_quality_through(path: Path, epoch: int) -> None:
    """Rewrite quality.csv keeping rows of epochs <= epoch: what a resume from that epoch needs."""
    _keep_csv_through(Path(path) / "quality.csv", QUALITY_FIELDS, epoch)


# --- import ----------------------------------------------------------------------------

def install(root: Path, staged: Path, run_id: str) -> Path:
    """Move a complete run directory, staged inside root (one filesystem), to root/run_id in one
    rename: readers see no run or all of it. RunError if that name is already taken."""
    target = run_path(root, run_id)
    if target.exists():
        raise RunError(f"run {run_id} already exists under {root}")
    try:
        os.rename(staged, target)
    except OSError as error:  # taken meanwhile: rename refuses a non-empty directory
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise RunError(f"run {run_id} already exists under {root}") from error
        raise
    return target


# --- the machine's measured speeds (gan.speed) -----------------------------------------

SPEEDS_FILE = ".speed.json"


def read_speeds(root: Path) -> dict[str, Any]:
    """The runs root's speed cache: {speed key: measurement}; empty when missing or damaged."""
    return _read_json(Path(root) / SPEEDS_FILE) or {}


def record_speed(root: Path, key: str, entry: dict[str, Any]) -> None:
    """Set one speed measurement, keeping the others; writers take turns."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".speed.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        speeds = read_speeds(root)
        speeds[key] = entry
        _write_atomic(root / SPEEDS_FILE, json.dumps(speeds, indent=1).encode())


@contextlib.contextmanager
def speed_probe_lock(root: Path) -> Iterator[None]:
    """One speed probe at a time per runs root: two at once would measure each other."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".probe.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def probe_running(root: Path) -> bool:
    """Whether a speed probe holds the runs root's probe lock now."""
    try:
        with open(Path(root) / ".probe.lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except BlockingIOError:
        return True
    except OSError:
        return False
