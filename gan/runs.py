"""The run store: one directory per run under a root. The only module that writes run files;
every write is atomic or append-only, and every reader tolerates missing or damaged files."""

import contextlib
import csv
import dataclasses
import errno
import fcntl
import io
import json
import math
import os
import re
import shutil
import socket
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from gan.config import ConfigError, RunConfig
from gan.errors import UserError

ROOT_ENV = "GAN_RUNS_DIR"
DEFAULT_ROOT = "runs"
RUN_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
# Runs before D's raw scores and separation were logged have the first eight columns only; a resume
# rewrites their metrics.csv with all of them (the old rows' new columns empty).
LEGACY_METRICS_FIELDS = ("step", "epoch", "seconds", "d_loss", "g_loss", "d_real", "d_fake", "images_per_s")
METRICS_FIELDS = (*LEGACY_METRICS_FIELDS, "d_real_score", "d_fake_score", "d_separation")
LOG_EVERY_STEPS = 10  # a metrics row every this many generator steps, and one at the end of each epoch
HEARTBEAT_SECONDS = 5.0
STALE_AFTER_SECONDS = 30.0  # a "running" run whose heartbeat is older than this has died
STATES = ("waiting", "queued", "running", "finished", "failed", "cancelled", "interrupted")
CHECKPOINT = "checkpoint.npz"  # a run's resume point: every variable of its last complete epoch
HOST = socket.gethostname()  # a recorded pid means something on this machine only
CLUSTER_FILE = ".cluster.json"  # under a runs root: the Ray runs the cluster still holds (gan.cluster)

_status_lock = threading.Lock()  # status.json's merges, among this process's threads (see _merging)


class RunError(UserError, ValueError):
    """A run id, path or file that cannot be used; its kind says which and why (error.run_*)."""


def resolve_root(explicit: str | os.PathLike | None = None) -> Path:
    """The runs root: `explicit`, else $GAN_RUNS_DIR, else ./runs."""
    return Path(explicit or os.environ.get(ROOT_ENV) or DEFAULT_ROOT).expanduser().resolve()


def run_path(root: Path, run_id: str) -> Path:
    """root/run_id, refusing anything but a plain id (no separators, no '..', not absolute)."""
    if not isinstance(run_id, str) or not RUN_ID.match(run_id):
        raise RunError("run_bad_id", run_id=repr(run_id))
    root = Path(root).resolve()
    path = (root / run_id).resolve()
    if path.parent != root:
        raise RunError("run_outside_root", run_id=repr(run_id))
    return path


def locate(run: str | os.PathLike, root: Path | None = None) -> Path:
    """A run directory from a path to it or from an id under `root`; RunError if there is none."""
    candidate = Path(run)
    if candidate.is_dir() and (candidate / "config.json").exists():
        return candidate.resolve()
    if os.sep in str(run) or candidate.exists():
        raise RunError("run_not_found", path=candidate)
    path = run_path(resolve_root(root), str(run))
    if not (path / "config.json").exists():
        raise RunError("run_not_found", path=candidate)
    return path


def write_atomic(path: Path, data: bytes) -> None:
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
        write_atomic(path / "config.json", json.dumps(cfg.to_dict(), indent=2).encode())
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

