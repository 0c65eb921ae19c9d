"""Hostile-input fuzzing of the trigger spec-file parser (issue 16, D-623).

A spec file is read on every fire, from a directory an operator (or, with the wrong
permissions, anyone) can write; the Lambda gets one as its event. ``parse_spec_file`` may
raise only :class:`SpecFileError` — never ``RecursionError``, ``OverflowError``,
``TypeError`` or ``AttributeError`` — and what it accepts must be usable by the trigger:
every field it acts on has its type and range, and preparing the request either works
or raises the ``ValueError`` the trigger reports as a spec error.

Deterministic by default (``tests/conftest.py``); ``HYPOTHESIS_PROFILE=explore`` searches.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cronix.protocol.limits import LIMITS
from cronix.protocol.specfile import SpecFile, SpecFileError, parse_spec_file, spec_from_object
from cronix.trigger.request import prepare_request
from tests.protocol.test_fuzz_parsers import HOSTILE_TEXT, VALUES

BASE: dict[str, Any] = {
    "app": "billing",
    "job": {
        "name": "ping",
        "schedules": ["*/5 * * * *"],
        "timezone": "Europe/Berlin",
        "request": {
            "method": "POST",
            "url": "https://app.example/cron/ping?x=1",
            "headers": {"A": "b"},
            "body": "",
        },
        "policy": {
            "concurrency": "Forbid",
            "concurrency_scope": "host",
            "timeout_seconds": 30,
            "retries": {"max_attempts": 3, "min_seconds": 1, "max_seconds": 9},
        },
        "auth": {"secret_refs": ["env:CRON_SECRET"]},
    },
    "secret_refs": ["env:CRON_SECRET"],
    "schedule_index": 0,
}
PATHS = [
    ("app",),
    ("job",),
    ("job", "name"),
    ("job", "schedules"),
    ("job", "schedules", 0),
    ("job", "schedule"),
    ("job", "timezone"),
    ("job", "request"),
    ("job", "request", "url"),
    ("job", "request", "method"),
    ("job", "request", "headers"),
    ("job", "request", "headers", "A"),
    ("job", "request", "headers", "X-\u00e9"),
    ("job", "request", "body"),
    ("job", "policy"),
    ("job", "policy", "concurrency"),
    ("job", "policy", "timeout_seconds"),
    ("job", "policy", "retries"),
    ("job", "policy", "retries", "max_attempts"),
    ("job", "policy", "retries", "min_seconds"),
    ("job", "policy", "retries", "max_seconds"),
    ("job", "auth", "secret_refs"),
    ("secret_refs",),
    ("secret_refs", 0),
    ("schedule_index",),
]
HOSTILE_NUMBERS = st.sampled_from([0, -1, 1.0, 1.5, 1e999, -1e999, 2**63, 10**12, 10**400, True, None])


def _replace(path: tuple[Any, ...], value: Any) -> Any:
    doc = json.loads(json.dumps(BASE))
    target = doc
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return doc


def _usable(spec: SpecFile) -> None:
    """What the trigger relies on, for a spec the parser accepted."""
    job = spec.job
    assert isinstance(spec.app, str) and spec.app
    assert isinstance(job.name, str) and job.name
    assert all(isinstance(s, str) for s in job.schedules)
    assert isinstance(job.timezone, str)
    assert isinstance(job.request.url, str) and isinstance(job.request.body, str)
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in job.request.headers)
    policy = job.policy
    assert LIMITS.TIMEOUT_MIN <= policy.timeout_seconds <= LIMITS.TIMEOUT_MAX
    assert LIMITS.RETRY_ATTEMPTS_MIN <= policy.retries.max_attempts <= LIMITS.RETRY_ATTEMPTS_MAX
    assert 0 <= policy.retries.min_seconds <= 10**9 and 0 <= policy.retries.max_seconds <= 10**9
    assert all(type(x) is int for x in (policy.timeout_seconds, policy.retries.max_attempts))
    assert spec.secret_refs is None or all(isinstance(r, str) for r in spec.secret_refs)
    assert isinstance(spec.schedule_index, int)
    try:
        prepare_request(job)
    except ValueError as exc:  # reported by the trigger as "trigger: load spec"
        assert str(exc)


def _only_spec_errors(data: bytes | str) -> None:
    try:
        spec = parse_spec_file(data)
    except SpecFileError as exc:
        assert str(exc)
        return
    _usable(spec)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(PATHS), st.one_of(VALUES, HOSTILE_NUMBERS, HOSTILE_TEXT))
def test_a_hostile_value_anywhere_raises_only_spec_file_errors(path: tuple[Any, ...], value: Any) -> None:
    doc = _replace(path, value)
    _only_spec_errors(json.dumps(doc, ensure_ascii=False).replace("Infinity", "1e999"))
    try:  # the Lambda's event arrives decoded
        spec = spec_from_object(doc)
    except SpecFileError:
        return
    _usable(spec)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(json.dumps(BASE).encode())
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(data)))
        chunk = draw(
            st.sampled_from(
                [b"[", b"{", b"\\ud800", b"1e999", b"1.5", b"-", b"\xff", b",", b'"', b"}", b"null"]
            )
            | st.binary(min_size=1, max_size=4)
        )
        if draw(st.booleans()):
            data[at:at] = chunk
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


@settings(max_examples=500, deadline=None)
@given(mutated())
def test_mutated_spec_bytes_raise_only_spec_file_errors(data: bytes) -> None:
    _only_spec_errors(data)


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 200_000), st.sampled_from(["[", '{"a":']))
def test_any_nesting_depth_is_a_spec_file_error(depth: int, opener: str) -> None:
    closer = "]" if opener == "[" else "}"
    _only_spec_errors('{"app":"a","job":' + opener * depth + closer * depth + "}")
