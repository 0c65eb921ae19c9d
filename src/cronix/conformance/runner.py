"""Run spec vector files against a conformance adapter, ours or another implementation's.

Each vector becomes one ``sh -c "<adapter> <subcommand>"`` with the vector's input on
stdin. Verdict rules (``spec/vectors/README.md``):

* valid manifest vectors: stdout, trailing newlines trimmed, must equal ``expected``
  byte for byte (``lenient_json`` also accepts JSON-equivalent output, as the reference
  runner does, and says so in the detail);
* invalid manifest vectors: stdout must be ``{"error":{"paths":[...]}}`` with at least
  one path equal to one of ``errorPaths``;
* sign vectors: trimmed stdout equals ``expectedHeader``;
* verify vectors: ``ok``/``secret_index`` (absent ⇒ 0) or ``error`` equal the vector;
* fire-JWT vectors: the vector merged over the file's ``settings`` goes to
  ``fire-jwt-verify``; ``expect: ok`` needs ``ok`` with ``kid`` (and ``fire_id``) equal to
  ``expectedKid`` (``expectedFireId``) when given, otherwise ``error`` equals ``expect``.

A vector whose adapter exits non-zero fails. ``inputB64`` (our extension) carries raw
bytes that no JSON value can express (trailing data, invalid UTF-8, duplicate keys).
"""

from __future__ import annotations

import base64
import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

__all__ = ["VECTOR_FILES", "Outcome", "default_adapter", "run_vectors"]

VECTOR_FILES = {
    "manifest": "manifest-vectors.json",
    "auth": "auth-vectors.json",
    "fire-jwt": "fire-jwt-vectors.json",
}
_ADAPTER_TIMEOUT = 60


@dataclass(frozen=True, slots=True)
class Outcome:
    suite: str
    name: str
    passed: bool
    detail: str = ""

    def line(self) -> str:
        verdict = "PASS" if self.passed else "FAIL"
        text = f"{verdict}  {self.suite:<10}  {self.name}"
        return f"{text}\n      {self.detail}" if self.detail else text


def default_adapter() -> str:
    """This project's adapter, run with the current interpreter."""
    return f"{shlex.quote(sys.executable)} -m cronix conformance-adapter"


