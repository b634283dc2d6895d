"""A training run's full configuration: a frozen dataclass with defaults, presets, validation
and the stable hash that names the run."""

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from gan import errors

DATASETS = ("mnist", "fashion_mnist")  # the built-in datasets; an upload is "sha256:" + its content hash
UPLOADED = re.compile(r"sha256:[0-9a-f]{64}")  # a dataset of your own images (gan.uploads), by content
ARCHITECTURES = ("dcgan_lean", "dcgan_small", "dcgan_tutorial", "mlp")
SEED_MAX = 2**31 - 1  # every seed the app accepts: forms, command lines, the toy
LOSSES = ("nonsat", "minimax", "lsgan", "hinge", "wgan_gp")
# Differentiable augmentation of every image D sees (gan/augment.py): which operations, in the
# order applied. "color" is brightness and contrast, and saturation for colour images.
AUGMENTS = ("off", "translation", "cutout", "color", "translation,cutout", "color,translation,cutout")
# Off by default for every dataset, uploads included: at 128, 500 and 2,000 digits and the app's
# minutes of training every policy tried scored worse than none (bench/augment.py, README "Small
# data: augmentation").


class ConfigError(ValueError):
    """An invalid config value; `field` names the offending field. `kind` and `params` say the same as
    the English message for an interface that words it in another language: kind "range" with
    params low, high and value, for instance (see rule()); kind "" when only the message says it."""

    def __init__(self, field: str, message: str, kind: str = "", params: dict[str, str] | None = None):
        field = errors.shorten(field, 60)  # a hostile value must not be echoed whole
        super().__init__(f"{field}: {errors.shorten(message, 300)}")
        self.field, self.kind = field, kind
        self.params = {name: errors.shorten(value, 300) for name, value in (params or {}).items()}


@dataclass(frozen=True)
class RunConfig:
    """Every hyperparameter of a run. Two equal configs are the same run. The defaults are the
    quick preset's."""

    dataset: str = "mnist"
    n_images: int = 10000
    architecture: str = "dcgan_lean"
    loss: str = "hinge"
    latent_dim: int = 64
    g_lr: float = 1e-3
    d_lr: float = 5e-4
    beta1: float = 0.5
    batch_size: int = 64
    epochs: int = 30
    d_steps: int = 1
    label_smoothing: float = 0.0
    ema_decay: float = 0.999
    g_top_k: float = 0.75
    simultaneous: bool = False
    conditional: bool = True
    seed: int = 0
    augment: str = "off"

    def __post_init__(self) -> None:
        validate(self)
        for field, kind in FIELD_TYPES.items():
            if kind is float:  # 1 and 1.0 must give the same run id
                object.__setattr__(self, field, float(getattr(self, field)) + 0.0)  # and -0.0 as 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> "RunConfig":
        """Build from a dict such as config.json; unknown keys are refused, missing keys default."""
        unknown = sorted(set(values) - set(FIELD_TYPES))
        if unknown:
            raise ConfigError(unknown[0], f"unknown setting; known: {', '.join(FIELD_TYPES)}", "unknown",
                              {"known": ", ".join(FIELD_TYPES)})
        return cls(**{key: coerce(key, value) for key, value in values.items()})

    def replace(self, **changes: Any) -> "RunConfig":
        return RunConfig.from_dict({**self.to_dict(), **changes})

    @property
    def run_id(self) -> str:
        """A 12-hex-digit hash of the canonical config: equal configs share a run directory. A field
        added later (LATER_FIELDS) is left out while it holds the value every older run had, so
        adding a field never renames the runs already on disk."""
        values = {key: value for key, value in self.to_dict().items()
                  if key not in LATER_FIELDS or value != LATER_FIELDS[key]}
        canonical = json.dumps(values, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:12]


FIELD_TYPES: dict[str, type] = {f.name: f.type for f in dataclasses.fields(RunConfig)}
# Fields added after runs were first saved, each with the value runs saved before it behave as:
# run_id leaves a field out at that value.
LATER_FIELDS: dict[str, Any] = {"augment": "off"}

