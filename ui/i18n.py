"""The interface's words in English and 中文: one TOML catalogue per language in locales/,
looked up with t(key, **params). The language is the sidebar's choice, first taken from ?lang=."""

import errno
import functools
import re
import tomllib
from pathlib import Path

import streamlit as st

from gan import config
from gan.errors import UserError

LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
OS_ERRORS = {errno.EACCES: "denied", errno.EPERM: "denied", errno.EROFS: "read_only", errno.ENOSPC: "full",
             errno.EDQUOT: "full", errno.ENOENT: "missing", errno.ENOTDIR: "missing"}  # -> error.os.<name>
KEY = "lang"  # the session-state key of the sidebar switch and the name of the query parameter
# Choice widgets whose shown values are worded by t(). Streamlit keeps showing a selected value's
# old wording after the language changes (streamlit/streamlit PR 13788, open in 1.67), until the
# value is set again: relabel() does that when the language switch moves.
WORDED_CHOICES = ("train_preset", "train_budget", "train_source", "toy_loss", "toy_source", "compare_metric",
                  "compare_runs", "sample_digit", "live_run", "sample_run", "share_run", "gallery_group",
                  "gallery_sort", "draw_verdict_run", "upload_verdict_run", "train_augment")


def flatten(table: dict, prefix: str = "") -> dict[str, str]:
    """{'concepts': {'title': 'x'}} -> {'concepts.title': 'x'}, in the file's order."""
    flat = {}
    for name, value in table.items():
        key = f"{prefix}{name}"
        flat.update(flatten(value, f"{key}.") if isinstance(value, dict) else {key: value})
    return flat


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every text of one language by dotted key, e.g. 'concepts.title'."""
    with open(LOCALES / f"{lang}.toml", "rb") as handle:
        return flatten(tomllib.load(handle))


def language() -> str:
    """The session's language: the switch's value once set, else ?lang= in the address, else English."""
    lang = st.session_state.get(KEY)
    if lang not in LANGUAGES:
        lang = st.query_params.get(KEY)
        lang = lang if lang in LANGUAGES else DEFAULT
        st.session_state[KEY] = lang  # before the switch exists in this run, so it starts on this value
    return lang


def relabel() -> None:
    """The language switch's callback: set every worded choice to its own value again, so the
    browser shows it in the new language at once."""
    for key in WORDED_CHOICES:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def keep_in_address() -> None:
    """Put the language in the address (?lang=zh) so a copied link opens in it; English needs none."""
    lang = language()
    if lang == DEFAULT:
        st.query_params.pop(KEY, None)
    elif st.query_params.get(KEY) != lang:
        st.query_params[KEY] = lang


def t(key: str, **params) -> str:
    """The text of key in the session's language, str.format-ed with params when any are given
    (texts without params are not formatted, so their LaTeX braces need no escaping)."""
    text = catalogue(language()).get(key, key)
    return text.format(**params) if params else text


def names(prefix: str) -> list[str]:
    """The keys one level under prefix, in the catalogue's order: names('concepts.faq') -> ['loss', …]."""
    pattern = re.compile(rf"{re.escape(prefix)}\.([^.]+)")
    found = (pattern.match(key) for key in catalogue(DEFAULT))
    return list(dict.fromkeys(match.group(1) for match in found if match))


def error_text(error: BaseException) -> str:
    """An error as the visitor reads it, in the session's language: a gan UserError by its kind (its
    reasons worded the same way), a ConfigError by its field and rule, an OS error by its code."""
    if isinstance(error, UserError):
        return t(f"error.{error.kind}", **{name: error_text(value) if isinstance(value, BaseException) else value
                                          for name, value in error.params.items()})
    if isinstance(error, config.ConfigError):
        problem = (t(f"config.error.{error.kind}", **error.params) if error.kind
                   else str(error).removeprefix(f"{error.field}: "))
        label = t(f"train.field.{error.field}.label") if error.field in config.FIELD_TYPES else error.field
        return t("config.error.message", label=label, field=error.field, problem=problem)
    if isinstance(error, OSError) and error.errno in OS_ERRORS:
        return t(f"error.os.{OS_ERRORS[error.errno]}", path=error.filename or "")
    return str(error)


MARKUP = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: str) -> str:
    """Text from a run's files (which an uploaded archive can hold) made inert for st.markdown and
    its kin: every markup character escaped, so no link, image, HTML or LaTeX reaches a viewer."""
    return MARKUP.sub(r"\\\1", text)


def duration(seconds: float | None) -> str:
    """A duration in the session's language: '1h02m', '3m05s', '42s' in English; '?' if unknown."""
    if seconds is None or seconds != seconds or seconds < 0:
        return "?"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return t("units.hours_minutes", hours=seconds // 3600, minutes=f"{seconds % 3600 // 60:02d}")
    if seconds >= 60:
        return t("units.minutes_seconds", minutes=seconds // 60, seconds=f"{seconds % 60:02d}")
    return t("units.seconds", seconds=seconds)
