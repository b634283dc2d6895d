"""Run archives: one run directory as a zip to share (export), and a checked, atomic install of
someone else's archive under a runs root (import) that refuses anything it cannot trust."""

import contextlib
import csv
import io
import itertools
import json
import math
import re
import shutil
import stat
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from PIL import Image

from gan import runs, sampling
from gan.config import UPLOADED, ConfigError, RunConfig
from gan.errors import UserError
from gan.limits import UPLOADS, UploadLimits

MB = 2**20
RUN_FILES = ("config.json", "status.json", "metrics.csv", "quality.csv", "generator.keras", runs.CHECKPOINT,
             runs.COPIES)
DATASET = "dataset.npz"  # a run on your own images carries them (gan.uploads), so it trains and resumes elsewhere
SAMPLE = re.compile(r"^samples/epoch_(\d{4})\.png$")
# Each CSV's accepted headers, current first: runs exported before a column was added still import.
CSV_FIELDS = {"metrics.csv": (runs.METRICS_FIELDS, runs.LEGACY_METRICS_FIELDS),
              "quality.csv": (runs.QUALITY_FIELDS, runs.LEGACY_QUALITY_FIELDS)}
ALLOWED = ", ".join((*RUN_FILES, DATASET, "samples/epoch_NNNN.png"))
JSON_BYTES = MB  # config.json and status.json are a few hundred bytes
PNG_SIDE = 1024  # a sample grid is about 500 pixels a side; a larger one only costs viewers' memory
CSV_ROW_BYTES = 400  # a metrics row is 11 numbers, about 150 characters
RATIO_FROM = MB  # only members larger than this are held to the compression ratio
# The status fields an import keeps: they describe the run, never a process of the exporting machine.
STATUS_KEPT = ("step", "steps_total", "images_per_s", "peak_memory_mb", "n_train", "created", "data_source",
               "data_description", "error", "quality_error")
IMPORTED_PREFIX = "imported-"
UNSAFE_NAME = re.compile(r"[\x00-\x1f\\:]")  # control characters, Windows separators, drive letters


class ArchiveError(UserError, ValueError):
    """An archive that cannot be exported or imported; its kind and params say why (catalogue
    texts error.archive_*)."""


@dataclass(frozen=True)
class ImportLimits:
    """What import_run accepts. The defaults fit any run the form allows (the largest checkpoint,
    dcgan_tutorial with latent 512 and EMA, is about 125 MB) and refuse zip bombs."""

    archive_bytes: int = 50 * MB  # the upload itself; Streamlit's maxUploadSize is 50 MB too
    total_bytes: int = 256 * MB  # all members, uncompressed
    member_bytes: int = 160 * MB  # any one member, uncompressed
    members: int = 1100  # one sample grid per epoch (at most 1000) and the run's other files
    ratio: float = 100.0  # weights and PNGs barely compress; CSVs about 4 times


LIMITS = ImportLimits()


@dataclass(frozen=True)
class Imported:
    """Where an imported run lives (its importer's folder, imported_name), and whether it was
    already there (then nothing was changed)."""

    path: Path
    run_id: str
    existed: bool


# --- export ----------------------------------------------------------------------------

def export_run(run_dir: Path, checkpoint: bool | None = None) -> bytes:
    """The run as zip bytes: a folder named by its run id holding the files import_run accepts.

    checkpoint.npz (3-4 times the generator's size) is included when `checkpoint` is True, or by
    default only if the run is unfinished: resuming is its only use. A run on your own images
    carries them as dataset.npz (the stored data.npz) when they are still stored. Locks, logs, cancel
    requests and temporary files are left out.
    """
    run_dir = Path(run_dir)
    cfg = runs.read_config(run_dir)
    if cfg is None:
        raise ArchiveError("archive_export_not_run", path=run_dir)
    if checkpoint is None:
        checkpoint = runs.read_status(run_dir).state != "finished"
    names = [name for name in RUN_FILES if checkpoint or name != runs.CHECKPOINT]
    grids = (png.relative_to(run_dir).as_posix() for _, png in runs.list_samples(run_dir))
    names += [name for name in grids if SAMPLE.match(name)]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            source = run_dir / name
            if source.is_file() and not source.is_symlink():  # never follow a link out of the run folder
                archive.write(source, f"{cfg.run_id}/{name}")
        if UPLOADED.fullmatch(cfg.dataset):
            from gan import uploads  # it imports this module

            stored = uploads.dataset_path(run_dir.parent, cfg.dataset) / "data.npz"
            if stored.is_file() and not stored.is_symlink():
                archive.write(stored, f"{cfg.run_id}/{DATASET}", zipfile.ZIP_STORED)  # already compressed
    return buffer.getvalue()