# (low, high) inclusive for numbers; the form and the command line show these ranges.
RANGES: dict[str, tuple[float, float]] = {
    "n_images": (64, 70000),
    "latent_dim": (2, 512),
    "g_lr": (1e-6, 0.1),
    "d_lr": (1e-6, 0.1),
    "beta1": (0.0, 0.99),
    "batch_size": (8, 1024),
    "epochs": (1, 1000),
    "d_steps": (1, 10),
    "label_smoothing": (0.0, 0.5),
    "ema_decay": (0.0, 0.9999),
    "g_top_k": (0.1, 1.0),
    "seed": (0, SEED_MAX),
}
CHOICES: dict[str, tuple[str, ...]] = {  # dataset is checked by validate(): a choice or an upload's hash
    "architecture": ARCHITECTURES,
    "loss": LOSSES,
    "augment": AUGMENTS,
}
SCHEMA = (FIELD_TYPES, RANGES, CHOICES)

PRESETS: dict[str, dict[str, Any]] = {
    # A DCGAN sized for CPUs, tuned by measurement for quality per second on a fast (AVX-512, 2
    # cores) and a slow (AVX2, 1 core) machine (bench/time_to_quality.py): dcgan_lean, told which
    # digit to draw (conditional: on the slow one FDD 2.9 and 98% confident after 300 s, against
    # 11.9 and 79% without), the hinge loss, Adam(β1 0.5) with G at 1e-3 and D at 5e-4, batch 64, G
    # learning from the 75% of its fakes D rates most real (top-k), samples from an EMA (0.999) of
    # G's weights.
    "quick": {"architecture": "dcgan_lean", "loss": "hinge", "latent_dim": 64, "g_lr": 1e-3, "d_lr": 5e-4,
              "beta1": 0.5, "batch_size": 64, "epochs": 30, "ema_decay": 0.999, "g_top_k": 0.75,
              "conditional": True},
    # The TensorFlow DCGAN tutorial's model, optimiser and step: Adam(1e-4) for both, batch 256, no
    # EMA, and D and G updated together from one pass (simultaneous).
    "tutorial": {"architecture": "dcgan_tutorial", "loss": "nonsat", "latent_dim": 100,
                 "g_lr": 1e-4, "d_lr": 1e-4, "beta1": 0.9, "batch_size": 256, "epochs": 50, "ema_decay": 0.0,
                 "g_top_k": 1.0, "simultaneous": True, "conditional": False},
    # The fully connected GAN of the original paper's era, with Adam(2e-4, 0.5).
    "mlp": {"architecture": "mlp", "latent_dim": 100, "g_lr": 2e-4, "d_lr": 2e-4,
            "beta1": 0.5, "batch_size": 64, "epochs": 30, "loss": "nonsat", "g_top_k": 1.0, "conditional": False},
}


def preset(name: str, **overrides: Any) -> RunConfig:
    """The named preset's config with `overrides` applied (validated as a whole)."""
    if name not in PRESETS:
        raise ConfigError("preset", f"must be one of {', '.join(PRESETS)}, not {name!r}", "choice",
                          {"choices": ", ".join(PRESETS), "value": repr(name)})
    return RunConfig.from_dict({**PRESETS[name], **overrides})


def coerce(field: str, value: Any) -> Any:
    """Turn a value (possibly a command-line string) into the field's type, or raise ConfigError."""
    kind = FIELD_TYPES.get(field)
    if kind is None:
        raise ConfigError(field, f"unknown setting; known: {', '.join(FIELD_TYPES)}", "unknown",
                          {"known": ", ".join(FIELD_TYPES)})
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no"):
            return value.lower() in ("true", "1", "yes")
        raise ConfigError(field, f"must be {allowed(field)}, not {value!r}", *rule(field, value))
    if kind is int:
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ConfigError(field, f"must be a whole number {allowed(field)}, not {value!r}",
                              *rule(field, value, "whole_number"))
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(field, f"must be a whole number {allowed(field)}, not {value!r}",
                              *rule(field, value, "whole_number")) from None
    if kind is float:
        if isinstance(value, bool):
            raise ConfigError(field, f"must be a number {allowed(field)}, not {value!r}", *rule(field, value, "number"))
        try:
            return float(value) + 0.0  # -0.0 becomes 0.0: equal configs must share one run id
        except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
            raise ConfigError(field, f"must be a number {allowed(field)}, not {value!r}",
                              *rule(field, value, "number")) from None
    if not isinstance(value, str):
        raise ConfigError(field, f"must be {allowed(field)}, not {value!r}", *rule(field, value))
    return value


