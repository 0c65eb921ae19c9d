"""Trigger spec files: what ``cronix apply`` leaves for ``cronix trigger`` (``<app>.<job>.json``).

The format is a contract with the reference (DESIGN §2): a Python ``apply`` and a Go
``trigger`` (or the reverse) must understand each other's files. Shape, written as Go's
``json.MarshalIndent(v, "", "  ")`` without a trailing newline::

    {
      "app": "billing",
      "job": { …the normalized job, canonical key order… },
      "secret_refs": ["env:CRON_SECRET"],      // references, never values; null when none
      "schedule_index": 0
    }

Reading is tolerant like the reference's Go decoder: unknown keys are ignored and missing
policy fields take their defaults, so files written by other versions still fire. Only
``app``, ``job.name`` and ``job.request.url`` are required.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from cronix.protocol.errors import CronixError
from cronix.protocol.gojson import go_json_dumps
from cronix.protocol.manifest import Job, job_from_json

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MANUAL_RUN_KEY",
    "SpecFile",
    "SpecFileError",
    "parse_spec_file",
    "render_spec_file",
    "spec_file_name",
    "spec_from_object",
]


#: cronix: the key ``cronix run`` adds to a spec it hands to the Lambda as its event,
#: ``{"fire_time": <Unix seconds>}`` (D-745). A spec *file* never has it; readers of the
#: spec ignore keys they do not know, so the event is still a spec.
MANUAL_RUN_KEY = "manual_run"


class SpecFileError(CronixError):
    """A spec file cannot be read as one."""


class SpecFile(NamedTuple):
    app: str
    job: Job
    secret_refs: tuple[str, ...] | None
    schedule_index: int = 0


def spec_file_name(app: str, job: str) -> str:
    return f"{app}.{job}.json"


def render_spec_file(
    app: str, job: Job, secret_refs: Sequence[str] | None, *, schedule_index: int = 0, indent: bool = True
) -> str:
    """The file's exact text (compact with ``indent=False``, as in EventBridge ``Input``)."""
    doc: dict[str, Any] = {
        "app": app,
        "job": job.to_json(),
        "secret_refs": None if secret_refs is None else list(secret_refs),
        "schedule_index": schedule_index,
    }
    return go_json_dumps(doc, indent=2 if indent else None)


def parse_spec_file(data: bytes | str) -> SpecFile:
    """Decode a spec file tolerantly; raise :class:`SpecFileError` naming what is wrong."""
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SpecFileError(f"not valid JSON: {exc}") from None
    return spec_from_object(doc)


def spec_from_object(doc: Any) -> SpecFile:
    """A spec from decoded JSON (the Lambda receives the schedule's ``Input`` already decoded)."""
    if not isinstance(doc, dict):
        raise SpecFileError("not a JSON object")
    app = doc.get("app")
    raw_job = doc.get("job")
    if not isinstance(app, str) or not app:
        raise SpecFileError('missing "app"')
    if not isinstance(raw_job, dict) or not isinstance(raw_job.get("name"), str) or not raw_job["name"]:
        raise SpecFileError('missing "job.name"')
    request = raw_job.get("request")
    if not isinstance(request, dict) or not isinstance(request.get("url"), str) or not request["url"]:
        raise SpecFileError('missing "job.request.url"')
    refs = doc.get("secret_refs")
    if refs is not None and (not isinstance(refs, list) or not all(isinstance(r, str) for r in refs)):
        raise SpecFileError('"secret_refs" must be a list of strings or null')
    index = doc.get("schedule_index", 0)
    try:
        job = job_from_json(raw_job)
    except (TypeError, AttributeError, ValueError) as exc:
        raise SpecFileError(f'malformed "job": {exc}') from None
    return SpecFile(
        app=app,
        job=job,
        secret_refs=None if refs is None else tuple(refs),
        schedule_index=index if isinstance(index, int) and not isinstance(index, bool) else 0,
    )