@dataclass(frozen=True)
class Status:
    """status.json: what the run's process (or the launcher, or an import) last recorded about it.

    Every field may be missing from a file: a new run has only state, epoch, epochs and created.
    Fields of the wrong type (a damaged or hand-edited file) read as their default, and `damaged`
    says so; unknown fields are ignored, so older and newer files still read.
    """

    state: str | None = None  # one of STATES; read_status turns a dead "running" into "interrupted"
    # "waiting": in the launcher's queue for a free slot, no process yet; "queued": a process is starting
    pid: int | None = None  # the training process, while queued or running
    host: str | None = None  # the machine that process runs on (None: recorded before hosts were)
    executor: str | None = None  # "ray": a task of a Ray cluster trains it (gan.cluster); None: a local process
    heartbeat: float | None = None  # time.time() of its last sign of life (every HEARTBEAT_SECONDS)
    updated: float | None = None  # time.time() of the last write
    created: float | None = None  # when runs.create made the folder
    launched_at: float | None = None  # when the launcher started the process; older cancels do not apply
    waiting_since: float | None = None  # when it joined the queue (the queue is first come, first served)
    slots: int | None = None  # the concurrency limit the launcher started it under (it passes its slot on)
    owner: str | None = None  # who submitted it: gan.owners.digest of a visitor's token (None: the command line)
    display_name: str | None = None  # the name its owner chose for the gallery (gan.owners.display_name)
    budget_minutes: float | None = None  # the time budget its epochs were planned for, if it had one
    imported: float | None = None  # when archive.import_run installed it
    epoch: int = 0  # completed epochs (what the checkpoint holds)
    epochs: int | None = None  # the config's epochs
    step: int = 0  # generator steps taken
    steps_total: int | None = None
    resumed_from: int | None = None  # the epoch this process resumed from, if it did
    phase: str | None = None  # while starting up: one of startup.PHASES (None once training)
    images_per_s: float | None = None  # over the last logged window of steps
    peak_memory_mb: float | None = None  # the training process's peak resident memory
    eta_s: float | None = None  # seconds to the end (0 once finished; None before it is known)
    n_train: int | None = None  # training images used
    data_source: str | None = None  # a key of data.SOURCE_LABELS: which data it trained on
    data_description: str | None = None
    image_shape: tuple[int, ...] | None = None  # (height, width, channels) of its images (None: MNIST's 28, 28, 1)
    class_names: tuple[str, ...] | None = None  # its data's classes, label order (None: the digits 0-9)
    device: str | None = None  # what it trains on, as gan.devices names it: "CPU", "2× CPU (MirroredStrategy)"
    error: UserError | None = None  # why it failed
    traceback: str | None = None  # for an unexpected failure, for whoever debugs it
    quality_error: UserError | None = None  # why quality is not measured (training went on)
    damaged: bool = False  # the file was there but not a status record, or had fields of the wrong type

    @property
    def active(self) -> bool:
        """Whether a training process owns the run: queued by a launcher, or running. A launcher's
        run is owned from the launch on, before its process has a pid (a warm start may wait for its
        helper); a Ray run from submission on, before the cluster has given it a process."""
        launching = self.state == "queued" and self.launched_at is not None
        return self.state in ("queued", "running") and (bool(self.pid) or launching or self.executor == "ray")

    @property
    def waiting_for_cluster(self) -> bool:
        """Whether it is a Ray run the cluster has not (or not again) given a trainer yet."""
        return self.executor == "ray" and self.state == "queued" and not self.pid

    @property
    def alive(self) -> bool:
        """Whether the run is still to move on by itself: training, or waiting in the queue for a slot."""
        return self.active or self.state == "waiting"

    @classmethod
    def from_dict(cls, values: Any) -> "Status":
        if not isinstance(values, dict):
            return cls(damaged=values is not None)
        kept, damaged = {}, False
        for spec in dataclasses.fields(cls):
            if spec.name not in values or spec.name == "damaged" or values[spec.name] is None:
                continue
            value = _status_value(spec.name, values[spec.name])
            if value is None:
                damaged = True
            else:
                kept[spec.name] = value
        return cls(**kept, damaged=damaged)


STATUS_TYPES = {"state": str, "pid": int, "epoch": int, "epochs": int, "step": int, "steps_total": int,
                "resumed_from": int, "n_train": int, "phase": str, "slots": int, "owner": str,
                "display_name": str, "data_source": str, "data_description": str, "device": str, "traceback": str,
                "host": str, "executor": str}


STATUS_LISTS = {"image_shape": int, "class_names": str}  # fields holding a list of one type, read as a tuple


