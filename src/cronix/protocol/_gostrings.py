"""Go standard-library string semantics that the reference's formats depend on.

The reference reconciler is written in Go. Where its behaviour is part of the contract
(which schedules are valid, how they are trimmed, what ``@every +5m`` means) it follows
``strings.TrimSpace``, ``strings.Fields`` and ``strconv.Atoi``, which differ from Python's
``str.strip``/``str.split``/``int`` at the edges: Python also treats ``\\x1c``–``\\x1f`` as
whitespace, and ``int`` accepts ``_`` separators and Unicode digits.
"""

from __future__ import annotations

import re

__all__ = ["GO_SPACE", "AtoiError", "atoi", "fields", "trim_space", "wrap_int64"]

# unicode.IsSpace: \t \n \v \f \r space, U+0085, U+00A0 and categories Zs/Zl/Zp.
GO_SPACE = frozenset(
    "\t\n\v\f\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
_GO_SPACE_STR = "".join(sorted(GO_SPACE))

_PY_ONLY_SPACE = re.compile("[\x1c-\x1f]")
INT64_MIN = -(1 << 63)
INT64_MAX = (1 << 63) - 1


def trim_space(s: str) -> str:
    """``strings.TrimSpace``."""
    return s.strip(_GO_SPACE_STR)


def fields(s: str) -> list[str]:
    """``strings.Fields``: split on runs of Go whitespace, dropping empty pieces."""
    if s.isascii() and _PY_ONLY_SPACE.search(s) is None:
        return s.split()  # for ASCII, Python and Go agree except on \x1c-\x1f
    out: list[str] = []
    start = -1
    for i, ch in enumerate(s):
        if ch in GO_SPACE:
            if start >= 0:
                out.append(s[start:i])
                start = -1
        elif start < 0:
            start = i
    if start >= 0:
        out.append(s[start:])
    return out


class AtoiError(ValueError):
    """``strconv.Atoi`` failed; ``str()`` is Go's error text."""


def atoi(s: str) -> int:
    """``strconv.Atoi`` on a 64-bit platform: optional sign, ASCII digits, int64 range."""
    if s.isdigit() and s.isascii() and len(s) < 19:
        return int(s)  # the common case; always within int64
    digits = s[1:] if s[:1] in ("+", "-") else s
    if not digits or not all("0" <= c <= "9" for c in digits):
        raise AtoiError(f'strconv.Atoi: parsing "{_go_quote_inner(s)}": invalid syntax')
    value = int(digits)
    if s[:1] == "-":
        value = -value
    if not INT64_MIN <= value <= INT64_MAX:
        raise AtoiError(f'strconv.Atoi: parsing "{_go_quote_inner(s)}": value out of range')
    return value


def wrap_int64(value: int) -> int:
    """Two's-complement wrap-around of Go's int64 multiplication."""
    value &= (1 << 64) - 1
    return value - (1 << 64) if value > INT64_MAX else value


def _go_quote_inner(s: str) -> str:
    # strconv.Quote escapes; the inputs reaching here are short user strings, and only
    # quotes and backslashes need escaping for the message to stay unambiguous.
    return s.replace("\\", "\\\\").replace('"', '\\"')
