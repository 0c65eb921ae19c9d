"""Strict decoding of manifest bytes into JSON values.

Every edge case is decided deliberately (``spec/DECISIONS.md`` D-004):

* size: more than :data:`MAX_MANIFEST_BYTES` is refused before parsing;
* encoding: the bytes must be UTF-8 without a BOM; an invalid byte is reported with its
  offset (Go would silently substitute U+FFFD and change the manifest's meaning);
* syntax: one JSON value, nothing but whitespace after it (Go ignores trailing bytes);
  ``NaN``/``Infinity`` are not JSON and are refused;
* depth: nesting deeper than the interpreter's recursion limit is refused with a clear
  error instead of a ``RecursionError`` traceback;
* numbers with a fraction or exponent decode to :class:`JSONFloat` so the validator can
  say "expected an integer" (Python's ``json`` would hand back ``1.0`` as a float and
  ``true`` is a bool, both of which ``isinstance(x, int)`` checks get wrong);
* duplicate object keys are recorded on :class:`JSONObject` and reported by the
  validator (Go keeps the last one silently — two parsers could then disagree);
* an escaped lone surrogate (``"\\ud800"``) becomes U+FFFD, exactly as Go decodes it, so
  canonical bytes and ownership hashes stay identical to the reference.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cronix.protocol.errors import ManifestSyntaxError

__all__ = ["MAX_MANIFEST_BYTES", "JSONFloat", "JSONObject", "decode_json"]

MAX_MANIFEST_BYTES = 10 * 1024 * 1024

_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


class JSONFloat(float):
    """A JSON number written with a fraction or exponent; keeps its source text."""

    text: str

    def __new__(cls, text: str) -> JSONFloat:
        obj = super().__new__(cls, text)
        obj.text = text
        return obj


class JSONObject(dict[str, Any]):
    """A decoded JSON object that remembers keys it saw more than once."""

    duplicates: tuple[str, ...] = ()


def _object_pairs(pairs: list[tuple[str, Any]]) -> JSONObject:
    obj = JSONObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        dups: list[str] = []
        for key, _ in pairs:
            if key in seen and key not in dups:
                dups.append(key)
            seen.add(key)
        obj.duplicates = tuple(dups)
    return obj


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(data: bytes | str, *, max_bytes: int = MAX_MANIFEST_BYTES) -> Any:
    """Decode one JSON document under the rules above; raise :class:`ManifestSyntaxError`."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise ManifestSyntaxError(
                f"manifest is {len(data)} bytes, larger than the {max_bytes}-byte limit",
                code="too_big",
            )
        if data.startswith(b"\xef\xbb\xbf"):
            raise ManifestSyntaxError(
                "manifest starts with a UTF-8 byte order mark; save it without one",
                code="invalid_encoding",
            )
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ManifestSyntaxError(
                f"manifest is not valid UTF-8 (invalid byte 0x{data[exc.start]:02x} at offset {exc.start})",
                code="invalid_encoding",
            ) from None
    else:
        text = data
        if len(text) > max_bytes:
            raise ManifestSyntaxError(f"manifest is larger than the {max_bytes}-byte limit", code="too_big")
    if not text.strip(" \t\r\n"):
        raise ManifestSyntaxError("manifest is empty", code="invalid_json")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_float=JSONFloat,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as exc:
        raise ManifestSyntaxError(
            f"invalid JSON at line {exc.lineno} column {exc.colno}: {_describe(exc.msg)}"
        ) from None
    except ValueError as exc:  # NaN / Infinity
        raise ManifestSyntaxError(f"invalid JSON: {exc}") from None
    except RecursionError:
        # The C scanner guards its recursion; nothing this deep is a manifest.
        raise ManifestSyntaxError("JSON is nested too deeply to be a manifest", code="too_deep") from None
    if _LONE_SURROGATE_ESCAPE.search(text):
        try:
            value = _replace_surrogates(value)
        except RecursionError:
            raise ManifestSyntaxError("JSON is nested too deeply to be a manifest", code="too_deep") from None
    return value


def _describe(msg: str) -> str:
    if msg == "Extra data":
        return "unexpected data after the end of the JSON value"
    return msg[0].lower() + msg[1:] if msg else msg


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, JSONObject):
        fixed = JSONObject((_replace_surrogates(k), _replace_surrogates(v)) for k, v in value.items())
        fixed.duplicates = value.duplicates
        return fixed
    return value
