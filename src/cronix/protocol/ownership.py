"""Ownership: the names and hashes that let cronix recognise the entries it wrote.

There is no state file. Every scheduler entry cronix creates is identified by
``(app, job, index)`` — the index is the schedule's position in the job's normalized
``schedules`` — and carries a 16-hex-digit hash of the normalized job for change
detection. The hash must be bit-for-bit the reference's so that a Python ``apply``
converges on entries the Go CLI wrote and vice versa (``spec/RFC.md`` §4):

* input: the canonical JSON of the one-job manifest ``{"version":1,"app":"_hash_","jobs":[job]}``
  (the real app id is deliberately not part of it);
* an FNV-1a-style fold with the reference's offset basis ``1469598103934665603`` — one
  digit short of the standard FNV basis, kept on purpose for interoperability;
* then ``h ^= index`` and one more multiply by the FNV prime; ``%016x``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.protocol.gojson import go_json_dumps

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = [
    "HASH_APP",
    "RESOURCE_PREFIX",
    "hash_input",
    "ownership_hash",
    "ownership_hashes",
    "resource_name",
]

RESOURCE_PREFIX = "cronix-"
HASH_APP = "_hash_"
_OFFSET = 1469598103934665603  # sic: the reference's constant, not FNV's 14695981039346656037
_PRIME = 1099511628211
_MASK = (1 << 64) - 1


def resource_name(app: str, job: str, index: int) -> str:
    """``cronix-<app>-<job>-<index>``: systemd unit, CronJob and EventBridge schedule name."""
    return f"{RESOURCE_PREFIX}{app}-{job}-{index}"


def hash_input(job: Job) -> bytes:
    """The exact bytes the ownership hash is computed over (the reference's job: no extensions)."""
    doc = {"version": 1, "app": HASH_APP, "jobs": [job.to_json(extensions=False)]}
    return go_json_dumps(doc).encode("utf-8")


def _fold(data: bytes) -> int:
    h = _OFFSET
    for b in data:
        h = ((h ^ b) * _PRIME) & _MASK
    return h


def _finish(folded: int, index: int) -> str:
    return "%016x" % (((folded ^ (index & _MASK)) * _PRIME) & _MASK)


def ownership_hash(job: Job, index: int) -> str:
    """The hash of schedule ``index`` of ``job``."""
    return _finish(_fold(hash_input(job)), index)


def ownership_hashes(job: Job) -> tuple[str, ...]:
    """One hash per schedule of ``job``, folding the job's bytes only once."""
    folded = _fold(hash_input(job))
    return tuple(_finish(folded, i) for i in range(len(job.schedules)))
