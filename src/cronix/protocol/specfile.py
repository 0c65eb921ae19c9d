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
(or ``null``) fields take their defaults, so files written by other versions still fire.
Only ``app``, ``job.name`` and ``job.request.url`` are required. Like Go's decoder, it is
not tolerant of a value of the wrong type (a string or ``1.5`` where an integer belongs,
``1e999``): that is a :class:`SpecFileError` naming the field, and so is a number outside
the bounds validation enforces (:data:`cronix.protocol.limits.LIMITS`), because the
trigger acts on these values — a timeout of ``1e999`` seconds or a billion attempts is
never what apply wrote. Nesting too deep for the decoder is a :class:`SpecFileError` too.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, NamedTuple

from cronix.protocol.errors import CronixError
from cronix.protocol.gojson import go_json_dumps
from cronix.protocol.limits import INT64_MAX, LIMITS
from cronix.protocol.manifest import Job, job_from_json

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "MANUAL_RUN_KEY",
    "MAX_SPEC_BYTES",
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
#: Larger than any spec a valid manifest renders to (the manifest itself is capped at 10 MiB);
#: readers (the trigger, drift) refuse bigger files unread.
MAX_SPEC_BYTES = 16 * 1024 * 1024


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
    except RecursionError:
        raise SpecFileError("not a spec file: JSON nested too deeply") from None
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
    _check_types(raw_job)
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


# Where the trigger relies on a type: (path, kind, bounds). ``None`` (JSON null) or an
# absent key always means the default, as in Go.
# Backoff has no upper limit in a manifest; beyond ~31 years no clock or sleep can take it
# (Go's time.Duration overflows at ~292 years and then does not sleep at all).
_MAX_BACKOFF = 10**9
_STR, _INT, _STRINGS, _STR_MAP, _OBJ = "a string", "an integer", "a list of strings", "strings", "an object"
_FIELDS: tuple[tuple[tuple[str, ...], str, tuple[int, int] | None], ...] = (
    (("schedule",), _STR, None),
    (("schedules",), _STRINGS, None),
    (("timezone",), _STR, None),
    (("request",), _OBJ, None),
    (("request", "method"), _STR, None),
    (("request", "headers"), _STR_MAP, None),
    (("request", "body"), _STR, None),
    (("policy",), _OBJ, None),
    (("policy", "concurrency"), _STR, None),
    (("policy", "concurrency_scope"), _STR, None),
    (("policy", "timeout_seconds"), _INT, (LIMITS.TIMEOUT_MIN, LIMITS.TIMEOUT_MAX)),
    (("policy", "retries"), _OBJ, None),
    (("policy", "retries", "max_attempts"), _INT, (LIMITS.RETRY_ATTEMPTS_MIN, LIMITS.RETRY_ATTEMPTS_MAX)),
    (("policy", "retries", "min_seconds"), _INT, (0, _MAX_BACKOFF)),
    (("policy", "retries", "max_seconds"), _INT, (0, _MAX_BACKOFF)),
    (("auth",), _OBJ, None),
    (("auth", "secret_refs"), _STRINGS, None),
)


def _check_types(raw_job: dict[str, Any]) -> None:
    """Raise :class:`SpecFileError` for the first field whose type (or range) the trigger cannot use."""
    for path, kind, bounds in _FIELDS:
        value: Any = raw_job
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if value is None:
            continue
        name = "job." + ".".join(path)
        if kind == _STR and not isinstance(value, str):
            raise SpecFileError(f'"{name}" must be {kind}')
        if kind == _OBJ and not isinstance(value, dict):
            raise SpecFileError(f'"{name}" must be {kind}')
        if kind == _STRINGS and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise SpecFileError(f'"{name}" must be {kind}')
        if kind == _STR_MAP and not (
            isinstance(value, dict) and all(isinstance(v, str) for v in value.values())
        ):
            raise SpecFileError(f'"{name}" must be an object of strings')
        if kind == _INT:
            if not isinstance(value, int) or isinstance(value, bool):
                raise SpecFileError(f'"{name}" must be {kind}')
            low, high = bounds or (0, INT64_MAX)
            if not low <= value <= high:
                raise SpecFileError(f'"{name}" must be between {low} and {high}')
