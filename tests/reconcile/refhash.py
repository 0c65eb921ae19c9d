"""An independent implementation of the reference's ownership hash (reference §2.3), for tests.

Written from the reference document, not from cronix's code: canonical JSON of the one-job
manifest ``{"version":1,"app":"_hash_","jobs":[job]}`` (ASCII-only inputs without ``<>&``,
where ``json.dumps`` equals Go's encoder), folded FNV-1a-style from the offset basis
1469598103934665603, then ``^ idx`` and one more multiply.
"""

from __future__ import annotations

import json
from typing import Any


def normalized_job(
    name: str, schedules: list[str], url: str, *, timezone: str = "UTC", method: str = "POST"
) -> dict[str, Any]:
    return {
        "name": name,
        "schedules": schedules,
        "timezone": timezone,
        "request": {"method": method, "url": url, "headers": {}, "body": ""},
        "policy": {
            "concurrency": "Forbid",
            "concurrency_scope": "host",
            "timeout_seconds": 60,
            "retries": {"max_attempts": 3, "min_seconds": 1, "max_seconds": 60},
        },
        "auth": {"secret_refs": []},
    }


def reference_hash(job: dict[str, Any], idx: int) -> str:
    data = json.dumps({"version": 1, "app": "_hash_", "jobs": [job]}, separators=(",", ":")).encode()
    assert not any(c in data for c in b"<>&")
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    h = ((h ^ idx) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"
