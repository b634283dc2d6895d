"""Who may act on a run: the visitor who submitted it, and the host.

A visitor is known by a random token their browser keeps (the pages put it in the address, so it
survives a reload and a server restart); runs record only its digest, so a run's files, which any
visitor can see or download, never reveal a token. The host holds GAN_HOST_KEY and may act on
every run. A run without an owner came from the command line: on a laptop anyone at the keyboard
is its owner, on a shared demo only the host. A visitor may also give a display name, which the
gallery shows with their runs: no login, just a label.
"""

import hashlib
import hmac
import secrets
import unicodedata

TOKEN_BYTES = 12
HOST_KEY_ENV = "GAN_HOST_KEY"
NAME_CHARS = 40  # a display name's length at most: a label on a card, not a message


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def digest(token: str) -> str:
    """What a run records of its submitter's token."""
    return hashlib.sha256(f"gan-atelier-owner:{token}".encode()).hexdigest()[:24]


def is_host_key(offered: str | None, host_key: str | None) -> bool:
    """Whether the key a visitor entered is the server's host key (none set: nobody is host)."""
    return bool(offered and host_key) and hmac.compare_digest(offered.encode(), host_key.encode())


def may_act(owner: str | None, token: str | None, host: bool, demo: bool) -> bool:
    """Whether this visitor may cancel, resume or withdraw a run recorded with `owner`."""
    if host:
        return True
    if owner is None:
        return not demo
    return token is not None and hmac.compare_digest(owner, digest(token))


def display_name(text: str | None) -> str | None:
    """A visitor's display name as runs record it and the gallery shows it: control and format
    characters dropped (no line breaks, no direction overrides), spaces collapsed, at most
    NAME_CHARS; None when nothing is left. Still visitor input: pages show it as plain text."""
    if not text:
        return None
    kept = "".join(c if unicodedata.category(c)[0] not in "CZ" else " " for c in text)
    return " ".join(kept.split())[:NAME_CHARS].strip() or None