# --- import ----------------------------------------------------------------------------

def imported_name(owner: str | None, run_id: str) -> str:
    """The folder of run_id imported by `owner` (gan.owners.digest; None: the command line). Never
    the run id itself: a config trains in that folder, and an archive must not pre-install a
    "finished" run there for the next visitor who presses Start with the same settings."""
    return f"{IMPORTED_PREFIX}{(owner or 'local')[:10]}-{run_id}"


def is_imported(run_dir: Path) -> bool:
    """Whether the run folder is one import_run installed."""
    return Path(run_dir).name.startswith(IMPORTED_PREFIX)


def import_run(data: bytes | IO[bytes], root: Path, limits: ImportLimits = LIMITS,
               owner: str | None = None, upload_limits: UploadLimits = UPLOADS,
               make_room: Callable[[int], object] | None = None) -> Imported:
    """Check an archive made by export_run and install its run under root, in the importer's
    folder (imported_name) and owned by them; ArchiveError if refused.

    The archive must hold one folder named by the run id of the config.json inside it, and only
    the files a run is made of, each checked (config, CSV columns and rows, PNGs, checkpoint, and a
    generator that loads with safe_mode=True and matches the config). It is extracted to a hidden
    folder inside root and renamed into place only once everything passed: a refused import leaves
    nothing behind. A run this owner already imported with the same config is kept as it is,
    unread (existed=True). The imported status is "finished" if the archive's was, else
    "interrupted", and names no process. A run on your own images may carry them (dataset.npz):
    held to upload_limits and to the config's hash, they are stored under root (gan.uploads) as if
    `owner` had uploaded them: make_room(their size in bytes), if given, is called first when they
    are not stored yet (a shared server's budget, gan.quota.make_dataset_room; what it raises refuses
    the import, and nothing is installed).
    """
    blob = _read_upload(data, limits.archive_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(blob))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as error:
        raise ArchiveError("archive_not_zip") from error
    with archive:
        run_id, files = _layout(check_members(archive.infolist(), limits, limits.total_bytes))
        cfg = _archived_config(archive, files)
        if run_id != cfg.run_id:
            raise ArchiveError("archive_renamed", folder=run_id, run_id=cfg.run_id)
        if DATASET in files and not UPLOADED.fullmatch(cfg.dataset):
            raise ArchiveError("archive_foreign_file", name=DATASET, allowed=ALLOWED)
        status = _archived_json(archive, files, "status.json") if "status.json" in files else {}
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        folder = imported_name(owner, run_id)
        target = runs.run_path(root, folder)
        if target.exists():
            return _existing(target, cfg)
        try:
            with tempfile.TemporaryDirectory(prefix=".import-", dir=root, ignore_cleanup_errors=True) as tmp:
                staged = Path(tmp) / folder
                _extract(archive, files, staged)
                epoch = _check_files(staged, cfg, limits)
                has_generator = (staged / "generator.keras").exists()
                runs.write_status(staged, **_imported_status(status, cfg, epoch, has_generator), owner=owner)
                if DATASET in files:
                    _store_dataset(archive, files[DATASET], cfg, root, upload_limits, owner, make_room)
                try:
                    path = runs.install(root, staged, folder)
                except runs.RunError:  # imported by someone else meanwhile
                    return _existing(target, cfg)
        except OSError as error:
            raise ArchiveError("archive_unwritable", error.strerror or error, root=root) from error
    return Imported(path, run_id, existed=False)


