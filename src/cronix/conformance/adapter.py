"""``cronix conformance-adapter manifest-canonicalize|auth-sign|auth-verify|fire-jwt-verify``.

The language-neutral adapter contract (``spec/RFC.md`` §7): one JSON document on stdin,
the answer on stdout, exit 0 whatever the verdict. Exit 2 (message on stderr) only when
the adapter itself is misused: unknown subcommand, stdin that is not the expected JSON.

* ``manifest-canonicalize`` — stdin: a manifest. stdout: its canonical JSON, or
  ``{"error":{"paths":["jobs/0/name",...]}}`` when invalid (``""`` for the root).
* ``auth-sign`` — stdin: ``{"secret","method","path","bodyB64","timestamp"}``.
  stdout: the header value ``t=…,v1=…``.
* ``auth-verify`` — stdin: ``{"secrets","method","path","bodyB64","header","now","maxSkewSeconds"}``.
  stdout: ``{"ok":true,"secret_index":N}`` or ``{"ok":false,"error":"<code>"}``.
  ``maxSkewSeconds`` 0 or absent means 300; ``now`` 0 or absent means the wall clock.
* ``fire-jwt-verify`` — stdin: ``{"jwks","issuer","audience","subject","leeway","maxLifetime",
  "authorization","method","url","bodyB64","now","seenJtis"}`` (a vector of
  ``fire-jwt-vectors.json`` merged over its ``settings``). stdout: ``{"ok":true,"kid":…,
  "fire_id":…}`` or ``{"ok":false,"error":"<code>"}``; ``seenJtis`` are token ids the
  replay cache already holds.

Imports only the standard library and :mod:`cronix.protocol` (``fire-jwt-verify`` also the
SDK and PyJWT, when it runs): it runs once per vector.
"""

from __future__ import annotations

import base64
import binascii
import json
import sys
from typing import Any

__all__ = ["SUBCOMMANDS", "main", "run"]

SUBCOMMANDS = ("manifest-canonicalize", "auth-sign", "auth-verify", "fire-jwt-verify")
_USAGE = "usage: cronix conformance-adapter {" + "|".join(SUBCOMMANDS) + "} < input.json"


class AdapterUsageError(Exception):
    pass


def run(subcommand: str, stdin: bytes) -> str:
    """The adapter's stdout for ``subcommand`` given ``stdin``."""
    if subcommand == "manifest-canonicalize":
        return _canonicalize(stdin)
    doc = _json_object(stdin)
    if subcommand == "auth-sign":
        return _sign(doc)
    if subcommand == "auth-verify":
        return _verify(doc)
    if subcommand == "fire-jwt-verify":
        return _verify_fire_jwt(doc)
    raise AdapterUsageError(f"unknown subcommand {subcommand!r}\n{_USAGE}")


def _canonicalize(stdin: bytes) -> str:
    from cronix.protocol.errors import ManifestError
    from cronix.protocol.manifest import canonical_json, parse_manifest

    try:
        return canonical_json(parse_manifest(stdin))
    except ManifestError as exc:
        paths = list(dict.fromkeys(issue.location for issue in exc.issues))
        return json.dumps({"error": {"paths": paths}}, separators=(",", ":"))


def _sign(doc: dict[str, Any]) -> str:
    from cronix.protocol.signing import sign

    return sign(
        _field(doc, "secret", str),
        _field(doc, "method", str),
        _field(doc, "path", str),
        _body(doc),
        _field(doc, "timestamp", int),
    )


def _verify(doc: dict[str, Any]) -> str:
    from cronix.protocol.errors import SignatureError
    from cronix.protocol.signing import verify

    secrets = _field(doc, "secrets", list)
    if not all(isinstance(s, str) for s in secrets):
        raise AdapterUsageError("secrets must be a list of strings")
    now = doc.get("now") or None
    if now is not None and not isinstance(now, int):
        raise AdapterUsageError("now must be an integer")
    skew = doc.get("maxSkewSeconds") or None
    if skew is not None and not isinstance(skew, int):
        raise AdapterUsageError("maxSkewSeconds must be an integer")
    try:
        index = verify(
            secrets,
            _field(doc, "method", str),
            _field(doc, "path", str),
            _body(doc),
            _field(doc, "header", str),
            now=now,
            max_skew_seconds=skew,
        )
    except SignatureError as exc:
        return json.dumps({"ok": False, "error": exc.code}, separators=(",", ":"))
    return json.dumps({"ok": True, "secret_index": index}, separators=(",", ":"))


def _verify_fire_jwt(doc: dict[str, Any]) -> str:
    import urllib.parse

    from cronix.sdk.claims import MemoryClaimStore
    from cronix.sdk.firejwt import verify_fire_jwt
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jwks import PinnedKeys
    from cronix.sdk.results import Rejection

    url = _field(doc, "url", str)
    parts = urllib.parse.urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    authorization = doc.get("authorization") or ""
    if not isinstance(authorization, str):
        raise AdapterUsageError("authorization must be a string")
    headers = {"authorization": authorization} if authorization else {}
    request = CronRequest(_field(doc, "method", str), target, _body(doc), headers)
    jwks = _field(doc, "jwks", dict)
    try:
        keys = PinnedKeys(jwks)
    except ValueError as exc:
        raise AdapterUsageError(f"jwks: {exc}") from None
    issuer = _field(doc, "issuer", str)
    replay = MemoryClaimStore()
    for jti in doc.get("seenJtis") or []:
        replay.remember(f"jti:{issuer}:{jti}", keep_seconds=3600)
    verdict = verify_fire_jwt(
        request,
        issuer=issuer,
        audience=_field(doc, "audience", str),
        keys=keys,
        url=url,
        subject=_field(doc, "subject", str),
        leeway=_field(doc, "leeway", int),
        max_lifetime=_field(doc, "maxLifetime", int),
        now=_field(doc, "now", int),
        replay=replay,
    )
    if isinstance(verdict, Rejection):
        return json.dumps({"ok": False, "error": verdict.code}, separators=(",", ":"))
    return json.dumps({"ok": True, "kid": verdict.kid, "fire_id": verdict.fire_id}, separators=(",", ":"))


def _json_object(stdin: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(stdin)
    except (ValueError, UnicodeDecodeError) as exc:
        raise AdapterUsageError(f"stdin is not JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise AdapterUsageError("stdin must be a JSON object")
    return doc


def _field(doc: dict[str, Any], key: str, kind: type) -> Any:
    value = doc.get(key)
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise AdapterUsageError(f"{key} must be a {kind.__name__}")
    return value


def _body(doc: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(doc.get("bodyB64") or "", validate=True)
    except (binascii.Error, TypeError):
        raise AdapterUsageError("bodyB64 must be standard base64") from None


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] in ("-h", "--help"):
        stream = sys.stdout if argv[:1] in (["-h"], ["--help"]) else sys.stderr
        print(__doc__.strip() if stream is sys.stdout else _USAGE, file=stream)
        return 0 if stream is sys.stdout else 2
    try:
        out = run(argv[0], sys.stdin.buffer.read())
    except AdapterUsageError as exc:
        print(f"cronix conformance-adapter: {exc}", file=sys.stderr)
        return 2
    sys.stdout.buffer.write(out.encode("utf-8"))
    sys.stdout.flush()
    return 0