def _status_value(name: str, value: Any) -> Any:
    """A status field read from JSON as its type, or None if it has the wrong one."""
    if name in STATUS_LISTS:
        kind = STATUS_LISTS[name]
        items = value if isinstance(value, list) else []
        valid = items and all(isinstance(item, kind) and not isinstance(item, bool) for item in items)
        return tuple(items) if valid else None
    if name in ("error", "quality_error"):
        if isinstance(value, str):  # written by versions before errors had kinds
            return UserError("recorded", text=value)
        try:
            return UserError.from_dict(value)
        except ValueError:
            return None
    kind = STATUS_TYPES.get(name, float)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    if kind is str:
        return value if isinstance(value, str) and (name != "state" or value in STATES) else None
    if isinstance(value, str) or (kind is int and not float(value).is_integer()) or not math.isfinite(value):
        return None
    return kind(value)


def read_status(path: Path) -> Status:
    """status.json as a Status (all defaults if missing), with `state` corrected for dead processes.

    A run recorded as running (or queued with a pid) whose process is gone, or whose heartbeat
    is older than STALE_AFTER_SECONDS, is reported as "interrupted". A Ray run's process may be on
    another machine: it is interrupted only once its heartbeat is stale and the cluster no longer
    holds its task; while the cluster holds it with a stale heartbeat (its trainer died and Ray
    will run it again), it is reported as queued with no process: waiting for the cluster.
    """
    file = Path(path) / "status.json"
    try:
        status = Status.from_dict(json.loads(file.read_text()))
    except FileNotFoundError:
        return Status()
    except (OSError, ValueError, RecursionError):
        return Status(damaged=True)
    if status.state in ("running", "queued"):
        stale = time.time() - (status.heartbeat or status.updated or 0) > STALE_AFTER_SECONDS
        if status.executor == "ray":
            if stale and cluster_holds(path):
                status = dataclasses.replace(status, state="queued", pid=None, host=None, phase=None)
            elif stale:
                status = dataclasses.replace(status, state="interrupted")
        elif stale or (status.pid and status.host in (None, HOST) and not _pid_alive(status.pid)):
            status = dataclasses.replace(status, state="interrupted")
    return status


def write_status(path: Path, **fields: Any) -> Status:
    """Merge fields (names of Status fields; errors as UserError) into status.json atomically, and
    return the new status. An unknown name is a programming error: TypeError."""
    unknown = set(fields) - {spec.name for spec in dataclasses.fields(Status)} | ({"damaged"} & set(fields))
    if unknown:
        raise TypeError(f"not a status field: {', '.join(sorted(unknown))}")
    encoded = {name: value.to_dict() if isinstance(value, UserError) else value for name, value in fields.items()}
    with _merging(Path(path)):
        status = _read_json(Path(path) / "status.json") or {}
        status.update(encoded, updated=time.time())
        write_atomic(Path(path) / "status.json", json.dumps(status, indent=2).encode())
    return Status.from_dict(status)