def _read_upload(data: bytes | IO[bytes], limit: int) -> bytes:
    """The archive's bytes (a file is read from its current position), at most `limit` of them."""
    blob = bytes(data) if isinstance(data, (bytes, bytearray, memoryview)) else data.read(limit + 1)
    if not isinstance(blob, bytes):
        raise ArchiveError("archive_not_binary")
    if len(blob) > limit:
        raise ArchiveError("archive_too_large", limit=size_text(limit))
    return blob


def size_text(n: float) -> str:
    return f"{n / MB:.0f} MB" if n >= MB else f"{n:,.0f} bytes"


def check_members(infos: list[zipfile.ZipInfo], limits: ImportLimits | UploadLimits,
                  total_limit: int) -> dict[str, zipfile.ZipInfo]:
    """Members by name, refusing zip bombs (sizes, count, ratio), unsafe names, links and duplicates.
    Run archives and uploads of your own images (gan.uploads, for a zip and for a folder's files)
    share this check.

    Declared sizes can be trusted for extraction: zipfile stops reading a member at its declared
    size and checks its CRC, so a member that lies about its size fails instead of growing.
    """
    if len(infos) > limits.members:
        raise ArchiveError("archive_too_many_files", count=f"{len(infos):,}", limit=f"{limits.members:,}")
    members: dict[str, zipfile.ZipInfo] = {}
    total = 0
    for info in infos:
        name = info.orig_filename
        parts = name.rstrip("/").split("/")
        if not name or name.startswith("/") or UNSAFE_NAME.search(name) or {"", ".", ".."} & set(parts):
            raise ArchiveError("archive_unsafe_path", name=repr(name))
        if stat.S_IFMT(info.external_attr >> 16) not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise ArchiveError("archive_link", name=repr(name))
        if info.flag_bits & 0x1:
            raise ArchiveError("archive_encrypted", name=repr(name))
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ArchiveError("archive_compression", name=repr(name))
        if info.file_size > limits.member_bytes:
            raise ArchiveError("archive_member_too_large", name=repr(name), size=size_text(info.file_size),
                               limit=size_text(limits.member_bytes))
        if info.file_size > RATIO_FROM and info.file_size > limits.ratio * max(info.compress_size, 1):
            raise ArchiveError("archive_zip_bomb", name=repr(name), ratio=f"{limits.ratio:g}")
        total += info.file_size
        if total > total_limit:
            raise ArchiveError("archive_unpacks_too_large", limit=size_text(total_limit))
        if name in members:
            raise ArchiveError("archive_duplicate", name=repr(name))
        members[name] = info
    return members


def _layout(members: dict[str, zipfile.ZipInfo]) -> tuple[str, dict[str, zipfile.ZipInfo]]:
    """(the run id folder, {name inside it: member}), refusing anything that is not part of a run."""
    tops = sorted({name.split("/")[0] for name in members})
    if len(tops) != 1 or not all(name.startswith(f"{tops[0]}/") for name in members):
        raise ArchiveError("archive_layout", found=", ".join(tops[:5]) or "—")
    run_id = tops[0]
    if not runs.RUN_ID.match(run_id):
        raise ArchiveError("archive_bad_run_id", folder=repr(run_id))
    files = {}
    for name, info in members.items():
        inner = name[len(run_id) + 1:]
        if info.is_dir() and inner.rstrip("/") in ("", "samples"):
            continue
        if info.is_dir() or not (inner in RUN_FILES or inner == DATASET or SAMPLE.match(inner)):
            raise ArchiveError("archive_foreign_file", name=repr(inner), allowed=ALLOWED)
        files[inner] = info
    return run_id, files


def _archived_json(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], name: str) -> dict[str, Any]:
    info = files[name]
    try:
        if info.file_size > JSON_BYTES:
            raise ValueError
        value = json.loads(archive.read(info).decode("utf-8"))
    except (ValueError, RecursionError, zipfile.BadZipFile, OSError, EOFError) as error:
        raise ArchiveError("archive_bad_json", name=name) from error  # RecursionError: nested thousands deep
    if not isinstance(value, dict):
        raise ArchiveError("archive_json_not_object", name=name)
    return value


def _archived_config(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo]) -> RunConfig:
    if "config.json" not in files:
        raise ArchiveError("archive_no_config")
    try:
        return RunConfig.from_dict(_archived_json(archive, files, "config.json"))
    except ConfigError as error:
        raise ArchiveError("archive_bad_config", reason=error) from error


