"""The class dataset: digits a workshop's participants draw on the Sample page's canvas, kept on the
server under the runs root, one small file per drawing, for the host to train on the class's handwriting."""

import contextlib
import io
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan import data, runs, uploads
from gan.errors import UserError

FOLDER = "classdata"  # under the runs root
MIN_TO_TRAIN = 64  # as few images as any dataset may train on
ENTRY_SUFFIX = ".npz"
DIGIT = data.IMAGE_SHAPE[:2]  # (28, 28): a drawing is an MNIST digit


class ClassDataError(UserError, ValueError):
    """A drawing the class dataset refuses: this visitor's cap reached, or not a digit (error.classdata_*)."""


@dataclass(frozen=True)
class Entry:
    """One drawing: id (its file's stem, sortable by time), pixels uint8 (28, 28), label 0..9, the
    owner's digest (gan.owners.digest of their token) and when it was added (seconds since 1970)."""

    id: str
    pixels: np.ndarray
    label: int
    owner: str
    time: float


def folder(root: Path) -> Path:
    return Path(root) / FOLDER


def add(root: Path, pixels: np.ndarray, label: int, owner: str, cap: int | None = None) -> Entry:
    """Store one drawing (uint8 (28, 28), label 0..9) for the visitor whose digest is `owner`;
    ClassDataError once they have `cap` drawings in it. The file appears whole or not at all."""
    pixels = np.asarray(pixels)
    if pixels.shape != DIGIT or pixels.dtype != np.uint8:
        raise ClassDataError("classdata_not_digit", shape=pixels.shape, dtype=pixels.dtype)
    if not (isinstance(label, int | np.integer) and 0 <= int(label) < data.N_CLASSES):
        raise ClassDataError("classdata_label", label=label)
    now = time.time()
    entry = Entry(f"{time.time_ns():020d}-{secrets.token_hex(4)}", pixels.copy(), int(label), str(owner), now)
    with runs.exclusive_lock(folder(root) / ".lock"):
        if cap is not None and sum(e.owner == owner for e in entries(root)) >= cap:
            raise ClassDataError("classdata_cap", cap=cap)
        buffer = io.BytesIO()
        meta = json.dumps({"label": entry.label, "owner": entry.owner, "time": now}).encode()
        np.savez(buffer, pixels=pixels, meta=np.frombuffer(meta, np.uint8))
        runs.write_atomic(folder(root) / f"{entry.id}{ENTRY_SUFFIX}", buffer.getvalue())
    return entry


def entries(root: Path) -> list[Entry]:
    """Every readable drawing, oldest first; a damaged or foreign file is skipped."""
    path = folder(root)
    found = []
    for file in sorted(path.glob(f"*{ENTRY_SUFFIX}")) if path.is_dir() else []:
        try:
            with np.load(file) as archive:  # allow_pickle stays False: arrays only
                pixels = archive["pixels"]
                meta = json.loads(archive["meta"].tobytes().decode())
            label, owner, when = int(meta["label"]), str(meta["owner"]), float(meta["time"])
        except (OSError, ValueError, KeyError, TypeError, EOFError):
            continue
        if pixels.shape == DIGIT and pixels.dtype == np.uint8 and 0 <= label < data.N_CLASSES:
            found.append(Entry(file.stem, pixels, label, owner, when))
    return found


def remove(root: Path, entry_ids: list[str]) -> int:
    """Delete these drawings (ids from entries()); returns how many were there. An id that is not a
    plain entry name is ignored, so nothing outside the dataset's folder can be named."""
    removed = 0
    with runs.exclusive_lock(folder(root) / ".lock"):
        for entry_id in entry_ids:
            if not (isinstance(entry_id, str) and entry_id.replace("-", "").isalnum()):
                continue
            with contextlib.suppress(FileNotFoundError):
                (folder(root) / f"{entry_id}{ENTRY_SUFFIX}").unlink()
                removed += 1
    return removed


def stamp(root: Path) -> tuple[str, ...]:
    """The drawings' file names now, without reading them: changes whenever one is added or removed
    (a key for caching entries())."""
    path = folder(root)
    return tuple(sorted(p.name for p in path.glob(f"*{ENTRY_SUFFIX}"))) if path.is_dir() else ()


def counts(found: list[Entry]) -> list[int]:
    """How many drawings of each digit 0..9."""
    return np.bincount([e.label for e in found], minlength=data.N_CLASSES).tolist()


def freeze(root: Path, owner: str | None = None) -> uploads.Ingested:
    """The drawings as they are now, stored under root as a dataset of your own images (gan.uploads:
    named by its content, so the same drawings are the same dataset and the same run); its classes
    are the digits drawn. owner: the host's digest, noted as for an upload. ClassDataError below
    MIN_TO_TRAIN drawings."""
    pixels, labels = snapshot(root)
    if len(pixels) < MIN_TO_TRAIN:
        raise ClassDataError("classdata_too_few", n=len(pixels), minimum=MIN_TO_TRAIN)
    ingested = uploads.from_arrays(pixels, labels, "class drawings")
    uploads.store(root, ingested, owner)
    return ingested


def snapshot(root: Path) -> tuple[np.ndarray, np.ndarray]:
    """The dataset as it is now, for training: pixels uint8 (n, 28, 28), labels uint8 (n,), oldest first."""
    found = entries(root)
    pixels = np.stack([e.pixels for e in found]) if found else np.zeros((0, *DIGIT), np.uint8)
    return pixels, np.array([e.label for e in found], np.uint8)