@contextlib.contextmanager
def _merging(run_dir: Path) -> Iterator[None]:
    """Hold the run's status merges: one at a time in this process (a lock) and across processes (a
    flock on the run's folder), so the launcher's write and its trainer's first ones, a few
    milliseconds apart when the trainer starts warm, never lose each other's fields."""
    with _status_lock:
        folder = os.open(run_dir, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            yield
        finally:
            os.close(folder)  # and with it the flock


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
    write_atomic(Path(path) / "cancel.request", str(time.time()).encode())


def cancel_requested(path: Path, since: float) -> bool:
    """Whether a cancel was requested at or after `since` (an older request was for an earlier launch)."""
    try:
        return float((Path(path) / "cancel.request").read_text() or 0) >= since
    except (OSError, ValueError):
        return False


def write_cluster_holds(root: Path, run_ids: list[str]) -> None:
    """Record, with the time, which runs under root the Ray cluster holds a task for (pending,
    training or to be retried); gan.cluster refreshes it every HEARTBEAT_SECONDS while it holds any."""
    write_atomic(Path(root) / CLUSTER_FILE, json.dumps({"beat": time.time(), "runs": sorted(run_ids)}).encode())


def cluster_holds(path: Path) -> bool:
    """Whether a fresh record of the Ray cluster (see write_cluster_holds) lists the run at path."""
    record = _read_json(Path(path).parent / CLUSTER_FILE) or {}
    beat, held = record.get("beat"), record.get("runs")
    fresh = isinstance(beat, (int, float)) and time.time() - beat <= STALE_AFTER_SECONDS
    return fresh and isinstance(held, list) and Path(path).name in held


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
    write_atomic(target, buffer.getvalue().encode())


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
    return _parse_csv(_complete_text(target))


def _parse_csv(text: str) -> list[dict[str, float]]:
    """Rows of CSV text (header first) as dicts of floats, empty cells NaN; unparsable rows skipped."""
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
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
    write_atomic(target, png)
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


CHECKPOINT_FORMAT = 2  # 2: arrays named by what they hold, meta with the config; 1 (no "format"): v0000…


class CheckpointError(UserError):
    """A checkpoint.npz that cannot be resumed from: damaged, another run's, or another model's."""


def save_checkpoint(path: Path, arrays: dict[str, np.ndarray], meta: dict[str, Any]) -> None:
    """checkpoint.npz: every variable resume needs, by name, plus meta (completed epoch, step,
    training seconds, the run's config) and the format version."""
    buffer = io.BytesIO()
    meta = {**meta, "format": CHECKPOINT_FORMAT}
    np.savez(buffer, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8),
             **{name: np.asarray(array) for name, array in arrays.items()})
    write_atomic(Path(path) / CHECKPOINT, buffer.getvalue())


