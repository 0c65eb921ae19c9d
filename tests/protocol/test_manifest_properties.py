"""Properties of the manifest pipeline on generated input.

* canonical form is a fixed point: parse(canonical(m)) == m and canonicalizing again
  gives the same bytes;
* the parser raises nothing but :class:`ManifestError` on arbitrary bytes or JSON;
* issues always carry a path, a message and a code.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from cronix.protocol.errors import ManifestError
from cronix.protocol.manifest import canonical_json, parse_manifest

IDS = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
SCHEDULES = st.sampled_from(
    [
        "*/15 * * * *",
        "0 2 * * mon-fri",
        "@hourly",
        "@every 5m",
        "1,,2 * * * *",
        " 0 0 1 1 * ",
        "? ? ? ? ?",
        "@daily",
    ]
)
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30)
HEADER_NAME = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,15}", fullmatch=True)
HEADER_VALUE = st.text(
    alphabet=st.characters(min_codepoint=0x20, blacklist_categories=("Cs", "Cc")), max_size=20
)


@st.composite
def jobs(draw: st.DrawFn, name: str) -> dict[str, Any]:
    job: dict[str, Any] = {"name": name}
    if draw(st.booleans()):
        job["schedule"] = draw(SCHEDULES)
    else:
        job["schedules"] = draw(st.lists(SCHEDULES, min_size=1, max_size=4))
    if draw(st.booleans()):
        job["timezone"] = draw(st.sampled_from(["UTC", "Europe/Berlin", "Asia/Kolkata"]))
    path = draw(st.from_regex(r"/[a-z0-9/._-]{0,20}", fullmatch=True))
    query = draw(st.sampled_from(["", "?a=1&b=2", "?x=%3Cy%3E"]))
    request: dict[str, Any] = {"url": f"https://app.example{path}{query}"}
    if draw(st.booleans()):
        request["method"] = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE"]))
    headers = draw(st.dictionaries(HEADER_NAME, HEADER_VALUE, max_size=3))
    if len({h.lower() for h in headers}) == len(headers):
        request["headers"] = headers
    if draw(st.booleans()):
        request["body"] = draw(TEXT)
    job["request"] = request
    if draw(st.booleans()):
        job["policy"] = {
            "concurrency": draw(st.sampled_from(["Allow", "Forbid", "Replace"])),
            "timeout_seconds": draw(st.integers(1, 600)),
            "retries": {"max_attempts": draw(st.integers(1, 10)), "min_seconds": draw(st.integers(0, 5))},
        }
    if draw(st.booleans()):
        job["auth"] = {
            "secret_refs": draw(
                st.lists(st.from_regex(r"env:[A-Z_]{1,10}", fullmatch=True), min_size=1, max_size=3)
            )
        }
    return job


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(st.lists(IDS, min_size=1, max_size=5, unique=True))
    return {"version": 1, "app": draw(IDS), "jobs": [draw(jobs(n)) for n in names]}


@settings(max_examples=200, deadline=None)
@given(manifests())
def test_canonical_form_is_a_fixed_point(doc: dict[str, Any]) -> None:
    manifest = parse_manifest(json.dumps(doc).encode())
    canonical = canonical_json(manifest)
    again = parse_manifest(canonical.encode("utf-8"))
    assert again == manifest
    assert canonical_json(again) == canonical
    assert [j.name for j in manifest.jobs] == sorted(j["name"] for j in doc["jobs"])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_manifest_errors(data: bytes) -> None:
    try:
        parse_manifest(data)
    except ManifestError as exc:
        assert exc.issues
        assert all(isinstance(i.location, str) and i.message and i.code for i in exc.issues)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=30,
)
KEYS = st.sampled_from(
    ["version", "app", "jobs", "name", "schedule", "schedules", "request", "url", "policy", "retries"]
)


@settings(max_examples=300, deadline=None)
@given(
    st.fixed_dictionaries(
        {},
        optional={
            "version": JSON_VALUES,
            "app": JSON_VALUES,
            "jobs": st.lists(st.dictionaries(KEYS, JSON_VALUES, max_size=6) | JSON_VALUES, max_size=3),
        },
    )
)
def test_arbitrary_json_documents_raise_only_manifest_errors(doc: dict[str, Any]) -> None:
    try:
        parse_manifest(json.dumps(doc).encode())
    except ManifestError as exc:
        assert exc.issues
