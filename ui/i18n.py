"""The interface's words in English and 中文: one TOML catalogue per language in locales/,
looked up with t(key, **params). The language is the sidebar's choice, first taken from ?lang=."""

import functools
import re
import tomllib
from pathlib import Path

import streamlit as st

LOCALES = Path(__file__).resolve().parents[1] / "locales"
LANGUAGES = {"en": "English", "zh": "中文"}
DEFAULT = "en"
KEY = "lang"  # the session-state key of the sidebar switch and the name of the query parameter


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
