"""Hostile-input fuzzing of the two parsers that read bytes from outside (issue 16).

Permanent regression tests: the manifest parser (bytes from any app, or any file) and the
``X-Cron-Signature`` parser (a header from any caller) may raise only their documented
errors — :class:`ManifestError` with located issues, :class:`SignatureError` with one of
the three codes — never ``RecursionError``, ``OverflowError``, ``UnicodeError`` or a bare
``ValueError``. What the manifest parser accepts must also survive everything built on
it: canonical JSON (a fixed point), the warning rules, and the trigger spec file round trip.

Deterministic by default (``tests/conftest.py``); ``HYPOTHESIS_PROFILE=explore`` searches.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cronix.protocol.advice import job_warnings
from cronix.protocol.errors import SIGNATURE_ERROR_CODES, ManifestError, SignatureError
from cronix.protocol.manifest import canonical_json, parse_manifest
from cronix.protocol.signing import parse_signature_header, sign, verify
from cronix.protocol.specfile import parse_spec_file, render_spec_file

BASE: dict[str, Any] = {
    "version": 1,
    "app": "billing",
    "jobs": [
        {
            "name": "ping",
            "schedules": ["*/5 * * * *", "0 9 * * mon-fri"],
            "timezone": "Europe/Berlin",
            "request": {"url": "https://app.example/cron/ping?x=1", "method": "POST", "headers": {"A": "b"}},
            "policy": {
                "timeout_seconds": 30,
                "retries": {"max_attempts": 3, "min_seconds": 1, "max_seconds": 9},
            },
            "auth": {"secret_refs": ["env:CRON_SECRET"]},
        }
    ],
}
BASE_BYTES = json.dumps(BASE).encode()

# Characters that have broken parsers elsewhere: controls, bidi, surrogate halves (as
# JSON escapes), separators, quotes, the grammar's own punctuation, non-ASCII digits.
HOSTILE_CHARS = st.sampled_from(
    list("\x00\x07\x1b\n\r\t\x7f\x85\u2028\u202e\ufeff\ufffd٣１") + list(" */,-?@#%:;=[]{}\"'\\") + ["😀"]
)
HOSTILE_TEXT = st.text(alphabet=st.one_of(HOSTILE_CHARS, st.characters(codec="utf-8")), max_size=40)
CRONISH = st.text(alphabet=st.sampled_from(list("0123456789*/,-? @evryhmsMONjanSUN\t")), max_size=30)
HOSTILE_NUMBERS = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0, -0.0, 1e308, 2**63, 2**63 - 1, -(2**63) - 1]),
)
SCALARS = st.one_of(st.none(), st.booleans(), HOSTILE_NUMBERS, HOSTILE_TEXT, CRONISH)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(HOSTILE_TEXT, inner, max_size=3),
    max_leaves=12,
)
PATHS = [
    ("version",),
    ("app",),
    ("jobs",),
    ("jobs", 0),
    ("jobs", 0, "name"),
    ("jobs", 0, "schedules", 0),
    ("jobs", 0, "schedules"),
    ("jobs", 0, "timezone"),
    ("jobs", 0, "request", "url"),
    ("jobs", 0, "request", "method"),
    ("jobs", 0, "request", "body"),
    ("jobs", 0, "request", "headers", "A"),
    ("jobs", 0, "request", "headers"),
    ("jobs", 0, "policy", "timeout_seconds"),
    ("jobs", 0, "policy", "retries", "max_attempts"),
    ("jobs", 0, "policy", "concurrency"),
    ("jobs", 0, "auth", "secret_refs", 0),
]


def _replace(doc: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(doc))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def _accepted_bytes_survive_everything(data: bytes) -> None:
    try:
        manifest = parse_manifest(data)
    except ManifestError as exc:
        assert exc.issues
        assert all(isinstance(i.location, str) and i.message and i.code for i in exc.issues)
        return
    canonical = canonical_json(manifest)
    assert canonical_json(parse_manifest(canonical.encode())) == canonical
    for job in manifest.jobs:
        job_warnings(job)
        spec = parse_spec_file(render_spec_file(manifest.app, job, ["env:X"]).encode())
        assert spec.job == job


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PATHS), st.one_of(VALUES, CRONISH, HOSTILE_TEXT))
def test_a_hostile_value_anywhere_raises_only_manifest_errors(path: tuple[Any, ...], value: Any) -> None:
    _accepted_bytes_survive_everything(json.dumps(_replace(BASE, path, value), ensure_ascii=False).encode())


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(PATHS[5:6] + PATHS[7:9]), CRONISH | HOSTILE_TEXT)
def test_hostile_schedules_timezones_and_urls_raise_only_manifest_errors(
    path: tuple[Any, ...], text: str
) -> None:
    _accepted_bytes_survive_everything(json.dumps(_replace(BASE, path, text)).encode())


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(BASE_BYTES)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["insert", "delete", "replace"]))
        chunk = draw(
            st.sampled_from(
                [b"[", b"{", b"\\ud800", b"\\u0000", b"1e999", b"-0", b"\xff", b"\xc3", b",", b'"', b"}"]
            )
            | st.binary(min_size=1, max_size=4)
        )
        if op == "insert":
            data[at:at] = chunk
        elif op == "delete":
            del data[at : at + len(chunk)]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


@settings(max_examples=500, deadline=None)
@given(mutated())
def test_mutated_manifest_bytes_raise_only_manifest_errors(data: bytes) -> None:
    _accepted_bytes_survive_everything(data)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 200_000), st.sampled_from(["[", '{"a":']))
def test_any_nesting_depth_is_a_manifest_error_not_a_crash(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    _accepted_bytes_survive_everything(
        ('{"version":1,"app":"a","jobs":' + opener * depth + closer * depth + "}").encode()
    )


HEADER_PIECES = st.one_of(
    st.sampled_from(
        ["t=", "v1=", ",", "=", "t=1700000000", "v1=" + "a" * 64, "v1=" + "G" * 64, "t=+1", "t=-0"]
    ),
    st.sampled_from(["t=" + "9" * 19, "t=" + "9" * 20, "t=１２３", "t=٣", " ", "\x00", "\u202e"]),
    HOSTILE_TEXT,
)


@settings(max_examples=500, deadline=None)
@given(st.lists(HEADER_PIECES, max_size=8).map("".join) | st.text(max_size=200))
def test_the_signature_header_parser_raises_only_malformed_header(header: str) -> None:
    try:
        parsed = parse_signature_header(header)
    except SignatureError as exc:
        assert exc.code == "MalformedHeader"
        assert exc.message
        return
    assert 0 <= parsed.timestamp <= 2**63 - 1
    assert len(parsed.signature) == 32


@settings(max_examples=300, deadline=None)
@given(
    st.lists(HEADER_PIECES, max_size=8).map("".join),
    st.lists(st.text(max_size=20) | st.binary(max_size=20), max_size=3),
    st.text(max_size=30),
    st.binary(max_size=30),
    st.integers(min_value=-(2**64), max_value=2**64) | st.none(),
    st.integers(min_value=-(2**40), max_value=2**40) | st.none(),
)
def test_verify_raises_only_the_three_codes(
    header: str, secrets: list[str | bytes], path: str, body: bytes, now: int | None, skew: int | None
) -> None:
    try:
        index = verify(secrets, "POST", path, body, header, now=now, max_skew_seconds=skew)
    except SignatureError as exc:
        assert exc.code in SIGNATURE_ERROR_CODES
        return
    assert 0 <= index < len(secrets)


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=1, max_size=30), st.text(max_size=30), st.binary(max_size=64), st.integers(0, 2**40))
def test_every_signature_we_make_parses_and_verifies(secret: str, path: str, body: bytes, ts: int) -> None:
    header = sign(secret, "post", path, body, timestamp=ts)
    assert parse_signature_header(header).timestamp == ts
    assert verify(["", secret], "POST", path, body, header, now=ts) == 1