def _existing(target: Path, cfg: RunConfig) -> Imported:
    if runs.read_config(target) != cfg:
        raise ArchiveError("archive_folder_taken", run_id=target.name)
    return Imported(target, cfg.run_id, existed=True)


def _extract(archive: zipfile.ZipFile, files: dict[str, zipfile.ZipInfo], staged: Path) -> None:
    """Write the members to staged/, at paths built from the checked names, never from raw ones."""
    (staged / "samples").mkdir(parents=True)
    for name, info in files.items():
        if name in ("status.json", DATASET):
            continue  # rewritten from its checked fields; stored by its hash, not in the run
        try:
            with archive.open(info) as source, open(staged.joinpath(*name.split("/")), "xb") as sink:
                shutil.copyfileobj(source, sink, MB)
        except (zipfile.BadZipFile, EOFError, zlib.error) as error:
            raise ArchiveError("archive_damaged_member", error, name=name) from error


def _store_dataset(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cfg: RunConfig, root: Path,
                   limits: UploadLimits, owner: str | None, make_room: Callable[[int], object] | None) -> None:
    """The run's images, checked as an upload and against the config's hash, stored once under root."""
    from gan import uploads  # it imports this module

    try:
        ingested = uploads.from_archived(archive.read(info), cfg.dataset, limits)
    except (zipfile.BadZipFile, EOFError, zlib.error) as error:
        raise ArchiveError("archive_damaged_member", error, name=DATASET) from error
    except UserError as error:
        raise ArchiveError("archive_inner_refused", name=DATASET, reason=error) from error
    if make_room is not None and not (uploads.dataset_path(root, cfg.dataset) / "data.npz").is_file():
        make_room(ingested.pixels.nbytes)
    uploads.store(root, ingested, owner)


def _check_files(staged: Path, cfg: RunConfig, limits: ImportLimits) -> int | None:
    """Check every extracted file against the config; the checkpoint's epoch (None if there is none)."""
    for name, fields in CSV_FIELDS.items():
        if (staged / name).exists():
            _check_csv(staged / name, fields, max_rows(name, cfg))
    for epoch, png in runs.list_samples(staged):
        _check_png(png)
        if epoch > cfg.epochs:
            raise ArchiveError("archive_grid_beyond_run", epoch=epoch, epochs=cfg.epochs)
    epoch = _check_checkpoint(staged / runs.CHECKPOINT, cfg, limits) if (staged / runs.CHECKPOINT).exists() else None
    if (staged / "generator.keras").exists():
        _check_generator(staged / "generator.keras", cfg, limits)
    if (staged / runs.COPIES).exists() and runs.read_copies(staged) is None:
        raise ArchiveError("archive_bad_copies", name=runs.COPIES)
    return epoch


