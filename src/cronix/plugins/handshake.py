"""The handshake line: the one thing a plugin writes to stdout.

Grammar (one line, UTF-8, ``\\n``-terminated, at most 4096 bytes)::

    CRONIX-PLUGIN-V1 <socket-path>[ <key>=<value>]...

Tokens are separated by single spaces. The socket path is absolute and has no spaces.
Trailing tokens are extensions: ``proto=<major>`` (the plugin-protocol major the plugin
chose) and ``pid=<n>`` are defined today; every other token, and any token without ``=``,
is ignored so that later versions can add fields without breaking older hosts (go-plugin
had to gate a 7th field behind an environment variable because its parser was strict).

Whatever the line, :func:`parse_handshake` returns a :class:`Handshake` or raises
:class:`HandshakeError` with a one-line message — nothing else (a Hypothesis test says so).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from cronix.plugins.contract import HANDSHAKE_TOKEN

__all__ = ["MAX_HANDSHAKE_BYTES", "Handshake", "HandshakeError", "format_handshake", "parse_handshake"]

MAX_HANDSHAKE_BYTES = 4096
_TOKEN = re.compile(r"CRONIX-PLUGIN-V[0-9]+")


class HandshakeError(ValueError):
    """The first stdout line is not a valid handshake; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Handshake:
    socket_path: str
    #: Every ``key=value`` token, known or not.
    extensions: dict[str, str] = field(default_factory=dict)

    @property
    def protocol(self) -> int | None:
        """The ``proto=`` token as an integer, or None when absent or not a number."""
        value = self.extensions.get("proto", "")
        # ASCII only: "²" and "٣" pass str.isdigit(), and int() refuses or accepts them.
        return int(value) if value.isascii() and value.isdigit() else None


def format_handshake(socket_path: str, **extensions: str | int) -> str:
    """The line a plugin prints (without the newline)."""
    parts = [HANDSHAKE_TOKEN, socket_path, *(f"{k}={v}" for k, v in extensions.items())]
    return " ".join(parts)


def parse_handshake(line: str | bytes) -> Handshake:
    """Parse the first stdout line of a plugin, or raise :class:`HandshakeError`."""
    try:
        raw = line if isinstance(line, bytes) else line.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate that does not stand for a byte
        raise HandshakeError(f"not a handshake (not UTF-8): {line[:120]!a}") from None
    if len(raw) > MAX_HANDSHAKE_BYTES:
        raise HandshakeError(f"handshake line is longer than {MAX_HANDSHAKE_BYTES} bytes")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise HandshakeError(f"not a handshake (not UTF-8): {_preview(raw)}") from None
    text = text.rstrip("\r\n")
    tokens = text.split(" ")
    first = tokens[0]
    if first != HANDSHAKE_TOKEN:
        if _TOKEN.fullmatch(first):
            raise HandshakeError(f"plugin speaks {first}; this cronix speaks {HANDSHAKE_TOKEN}")
        raise HandshakeError(
            f"not a handshake: {_preview(raw)!s} (plugins must not write to stdout before the "
            f"'{HANDSHAKE_TOKEN} <socket>' line)"
        )
    if len(tokens) < 2 or not tokens[1]:
        raise HandshakeError("handshake has no socket path")
    path = tokens[1]
    if not path.startswith("/"):
        raise HandshakeError(f"handshake socket path {path!r} is not absolute")
    extensions: dict[str, str] = {}
    for token in tokens[2:]:
        key, sep, value = token.partition("=")
        if sep and key:
            extensions.setdefault(key, value)
    return Handshake(socket_path=path, extensions=extensions)


def _preview(raw: bytes, limit: int = 120) -> str:
    text = raw.decode("utf-8", "replace").rstrip("\r\n")
    return repr(text if len(text) <= limit else text[:limit] + "…")
