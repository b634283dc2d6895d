"""The class gallery: every finished run's last sample grid, its owner's display name, its settings
and its last quality row, in groups of runs that compare fairly, ranked by a chosen measure."""

import math
from dataclasses import dataclass
from pathlib import Path

from gan import owners, runs, uploads

# How each ranking orders runs: by which Entry field, and whether lower is better. fdd, score and
# confident are the digit classifier's (MNIST runs); rfd, the random-feature distance, is measured
# on every run and is what ranks runs on your own images.
SORTS = {"fdd": ("fdd", True), "score": ("score", False), "confident": ("confident", False),
         "rfd": ("rfd", True), "newest": ("finished", False)}
MEASURES = ("fdd", "score", "confident", "rfd", "near_copies")


@dataclass(frozen=True)
class Group:
    """Runs that compare fairly: trained on the same data (its source and how many images) for the
    same time budget or, without one, the same number of epochs. More data or more time would win
    by itself, whatever the settings."""

    source: str  # a key of data.SOURCE_LABELS, or an upload's "sha256:<hex>" (each upload is its own data)
    n_images: int  # the training images used (a config may ask for more than its source holds)
    budget_minutes: float | None  # runs with a budget compare by it, whatever epochs it bought them
    epochs: int | None  # None when budget_minutes is set


@dataclass(frozen=True)
class Entry:
    """One finished run as the gallery shows it. fdd >= 0 and rfd >= 0 (lower is better), score 1..10
    and confident 0..1 (higher is better), near_copies 0..1 (the share of samples that copy a
    training image) are None until quality is measured (fdd, score and confident: on digits only)."""

    run_id: str
    grid: Path | None  # the last samples/epoch_NNNN.png, None if the run has none
    display_name: str | None  # bounded by owners.display_name; still visitor input
    imported: bool
    finished: float  # time.time() of its status's last write: when it finished or was imported
    architecture: str
    loss: str
    conditional: bool
    epochs: int
    group: Group
    fdd: float | None
    score: float | None
    confident: float | None
    rfd: float | None = None
    near_copies: float | None = None

    @property
    def measured(self) -> bool:
        return any(getattr(self, name) is not None for name in MEASURES)


@dataclass(frozen=True)
class Gallery:
    entries: tuple[Entry, ...]  # finished runs, newest first
    training: int  # runs still training or waiting: they join the gallery when they finish


def _number(row: dict[str, float] | None, column: str) -> float | None:
    value = (row or {}).get(column)
    return value if value is not None and math.isfinite(value) else None


def entry(run_dir: Path, status: runs.Status) -> Entry | None:
    """The gallery's view of a finished run: config.json, the status given, quality.csv's last row
    and the path of its last grid (not the image). None for a run not finished or without a config."""
    cfg = runs.read_config(run_dir)
    if status.state != "finished" or cfg is None:
        return None
    budget = status.budget_minutes
    source = cfg.dataset if cfg.dataset.startswith(uploads.PREFIX) else status.data_source or cfg.dataset
    group = Group(source, status.n_train or cfg.n_images, budget, None if budget else cfg.epochs)
    samples = runs.list_samples(run_dir)
    row = runs.last_quality(run_dir)
    return Entry(run_dir.name, samples[-1][1] if samples else None, owners.display_name(status.display_name),
                 status.imported is not None, status.updated or status.created or 0.0, cfg.architecture, cfg.loss,
                 cfg.conditional, cfg.epochs, group, *(_number(row, name) for name in MEASURES))


def collect(root: Path) -> Gallery:
    """Every finished run under root, newest first, and how many are still to finish."""
    statuses = [(run_dir, runs.read_status(run_dir)) for run_dir in runs.list_runs(root)]
    found = [e for run_dir, status in statuses if (e := entry(run_dir, status)) is not None]
    return Gallery(tuple(sorted(found, key=lambda e: e.finished, reverse=True)),
                   sum(status.alive for _, status in statuses))


def stamp(root: Path) -> tuple:
    """What changes whenever a run is added, removed or rewrites a file (every write replaces a
    file in its folder, which touches the folder): a cache key for collect(root)."""
    root = Path(root)
    if not root.is_dir():
        return ()
    return root.stat().st_mtime_ns, tuple(sorted((p.name, p.stat().st_mtime_ns) for p in root.iterdir()))


def groups(entries: tuple[Entry, ...] | list[Entry]) -> dict[Group, list[Entry]]:
    """The entries by Group, the group with the most runs first (ties: the one with the newest run),
    each group's entries in their given order."""
    found: dict[Group, list[Entry]] = {}
    for item in entries:
        found.setdefault(item.group, []).append(item)
    newest = {group: max(e.finished for e in members) for group, members in found.items()}
    return dict(sorted(found.items(), key=lambda pair: (-len(pair[1]), -newest[pair[0]])))


def sorts_for(entries: list[Entry]) -> list[str]:
    """The rankings that order at least one of these runs (newest always does)."""
    return [name for name, (field, _) in SORTS.items()
            if name == "newest" or any(getattr(e, field) is not None for e in entries)]


def rank(entries: list[Entry], sort: str) -> list[tuple[int | None, Entry]]:
    """(rank, entry) ordered by SORTS[sort], ties newest first. Runs whose quality is not measured
    come last, unranked (rank None), except when sorting by newest."""
    field, ascending = SORTS[sort]
    newest_first = sorted(entries, key=lambda e: e.finished, reverse=True)  # sorted() is stable: ties stay so
    ranked = [e for e in newest_first if getattr(e, field) is not None]
    ranked.sort(key=lambda e: getattr(e, field) if ascending else -getattr(e, field))
    unranked = [e for e in newest_first if getattr(e, field) is None]
    return [(i + 1, e) for i, e in enumerate(ranked)] + [(None, e) for e in unranked]


def display_name_of(root: Path, owner: str) -> str | None:
    """The display name on this owner's newest run that records one: what the Train form offers a
    returning visitor (their token comes back with the address; the name comes back with their runs)."""
    for run_dir in runs.list_runs(root):
        status = runs.read_status(run_dir)
        if status.owner == owner and (name := owners.display_name(status.display_name)):
            return name
    return None