def load_checkpoint(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """({name: array}, meta) from checkpoint.npz, None if there is none; CheckpointError if the file
    is there but unreadable, so a damaged file is never mistaken for "start from scratch"."""
    return _read_checkpoint(Path(path) / CHECKPOINT, with_arrays=True)


def _read_checkpoint(file: Path, with_arrays: bool) -> tuple[dict[str, np.ndarray], dict[str, Any]] | None:
    """(arrays, meta) of file, arrays only if asked (an npz reads each member on demand)."""
    if not file.exists():
        return None
    try:
        with np.load(file) as archive:  # allow_pickle stays False: no objects, no code
            meta = json.loads(archive["meta"].tobytes().decode())
            if not isinstance(meta, dict):
                raise ValueError("meta is not an object")
            arrays = {name: archive[name] for name in archive.files if name != "meta"} if with_arrays else {}
            return arrays, meta
    except (OSError, ValueError, KeyError, EOFError, RecursionError, zipfile.BadZipFile) as error:
        raise CheckpointError("checkpoint_damaged", error, path=file) from error


def same_trajectory(saved: Any, config: dict[str, Any]) -> bool:
    """Whether a checkpoint's recorded config trains like `config`: equal but for the number of
    epochs, which only says where training stops."""
    return isinstance(saved, dict) and {**saved, "epochs": 0} == {**config, "epochs": 0}


# What a checkpoint saved before its meta recorded the data's shape was trained on: MNIST digits.
DIGITS_SHAPE = {"image_shape": [28, 28, 1], "n_classes": 10}


def data_shape(image_shape, n_classes: int) -> dict[str, Any]:
    """A checkpoint meta's record of the data its models were built for: image_shape (height,
    width, channels) and the number of classes."""
    return {"image_shape": [int(size) for size in image_shape], "n_classes": int(n_classes)}


def checkpoint_epoch(meta: dict[str, Any], cfg: RunConfig, path: Path, shape: dict[str, Any] | None = None) -> int:
    """The completed epoch a checkpoint's meta records, after checking that it records one, that
    it trains like cfg when it records a config and, given `shape` (data_shape()), that its models
    were built for images and classes of that shape; CheckpointError otherwise."""
    file = Path(path) / CHECKPOINT
    epoch = meta.get("epoch")
    if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 0:
        raise CheckpointError("checkpoint_damaged", "no completed epoch recorded", path=file)
    if "config" in meta and not same_trajectory(meta["config"], cfg.to_dict()):
        raise CheckpointError("checkpoint_foreign", path=file, run_id=cfg.run_id)
    saved = {key: meta.get(key, default) for key, default in DIGITS_SHAPE.items()}
    if shape is not None and saved != shape:
        raise CheckpointError("checkpoint_other_data", path=file, saved=_size(saved), saved_classes=saved["n_classes"],
                              expected=_size(shape), expected_classes=shape["n_classes"])
    return epoch


def _size(shape: dict[str, Any]) -> str:
    """'32×32×3': a data_shape() record's image shape as messages write it."""
    image_shape = shape["image_shape"]
    return "×".join(map(str, image_shape)) if isinstance(image_shape, list) else repr(image_shape)


def check_checkpoint(path: Path, cfg: RunConfig) -> int:
    """The completed epoch of path's checkpoint (0 without one), checked by checkpoint_epoch.
    Reads only the small meta record."""
    loaded = _read_checkpoint(Path(path) / CHECKPOINT, with_arrays=False)
    return 0 if loaded is None else checkpoint_epoch(loaded[1], cfg, path)


# --- quality ---------------------------------------------------------------------------

# Runs before the random-feature distance and the memorisation check have the first 16 columns only;
# a resume rewrites their quality.csv with all of them (the old rows' new columns empty).
LEGACY_QUALITY_FIELDS = ("epoch", "seconds", "fdd", "score", "confident", "entropy",
                         *(f"class_{d}" for d in range(10)))
# rfd: random-feature distance of the samples, rfd_real: of as many training images; near_copies:
# the share of samples at or under copy_threshold (RMS) from a training image; nearest_median: the
# samples' median RMS distance to their nearest training image, real_gap: the training images' own
# to their nearest other one (see gan.features, gan.memorisation).
QUALITY_FIELDS = (*LEGACY_QUALITY_FIELDS, "rfd", "rfd_real", "near_copies", "copy_threshold", "nearest_median",
                  "real_gap")
QUALITY_TAIL_BYTES = 4096  # a quality.csv row is about 300 bytes
COPIES = "copies.npz"  # the latest evaluated epoch's most copy-like samples beside their nearest training images
COPIES_MOST, COPIES_SIDE = 64, 512  # what read_copies accepts: a few samples, of a size the models make
COPIES_BYTES = COPIES_MOST * COPIES_SIDE**2 * 3 + 4096  # the largest array it accepts, with its .npy header


def append_quality(path: Path, row: dict[str, float]) -> None:
    """Append one epoch's row to quality.csv."""
    _append_csv(Path(path) / "quality.csv", QUALITY_FIELDS, [row])


def _measured(row: dict[str, float]) -> dict[str, float]:
    """A quality row without its empty cells: each run measures some of the columns only (the digit
    classifier's, or the ones for data without a classifier)."""
    return {key: value for key, value in row.items() if not math.isnan(value)}


def read_quality(path: Path) -> list[dict[str, float]]:
    """quality.csv rows (one per epoch) as dicts of floats, empty cells left out; a half-written last
    line is skipped."""
    return [_measured(row) for row in _read_csv_rows(Path(path) / "quality.csv")]


def last_quality(path: Path) -> dict[str, float] | None:
    """The last complete row of quality.csv (where the run ended up), or None without one. Reads the
    header and the file's last few kB only: a gallery reads this for every run."""
    try:
        with open(Path(path) / "quality.csv", "rb") as handle:
            header = handle.readline()
            start = max(len(header), handle.seek(0, os.SEEK_END) - QUALITY_TAIL_BYTES)
            handle.seek(start)
            tail = handle.read()
    except OSError:
        return None
    lines = tail[: tail.rfind(b"\n") + 1].splitlines(keepends=True)
    if start > len(header):
        lines = lines[1:]  # the seek landed inside a row
    for line in reversed(lines):
        rows = _parse_csv((header + line).decode("utf-8", errors="replace"))
        if rows:
            return _measured(rows[0])
    return None


def keep_quality_through(path: Path, epoch: int) -> None:
    """Rewrite quality.csv keeping rows of epochs <= epoch: what a resume from that epoch needs."""
    _keep_csv_through(Path(path) / "quality.csv", QUALITY_FIELDS, epoch)


@dataclass(frozen=True)
class Copies:
    """copies.npz: an epoch's most copy-like samples, closest first: the samples and the nearest
    training image of each, uint8 (k, h, w) or (k, h, w, 3); their training indices (k,) int and
    RMS distances (k,) float; and the near-copy threshold (gan.memorisation)."""

    epoch: int
    samples: np.ndarray
    nearest: np.ndarray
    index: np.ndarray
    distance: np.ndarray
    threshold: float


def save_copies(path: Path, copies: Copies) -> None:
    """copies.npz, replaced atomically: only the latest evaluated epoch's strip is kept."""
    buffer = io.BytesIO()
    np.savez_compressed(buffer, epoch=np.int64(copies.epoch), samples=copies.samples.astype(np.uint8),
                        nearest=copies.nearest.astype(np.uint8), index=copies.index.astype(np.int64),
                        distance=copies.distance.astype(np.float64), threshold=np.float64(copies.threshold))
    write_atomic(Path(path) / COPIES, buffer.getvalue())


def read_copies(path: Path) -> Copies | None:
    """copies.npz as Copies, or None if it is missing, damaged or not shaped as save_copies writes it."""
    try:
        with np.load(Path(path) / COPIES) as archive:  # allow_pickle stays False: no objects, no code
            # Sizes as stored, before anything is decompressed: an imported file may be a bomb.
            if any(info.file_size > COPIES_BYTES for info in archive.zip.infolist()):
                return None
            found = Copies(int(archive["epoch"]), archive["samples"], archive["nearest"], archive["index"],
                           archive["distance"], float(archive["threshold"]))
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None
    k = len(found.samples)
    shaped = (found.samples.dtype == found.nearest.dtype == np.uint8 and found.samples.shape == found.nearest.shape
              and found.samples.ndim in (3, 4) and (found.samples.ndim == 3 or found.samples.shape[3] == 3)
              and 0 < k <= COPIES_MOST and max(found.samples.shape[1:3]) <= COPIES_SIDE
              and found.index.shape == found.distance.shape == (k,) and np.isfinite(found.distance).all())
    return found if shaped else None


# --- import ----------------------------------------------------------------------------

def install(root: Path, staged: Path, run_id: str) -> Path:
    """Move a complete run directory, staged inside root (one filesystem), to root/run_id in one
    rename: readers see no run or all of it. RunError if that name is already taken."""
    target = run_path(root, run_id)
    if target.exists():
        raise RunError("run_exists", run_id=run_id, root=root)
    try:
        os.rename(staged, target)
    except OSError as error:  # taken meanwhile: rename refuses a non-empty directory
        if error.errno in (errno.EEXIST, errno.ENOTEMPTY):
            raise RunError("run_exists", run_id=run_id, root=root) from error
        raise
    return target


# --- the machine's measured speeds (gan.speed) -----------------------------------------

SPEEDS_FILE = ".speed.json"


def read_speeds(root: Path) -> dict[str, Any]:
    """The runs root's speed cache: {speed key: measurement}; empty when missing or damaged."""
    return _read_json(Path(root) / SPEEDS_FILE) or {}


def record_speed(root: Path, key: str, entry: dict[str, Any]) -> None:
    """Set one speed measurement, keeping the others; writers take turns."""
    with exclusive_lock(Path(root) / ".speed.lock"):
        speeds = read_speeds(root)
        speeds[key] = entry
        write_atomic(Path(root) / SPEEDS_FILE, json.dumps(speeds, indent=1).encode())


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Hold the lock file at path (its folder made if need be), waiting for it: one holder at a time
    across processes and threads alike (flock belongs to an open file, and each holder opens its own)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextlib.contextmanager
def speed_probe_lock(root: Path) -> Iterator[None]:
    """One speed probe at a time per runs root: two at once would measure each other."""
    with exclusive_lock(Path(root) / ".probe.lock"):
        yield


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
