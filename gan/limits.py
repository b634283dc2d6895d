"""What a server lets its visitors do: unlimited on a laptop; in demo mode (GAN_DEMO=1, for a shared
hosted demo or a workshop server) capped epochs and images, a budget of kept runs for each visitor,
room for so many runs in all, a rate of imports, and fewer drawings each in the class dataset."""

import os
from collections.abc import Mapping
from dataclasses import dataclass

from gan import config
from gan.config import ConfigError, RunConfig

DEMO_ENV = "GAN_DEMO"


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
    imports_per_hour: int | None = None  # each visitor's, and ten times that for the whole server
    drawings_per_visitor: int = 200  # each visitor's drawings in the class dataset (gan.classdata)


def from_settings(settings: Mapping[str, str] | None = None) -> Limits:
    """Limits from environment-style settings (default os.environ): GAN_DEMO=1 turns demo mode on;
    GAN_MAX_CONCURRENT, GAN_DEMO_MAX_EPOCHS, GAN_DEMO_MAX_IMAGES, GAN_DEMO_KEEP_RUNS (each visitor's),
    GAN_DEMO_MAX_RUNS, GAN_DEMO_KEEP_HOURS and GAN_DEMO_IMPORTS_PER_HOUR adjust it."""
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
                  imports_per_hour=number("GAN_DEMO_IMPORTS_PER_HOUR", 6),
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
