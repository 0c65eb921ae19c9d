"""JSON text exactly as Go's ``encoding/json`` writes it.

Canonical manifests, ownership hashes and trigger spec files are compared byte for byte
with what the reference (Go) writes, so our encoder must match Go's conventions:

* non-ASCII text is written raw as UTF-8 (Python's default would ``\\u``-escape it);
* ``<``, ``>``, ``&`` and U+2028/U+2029 are escaped as ``\\u003c`` … (HTML-safe output);
* control characters use ``\\b \\f \\n \\r \\t`` or lowercase ``\\u00XX`` — which is also
  what Python's encoder does, so only the escapes above need post-processing;
* a string that is not valid Unicode (a lone surrogate) becomes ``\\ufffd``.

Because ``<>&`` and U+2028/2029 can only occur inside JSON strings, the escapes are applied
to the whole document after the C encoder has produced it.
"""

from __future__ import annotations

import json
import re

__all__ = ["go_json_dumps", "go_json_string"]

_SURROGATE = re.compile("[\ud800-\udfff]")


def go_json_dumps(obj: object, *, indent: int | None = None) -> str:
    """Serialize like Go: ``json.Marshal`` (compact) or ``json.MarshalIndent(obj, "", "  ")``."""
    if indent is None:
        text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    else:
        text = json.dumps(obj, ensure_ascii=False, indent=indent, allow_nan=False)
    return _go_escape(text)


def go_json_string(s: str) -> str:
    """One JSON string literal, Go style."""
    return _go_escape(json.dumps(s, ensure_ascii=False))


def _go_escape(text: str) -> str:
    if "<" in text:
        text = text.replace("<", "\\u003c")
    if ">" in text:
        text = text.replace(">", "\\u003e")
    if "&" in text:
        text = text.replace("&", "\\u0026")
    if "\u2028" in text:
        text = text.replace("\u2028", "\\u2028")
    if "\u2029" in text:
        text = text.replace("\u2029", "\\u2029")
    if _SURROGATE.search(text):
        text = _SURROGATE.sub("\\\\ufffd", text)
    return text
