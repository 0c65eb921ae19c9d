"""spec/manifest.schema.json agrees with the validator where a JSON Schema can speak."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

SPEC = Path(__file__).resolve().parents[2] / "spec"
SCHEMA = json.loads((SPEC / "manifest.schema.json").read_text())
VALIDATOR = Draft202012Validator(SCHEMA)
VECTORS = json.loads((SPEC / "vectors" / "manifest-vectors.json").read_bytes())["vectors"]
VALID = [v for v in VECTORS if v["valid"]]


def test_the_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)


@pytest.mark.parametrize("vector", VALID, ids=[v["name"] for v in VALID])
def test_every_valid_vector_satisfies_the_schema(vector: dict[str, Any]) -> None:
    doc = json.loads(base64.b64decode(vector["inputB64"])) if "inputB64" in vector else vector["input"]
    errors = [e.message for e in VALIDATOR.iter_errors(doc)]
    assert not errors


def test_every_canonical_output_satisfies_the_schema() -> None:
    for vector in VALID:
        assert not list(VALIDATOR.iter_errors(json.loads(vector["expected"]))), vector["name"]


BASE = {"name": "j", "schedule": "@hourly", "request": {"url": "https://h.example/x"}}


@pytest.mark.parametrize(
    "doc",
    [
        {"version": 2, "app": "a", "jobs": [BASE]},
        {"version": 1, "app": "A", "jobs": [BASE]},
        {"version": 1, "app": "a", "jobs": []},
        {"version": 1, "app": "a", "jobs": [BASE] * 257},
        {"version": 1, "app": "a", "jobs": [{**BASE, "bogus": 1}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "request": {"url": "ftp://h/x"}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "request": {"url": "https://h/x#frag"}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "request": {"url": "https://h/a b"}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "request": {"url": "https://u:p@h/x"}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "request": {"url": "https://h/x", "method": "HEAD"}}]},
        {
            "version": 1,
            "app": "a",
            "jobs": [{**BASE, "request": {"url": "https://h/x", "headers": {"A": "x\r\ny"}}}],
        },
        {"version": 1, "app": "a", "jobs": [{**BASE, "policy": {"timeout_seconds": 0}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "policy": {"retries": {"max_attempts": 11}}}]},
        {"version": 1, "app": "a", "jobs": [{**BASE, "auth": {"secret_refs": ["env:A"] * 9}}]},
        {"version": 1, "app": "a", "jobs": [{"name": "j", "schedule": "@hourly"}]},
    ],
)
def test_structural_violations_fail_the_schema_too(doc: dict[str, Any]) -> None:
    assert list(VALIDATOR.iter_errors(doc))