def bounds(field: str, ranges: dict | None = None) -> tuple[str, str]:
    """A ranged field's (low, high) as messages write them: whole-number bounds in full, so
    2147483647 does not print as 2.14748e+09."""
    return tuple(str(bound) if isinstance(bound, int) else f"{bound:g}" for bound in (ranges or RANGES)[field])


def rule(field: str, value: Any, kind: str = "", schema: tuple | None = None) -> tuple[str, dict[str, str]]:
    """ConfigError's kind and params for "must be <allowed(field)>, not <value>": kind "range",
    "choice", "bool" or "text" by the field (or the kind given: "number", "whole_number"); params
    value (its repr) and low and high, or choices. schema: (field types, ranges, choices), this
    module's by default."""
    field_types, ranges, choices = schema or SCHEMA
    params = {"value": repr(value)}
    if field in ranges:
        params["low"], params["high"] = bounds(field, ranges)
        return kind or "range", params
    if field in choices:
        params["choices"] = ", ".join(choices[field])
        return kind or "choice", params
    return kind or ("bool" if field_types.get(field) is bool else "text"), params


def allowed(field: str, schema: tuple | None = None) -> str:
    """The field's allowed values as messages state them: 'between 8 and 1024', 'one of …', 'true or false'."""
    field_types, ranges, choices = schema or SCHEMA
    if field in ranges:
        low, high = bounds(field, ranges)
        return f"between {low} and {high}"
    if field in choices:
        return f"one of {', '.join(choices[field])}"
    return "true or false" if field_types.get(field) is bool else "text"


def check_fields(obj: Any, schema: tuple) -> None:
    """Raise ConfigError naming the first field of obj (a dataclass) of the wrong type, outside its
    choices or outside its range. schema: (field types, ranges, choices); the run config and the
    toy GAN's settings share this check."""
    field_types, ranges, choices = schema

    def refuse(field: str, value: Any, words: str = "", kind: str = ""):
        return ConfigError(field, f"must be {words}{allowed(field, schema)}, not {value!r}",
                           *rule(field, value, kind, schema))

    for field, kind in field_types.items():
        value = getattr(obj, field)
        if kind is bool and not isinstance(value, bool) or kind is str and not isinstance(value, str):
            raise refuse(field, value)
        if kind in (int, float) and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise refuse(field, value, "a number ", "number")
        if kind is int and isinstance(value, float):
            raise refuse(field, value, "a whole number ", "whole_number")
    for field, options in choices.items():
        if getattr(obj, field) not in options:
            raise refuse(field, getattr(obj, field))
    for field, (low, high) in ranges.items():
        value = getattr(obj, field)
        if not low <= value <= high:  # also false for NaN
            raise refuse(field, value)


def validate(cfg: RunConfig) -> None:
    """Raise ConfigError naming the first field outside its allowed values or range."""
    check_fields(cfg, SCHEMA)
    if cfg.dataset not in DATASETS and not UPLOADED.fullmatch(cfg.dataset):
        choices = ", ".join(DATASETS)
        raise ConfigError("dataset", f"must be one of {choices}, or sha256: followed by 64 lowercase hex digits (your "
                                     f"own images), not {cfg.dataset!r}", "dataset",
                          {"choices": choices, "value": repr(cfg.dataset)})
    if cfg.batch_size > cfg.n_images:
        raise ConfigError("batch_size", f"must be at most n_images ({cfg.n_images}), not {cfg.batch_size}",
                          "batch_size", {"n_images": str(cfg.n_images), "value": str(cfg.batch_size)})
    if cfg.batch_size * cfg.d_steps > cfg.n_images:
        raise ConfigError("d_steps", f"batch_size × d_steps must be at most n_images ({cfg.n_images}): "
                                     f"each D step takes its own batch", "d_steps", {"n_images": str(cfg.n_images)})
