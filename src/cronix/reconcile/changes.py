"""What an operation changes, field by field: the body of a terraform-style plan.

A plan op knows the desired job and, when the host can tell, the job as it was last
applied (``Op.recorded``: the trigger spec file or the entry's own record, trusted only
when its ownership hashes are the installed ones). :func:`job_changes` compares the two
as their canonical JSON, flattened to slash paths (``schedules/0``, ``request/url``,
``request/headers/X-Team``, ``policy/retries/max_attempts``), so every field a manifest can
hold is covered without a list to keep in step, and the paths read like validation paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = ["Change", "job_changes"]


class Change(NamedTuple):
    """One field that differs; ``old``/``new`` are ``None`` where the field is absent."""

    field: str
    old: Any
    new: Any

    def as_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


def job_changes(old: Job | None, new: Job | None) -> list[Change]:
    """Every field that differs between ``old`` and ``new`` (either may be ``None``), in field order."""
    before = _flatten(old.to_json()) if old is not None else {}
    after = _flatten(new.to_json()) if new is not None else {}
    # Canonical field order; within a field, the new paths, then the ones that went away.
    top = list(dict.fromkeys(_group(k) for k in [*after, *before]))
    fields = sorted(dict.fromkeys([*after, *before]), key=lambda k: (top.index(_group(k)), k not in after))
    return [Change(k, before.get(k), after.get(k)) for k in fields if before.get(k) != after.get(k)]


def _group(path: str) -> str:
    return path.split("/", 1)[0]


def _flatten(doc: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(doc, dict):
        items = list(doc.items())
    elif isinstance(doc, list):
        items = [(str(i), v) for i, v in enumerate(doc)]
    else:
        return {prefix: doc}
    out: dict[str, Any] = {}
    for key, value in items:
        if prefix == "" and key == "name":
            continue  # the identity, never a change
        out.update(_flatten(value, f"{prefix}/{key}" if prefix else key))
    return out
