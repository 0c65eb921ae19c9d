"""Options of the vercel backend: ``backends.<name>`` with ``type: vercel`` in cronix.yaml.

Each field's documentation is rendered into ``docs/config.md`` and ``cronix init``; the
reference's flags ``--vercel-json-path`` and ``--vercel-trigger-prefix`` keep their names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from cronix.config import documented as _doc
from cronix.protocol.headers import TRIGGER_PATH_PREFIX

__all__ = ["VercelOptions"]


def _prefix(value: Any) -> str | None:
    if not value.startswith("/") or "?" in value or "#" in value or any(c.isspace() for c in value):
        return f"must be a URL path starting with / (no query, fragment or spaces), got {value!r}"
    return None


@dataclass(frozen=True, slots=True)
class VercelOptions:
    """Options of the vercel backend (``backends.<name>`` with ``type: vercel``)."""

    path: str = field(
        default="vercel.json",
        metadata=_doc(
            "The vercel.json to manage (relative to the working directory).", flag="--vercel-json-path"
        ),
    )
    trigger_prefix: str = field(
        default=TRIGGER_PATH_PREFIX,
        metadata=_doc(
            "URL path under which the app serves its jobs; entries are <prefix><job> (a / is appended).",
            check=_prefix,
            flag="--vercel-trigger-prefix",
        ),
    )
    plan: Literal["hobby", "pro", "enterprise"] = field(
        default="pro",
        metadata=_doc("The Vercel plan: hobby allows at most one run per day per schedule."),
    )
