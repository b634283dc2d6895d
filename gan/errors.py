"""Errors a person reads. Each has a kind and parameters, and its words live in the catalogues
(locales/<lang>.toml, table [error]): the command line says it in English, the dashboard in the
visitor's language. One home per message, whichever language shows it."""

import functools
import string
import tomllib
from pathlib import Path

LOCALES = Path(__file__).resolve().parents[1] / "locales"
MAX_PARAM_CHARS = 120  # a hostile 900 KB value must not be echoed whole


@functools.cache
def english() -> dict[str, str]:
    """The English catalogue's [error] table: kind -> text with {param} fields."""
    with open(LOCALES / "en.toml", "rb") as handle:
        return tomllib.load(handle)["error"]


def shorten(value: object, limit: int = MAX_PARAM_CHARS) -> str:
    """str(value), cut to limit characters with an ellipsis."""
    text = str(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def fields(text: str) -> set[str]:
    """The {names} a catalogue text is formatted with."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class UserError(Exception):
    """An error a user must understand: `kind` names the catalogue text, `params` fill it: short
    strings, or another error that is the reason (worded in the same language in its turn).
    `detail` is a library's own English explanation (an OS error, Keras' complaint): the command
    line appends it, the dashboard leaves it out rather than mix languages."""

    def __init__(self, kind: str, detail: object = None, **params: object):
        self.kind = kind
        self.params = {name: value if isinstance(value, Exception) else shorten(value)
                       for name, value in params.items()}
        self.detail = shorten(detail, 300) if detail not in (None, "") else ""
        super().__init__(kind)

    def __str__(self) -> str:
        text = english().get(self.kind, self.kind).format(**{k: str(v) for k, v in self.params.items()})
        return f"{text} ({self.detail})" if self.detail else text

    def to_dict(self) -> dict:
        """A JSON-able record of it, as status.json keeps it: {'kind', 'params', 'detail'}."""
        params = {name: value.to_dict() if isinstance(value, UserError) else str(value)
                  for name, value in self.params.items()}
        return {"kind": self.kind, "params": params, "detail": self.detail}

    @classmethod
    def from_dict(cls, record: dict) -> "UserError":
        """to_dict's record back as an error; raises ValueError if it is not one."""
        if not (isinstance(record, dict) and isinstance(record.get("kind"), str)
                and isinstance(record.get("params", {}), dict)):
            raise ValueError("not an error record")
        params = {str(name): cls.from_dict(value) if isinstance(value, dict) else str(value)
                  for name, value in record.get("params", {}).items()}
        kind, detail = record["kind"], record.get("detail") or None
        if kind not in english() or fields(english()[kind]) != set(params):  # a newer version's, or forged
            return cls("recorded", detail, text=shorten(f"{kind} {params}"))
        return cls(kind, detail, **params)