def max_rows(name: str, cfg: RunConfig) -> int:
    """The most rows the run's training writes to metrics.csv or quality.csv: more is not its
    history, and would only cost every viewer memory."""
    if name == "quality.csv":
        return cfg.epochs
    steps_per_epoch = cfg.n_images // cfg.batch_size + 1
    return cfg.epochs * (steps_per_epoch // runs.LOG_EVERY_STEPS + 2)


def _check_csv(path: Path, accepted: tuple[tuple[str, ...], ...], most: int) -> None:
    """The header must be one of `accepted`, then at most `most` complete rows of as many numbers
    (a half-written last line is fine)."""
    if path.stat().st_size > (most + 1) * CSV_ROW_BYTES:
        raise ArchiveError("archive_csv_too_long", name=path.name, rows=f"{most:,}")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise ArchiveError("archive_csv_not_text", name=path.name) from error
    lines = text.split("\n")[:-1]  # what follows the last newline is a line being written, not data
    if not lines:
        return
    fields = next((fields for fields in accepted if lines[0].split(",") == list(fields)), None)
    if fields is None:
        raise ArchiveError("archive_csv_columns", name=path.name, columns=",".join(accepted[0]))
    if len(lines) - 1 > most:
        raise ArchiveError("archive_csv_too_long", name=path.name, rows=f"{most:,}")
    rows = csv.reader(lines[1:])
    for number in itertools.count(2):
        try:  # csv.Error: a field longer than the csv module's limit (a 50 MB line, say)
            row = next(rows, None)
            if row is None:
                return
            if row and (len(row) != len(fields) or any(value and not _is_number(value) for value in row)):
                raise ValueError
        except (ValueError, csv.Error) as error:
            raise ArchiveError("archive_csv_row", line=number, name=path.name, columns=len(fields)) from error


def _is_number(value: str) -> bool:
    with contextlib.suppress(ValueError):
        float(value)
        return True
    return False


def _check_png(path: Path) -> None:
    name = path.relative_to(path.parents[1]).as_posix()
    try:
        with Image.open(path) as picture:
            if picture.format != "PNG" or max(picture.size) > PNG_SIDE:
                raise ValueError(f"a {picture.format} image of {picture.size[0]}x{picture.size[1]} pixels")
            picture.load()
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise ArchiveError("archive_bad_grid", name=name) from error


def _check_inner_zip(path: Path, limits: ImportLimits) -> None:
    """generator.keras and checkpoint.npz are zips too: hold them to the same bomb limits."""
    try:
        with zipfile.ZipFile(path) as inner:
            infos = inner.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ArchiveError("archive_inner_not_zip", name=path.name) from error
    try:
        check_members(infos, limits, limits.member_bytes)
    except ArchiveError as error:
        raise ArchiveError("archive_inner_refused", name=path.name, reason=error) from error


def _check_checkpoint(path: Path, cfg: RunConfig, limits: ImportLimits) -> int:
    """The completed epoch the checkpoint holds; it must be loadable, numeric and within the run."""
    _check_inner_zip(path, limits)
    try:
        arrays, meta = runs.load_checkpoint(path.parent)  # allow_pickle stays False: no objects, no code
    except runs.CheckpointError as error:
        raise ArchiveError("archive_checkpoint_damaged") from error
    epoch, step, seconds = (meta.get(key) for key in ("epoch", "step", "seconds"))
    valid = (_is_int(epoch) and 1 <= epoch <= cfg.epochs and _is_int(step) and step >= 0
             and _is_real(seconds) and runs.same_trajectory(meta.get("config", cfg.to_dict()), cfg.to_dict())
             and all(a.dtype.kind in "biuf" for a in arrays.values()))
    if not valid:
        raise ArchiveError("archive_checkpoint_foreign", epochs=cfg.epochs)
    return epoch


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_generator(path: Path, cfg: RunConfig, limits: ImportLimits) -> None:
    """The generator must load with safe_mode=True (no Lambda code) and draw the config's digits."""
    _check_inner_zip(path, limits)
    try:
        generator = sampling.load_generator(path)
    except sampling.GeneratorError as error:  # named as in the archive, not by the staging folder's path
        reason = sampling.GeneratorError(error.kind, error.detail, **{**error.params, "path": "generator.keras"})
        raise ArchiveError("archive_inner_refused", name="generator.keras", reason=reason) from error
    if sampling.latent_dim(generator) != cfg.latent_dim or sampling.is_conditional(generator) != cfg.conditional:
        kind = "conditional" if cfg.conditional else "unconditional"
        raise ArchiveError(f"archive_generator_not_{kind}", latent_dim=cfg.latent_dim)


def _imported_status(raw: dict[str, Any], cfg: RunConfig, epoch: int | None, has_generator: bool) -> dict:
    """The archive's status fields that describe the run, never its process: no pid, no heartbeat.
    Fields of the wrong type are dropped, as runs.Status reads them.

    Without a checkpoint an unfinished run restarts from epoch 0, so that is the epoch it reports.
    """
    status = runs.Status.from_dict(raw)
    kept = {name: getattr(status, name) for name in STATUS_KEPT if getattr(status, name) is not None}
    claims_finished = status.state == "finished" and has_generator
    if epoch is None:
        epoch = cfg.epochs if claims_finished and status.epoch == cfg.epochs else 0
    finished = claims_finished and epoch == cfg.epochs
    return {**kept, "state": "finished" if finished else "interrupted", "epoch": epoch, "epochs": cfg.epochs,
            "imported": time.time()}
