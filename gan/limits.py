"""What a server lets its visitors do: unlimited on a laptop; in demo mode (GAN_DEMO=1, for a shared
hosted demo or a workshop server) capped epochs and images, a budget of kept runs for each visitor,
room for so many runs in all, a rate of imports, what an upload of your own images may hold, and fewer
drawings each in the class dataset."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from gan import config
from gan.config import ConfigError, RunConfig

DEMO_ENV = "GAN_DEMO"
MB = 2**20


@dataclass(frozen=True)
class UploadLimits:
    """What gan.uploads accepts as a dataset of your own images, all checked before anything is
    decoded or stored. The laptop defaults fit any dataset the form can train on (70,000 images)."""

    upload_bytes: int = 500 * MB  # the .zip/.npz/.npy itself (the dashboard's own cap is 50 MB)
    total_bytes: int = 1024 * MB  # all files (or the array) uncompressed
    member_bytes: int = 64 * MB  # any one file, uncompressed
    members: int = 100_000  # files in the zip or folder
    ratio: float = 100.0  # one file's compression ratio (above 1 MB unpacked): PNG and JPEG barely compress
    total_ratio: float = 20.0  # the whole zip's: a zip of pictures unpacks to little more than itself
    image_pixels: int = 24_000_000  # one picture, width × height (a 24-megapixel photo)
    max_images: int = 70_000  # the most images kept (the form's n_images range)
    min_images: int = 64  # fewer usable images are refused: one batch is 64
    max_classes: int = 100  # class sub-folders


UPLOADS = UploadLimits()
# A shared demo decodes uploads on the server's 2 cores and 2.7 GB: smaller files, fewer images.
DEMO_UPLOADS = UploadLimits(upload_bytes=20 * MB, total_bytes=100 * MB, member_bytes=8 * MB, members=6_000,
                            image_pixels=4_000_000, max_images=5_000)


@dataclass(frozen=True)
class Limits:
    """None means no cap (and nothing is ever deleted)."""

    demo: bool = False
    max_epochs: int | None = None
    max_images: int | None = None
    max_concurrent: int = 1
    keep_runs: int | None = None  # each visitor's ended runs (trained or imported) kept: their oldest go first
    max_runs: int | None = None  # runs in all; beyond it, other visitors' ended runs go once keep_hours old
    keep_hours: float = 24.0  # until then, nobody's start or import deletes another visitor's run
    imports_per_hour: int | None = None  # each visitor's, and ten times that for the whole server; uploads count
    uploads: UploadLimits = UPLOADS
    keep_datasets: int | None = None  # each visitor's uploaded datasets kept: their oldest unused go first
    datasets_bytes: int | None = None  # all uploaded datasets on disk; beyond it, unused ones idle keep_hours go
    drawings_per_visitor: int = 200  # each visitor's drawings in the class dataset (gan.classdata)


def from_settings(settings: Mapping[str, str] | None = None) -> Limits:
    """Limits from environment-style settings (default os.environ): GAN_DEMO=1 turns demo mode on;
    GAN_MAX_CONCURRENT, GAN_DEMO_MAX_EPOCHS, GAN_DEMO_MAX_IMAGES, GAN_DEMO_KEEP_RUNS (each visitor's),
    GAN_DEMO_MAX_RUNS, GAN_DEMO_KEEP_HOURS, GAN_DEMO_IMPORTS_PER_HOUR (uploads count as imports),
    GAN_DEMO_KEEP_DATASETS (each visitor's) and GAN_DEMO_DATASETS_MB adjust it."""
    settings = os.environ if settings is None else settings

    def number(name: str, default: int) -> int:
        try:
            return max(1, int(settings.get(name) or default))
        except ValueError:
            return default

    if str(settings.get(DEMO_ENV, "")).lower() not in ("1", "true", "yes"):
        return Limits(max_concurrent=number("GAN_MAX_CONCURRENT", 1))
    return Limits(demo=True, max_epochs=number("GAN_DEMO_MAX_EPOCHS", 10),
                  max_images=number("GAN_DEMO_MAX_IMAGES", 10000),
                  max_concurrent=number("GAN_MAX_CONCURRENT", 1), keep_runs=number("GAN_DEMO_KEEP_RUNS", 5),
                  max_runs=number("GAN_DEMO_MAX_RUNS", 100), keep_hours=number("GAN_DEMO_KEEP_HOURS", 24),
                  imports_per_hour=number("GAN_DEMO_IMPORTS_PER_HOUR", 6), uploads=DEMO_UPLOADS,
                  keep_datasets=number("GAN_DEMO_KEEP_DATASETS", 3),
                  datasets_bytes=number("GAN_DEMO_DATASETS_MB", 500) * MB,
                  drawings_per_visitor=number("GAN_DEMO_DRAWINGS", 20))


def starting_values(preset: str, limits: Limits) -> dict:
    """The preset's config values as a form starts them: on a shared demo, epochs and images at most
    at its caps, so the defaults can be trained."""
    values = config.preset(preset).to_dict()
    for field, cap in (("epochs", limits.max_epochs), ("n_images", limits.max_images)):
        if cap is not None:
            values[field] = min(values[field], cap)
    return values


def check(cfg: RunConfig, limits: Limits) -> None:
    """Raise ConfigError naming the field a config exceeds the server's caps on."""
    for field, cap in (("epochs", limits.max_epochs), ("n_images", limits.max_images)):
        if cap is not None and getattr(cfg, field) > cap:
            value = getattr(cfg, field)
            raise ConfigError(field, f"must be at most {cap} on this shared demo server, not {value}",
                              "demo_cap", {"cap": str(cap), "value": str(value)})