def run_vectors(
    vectors_dir: Path,
    adapter: str,
    *,
    lenient_json: bool = False,
    jobs: int | None = None,
) -> Iterator[Outcome]:
    """Run every vector file found in ``vectors_dir``; yield outcomes in file order."""
    cases = list(_load_cases(vectors_dir))
    checker = _Checker(adapter, lenient_json)
    workers = jobs or min(8, (os.cpu_count() or 2) * 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(lambda case: case[0](checker, case[1]), cases)


def _load_cases(
    vectors_dir: Path,
) -> Iterator[tuple[Callable[[_Checker, dict[str, Any]], Outcome], dict[str, Any]]]:
    if not vectors_dir.is_dir():
        raise UsageError(f"vectors directory {vectors_dir} does not exist")
    found = False
    for suite, filename in VECTOR_FILES.items():
        path = vectors_dir / filename
        if not path.exists():
            continue
        found = True
        try:
            doc = json.loads(path.read_bytes())
            vectors = doc["vectors"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise UsageError(f"cannot read vector file {path}: {exc}") from None
        settings = doc.get("settings") if isinstance(doc, dict) else None
        for vector in vectors:
            if suite == "manifest":
                yield _Checker.manifest, vector
            elif suite == "fire-jwt":
                yield _Checker.fire_jwt, {**(settings or {}), **vector}
            elif vector.get("kind") == "sign":
                yield _Checker.sign, vector
            else:
                yield _Checker.verify, vector
    if not found:
        raise UsageError(f"no vector files in {vectors_dir} (expected {', '.join(VECTOR_FILES.values())})")


class _Checker:
    def __init__(self, adapter: str, lenient_json: bool) -> None:
        self.adapter = adapter
        self.lenient_json = lenient_json

    def _call(self, subcommand: str, stdin: bytes) -> tuple[bytes, str]:
        """(stdout, failure detail or "")."""
        try:
            proc = subprocess.run(
                ["/bin/sh", "-c", f"{self.adapter} {subcommand}"],
                input=stdin,
                capture_output=True,
                timeout=_ADAPTER_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return b"", f"adapter did not answer within {_ADAPTER_TIMEOUT}s"
        if proc.returncode != 0:
            err = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            return b"", f"adapter exited {proc.returncode}: {err[-1] if err else '(no stderr)'}"
        return proc.stdout, ""

    def manifest(self, v: dict[str, Any]) -> Outcome:
        name = v.get("name", "?")
        raw = (
            base64.b64decode(v["inputB64"])
            if "inputB64" in v
            else json.dumps(v.get("input"), ensure_ascii=False).encode()
        )
        out, failure = self._call("manifest-canonicalize", raw)
        if failure:
            return Outcome("manifest", name, False, failure)
        text = out.decode("utf-8", "replace").rstrip("\n")
        if v.get("valid"):
            expected = v["expected"]
            if text == expected:
                return Outcome("manifest", name, True)
            if self.lenient_json and _json_equal(text, expected):
                return Outcome("manifest", name, True, "JSON-equivalent, not byte-identical")
            return Outcome("manifest", name, False, f"expected {expected!r}\n      got      {text!r}")
        try:
            paths = json.loads(text)["error"]["paths"]
        except (ValueError, KeyError, TypeError):
            return Outcome("manifest", name, False, f"expected an error document, got {text[:200]!r}")
        wanted = v.get("errorPaths", [])
        if any(p in paths for p in wanted):
            return Outcome("manifest", name, True)
        return Outcome("manifest", name, False, f"expected one of {wanted}, got {paths}")

    def sign(self, v: dict[str, Any]) -> Outcome:
        name = v.get("name", "?")
        stdin = {k: v.get(k) for k in ("secret", "method", "path", "bodyB64", "timestamp")}
        out, failure = self._call("auth-sign", json.dumps(stdin).encode())
        if failure:
            return Outcome("auth", name, False, failure)
        got = out.decode("utf-8", "replace").strip()
        if got == v["expectedHeader"]:
            return Outcome("auth", name, True)
        return Outcome("auth", name, False, f"expected {v['expectedHeader']!r}, got {got!r}")

    def verify(self, v: dict[str, Any]) -> Outcome:
        name = v.get("name", "?")
        stdin = {k: v.get(k) for k in ("secrets", "method", "path", "bodyB64", "header", "now")}
        stdin["maxSkewSeconds"] = v.get("maxSkewSeconds", 0)
        out, failure = self._call("auth-verify", json.dumps(stdin).encode())
        if failure:
            return Outcome("auth", name, False, failure)
        try:
            got = json.loads(out)
        except ValueError:
            return Outcome("auth", name, False, f"adapter printed non-JSON {out[:200]!r}")
        expect = v["expect"]
        if expect == "ok":
            want_index = v.get("expectedSecretIndex", 0)
            ok = got.get("ok") is True and got.get("secret_index") == want_index
            detail = "" if ok else f"expected ok with secret_index {want_index}, got {got}"
        else:
            ok = got.get("ok") is False and got.get("error") == expect
            detail = "" if ok else f"expected {expect}, got {got}"
        return Outcome("auth", name, ok, detail)

    def fire_jwt(self, v: dict[str, Any]) -> Outcome:
        name = v.get("name", "?")
        keys = (
            "jwks",
            "issuer",
            "audience",
            "subject",
            "leeway",
            "maxLifetime",
            "authorization",
            "method",
            "url",
        )
        stdin = {k: v.get(k) for k in keys}
        stdin.update(bodyB64=v.get("bodyB64", ""), now=v.get("now"), seenJtis=v.get("seenJtis", []))
        out, failure = self._call("fire-jwt-verify", json.dumps(stdin).encode())
        if failure:
            return Outcome("fire-jwt", name, False, failure)
        try:
            got = json.loads(out)
        except ValueError:
            return Outcome("fire-jwt", name, False, f"adapter printed non-JSON {out[:200]!r}")
        expect = v["expect"]
        if expect == "ok":
            ok = got.get("ok") is True
            for field_name, key in (("expectedKid", "kid"), ("expectedFireId", "fire_id")):
                if field_name in v and got.get(key) != v[field_name]:
                    ok = False
            detail = "" if ok else f"expected ok (kid {v.get('expectedKid')}), got {got}"
        else:
            ok = got.get("ok") is False and got.get("error") == expect
            detail = "" if ok else f"expected {expect}, got {got}"
        return Outcome("fire-jwt", name, ok, detail)


def _json_equal(a: str, b: str) -> bool:
    try:
        return bool(json.loads(a) == json.loads(b))
    except ValueError:
        return False
