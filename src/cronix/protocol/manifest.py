"""The manifest: an app's scheduled jobs, as a typed, normalized, immutable value.

Wire shape (``spec/RFC.md`` §2)::

    {"version": 1, "app": "billing", "jobs": [{"name": "reconcile", "schedule": "*/15 * * * *",
      "request": {"url": "https://billing.internal/api/v1/scheduled/reconcile"}}]}

:func:`parse_manifest` turns bytes into a :class:`Manifest` or raises
:class:`~cronix.protocol.errors.ManifestSyntaxError` / :class:`~cronix.protocol.errors.ManifestInvalid`
listing every issue. A :class:`Manifest` is always normalized: defaults filled in, the
single ``schedule`` folded into ``schedules``, schedules trimmed, headers sorted, jobs
sorted by name. :func:`canonical_json` renders it byte-identically to the reference, which
is what ownership hashes are computed over.

Extensions (``spec/DECISIONS.md`` D-700): a job may carry ``monitoring``
(``start_grace_seconds``, ``run_grace_seconds``: how late a start and how long a run may be
before the alert rules and ``cronix status --missed`` call it missed or stuck). The Go
reference rejects the key, so it is written only when a job sets it — a manifest without
extensions renders exactly as before — and it is never part of the ownership hash
(:meth:`Job.to_json` with ``extensions=False``): changing a grace never rewrites an entry.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from cronix.protocol._gostrings import trim_space
from cronix.protocol.errors import ManifestInvalid, ManifestSyntaxError
from cronix.protocol.gojson import go_json_dumps
from cronix.protocol.jsondecode import MAX_MANIFEST_BYTES, decode_json

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = [
    "Job",
    "Manifest",
    "Monitoring",
    "Policy",
    "Request",
    "Retries",
    "canonical_json",
    "job_from_json",
    "load_manifest_object",
    "parse_manifest",
]


class Retries(NamedTuple):
    max_attempts: int = 3
    min_seconds: int = 1
    max_seconds: int = 60


class Policy(NamedTuple):
    concurrency: str = "Forbid"
    concurrency_scope: str = "host"
    timeout_seconds: int = 60
    retries: Retries = Retries()


class Request(NamedTuple):
    """The HTTP request a fire sends. ``headers`` are kept sorted by name (UTF-8 byte order)."""

    url: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = ()
    body: str = ""

    @property
    def header_map(self) -> dict[str, str]:
        return dict(self.headers)


class Monitoring(NamedTuple):
    """The ``monitoring`` extension of a job (D-700); ``None``: not given, the operator's default."""

    start_grace_seconds: int | None = None
    run_grace_seconds: int | None = None

    def to_json(self) -> dict[str, int]:
        return {k: v for k, v in self._asdict().items() if v is not None}


class Job(NamedTuple):
    """One normalized job; ``schedules`` is never empty and keeps manifest order (it is the index)."""

    name: str
    schedules: tuple[str, ...]
    request: Request
    timezone: str = "UTC"
    policy: Policy = Policy()
    secret_refs: tuple[str, ...] = ()
    monitoring: Monitoring | None = None

    def to_json(self, *, extensions: bool = True) -> dict[str, Any]:
        """The job as JSON-ready dicts in canonical key order.

        Extensions come last and only when set; ``extensions=False`` is the reference's
        job exactly, what ownership hashes are computed over.
        """
        doc = self._core_json()
        if extensions and self.monitoring is not None and self.monitoring.to_json():
            doc["monitoring"] = self.monitoring.to_json()
        return doc

    def _core_json(self) -> dict[str, Any]:
        p = self.policy
        return {
            "name": self.name,
            "schedules": list(self.schedules),
            "timezone": self.timezone,
            "request": {
                "method": self.request.method,
                "url": self.request.url,
                "headers": dict(self.request.headers),
                "body": self.request.body,
            },
            "policy": {
                "concurrency": p.concurrency,
                "concurrency_scope": p.concurrency_scope,
                "timeout_seconds": p.timeout_seconds,
                "retries": {
                    "max_attempts": p.retries.max_attempts,
                    "min_seconds": p.retries.min_seconds,
                    "max_seconds": p.retries.max_seconds,
                },
            },
            "auth": {"secret_refs": list(self.secret_refs)},
        }


class Manifest(NamedTuple):
    app: str
    jobs: tuple[Job, ...]
    version: int = 1

    def to_json(self) -> dict[str, Any]:
        return {"version": self.version, "app": self.app, "jobs": [j.to_json() for j in self.jobs]}

    def job(self, name: str) -> Job | None:
        return next((j for j in self.jobs if j.name == name), None)


def parse_manifest(data: bytes | str, *, max_bytes: int = MAX_MANIFEST_BYTES) -> Manifest:
    """Decode, validate and normalize manifest bytes."""
    return load_manifest_object(decode_json(data, max_bytes=max_bytes))


def load_manifest_object(doc: Any) -> Manifest:
    """Validate and normalize an already decoded JSON document."""
    if not isinstance(doc, dict):
        kind = "null" if doc is None else type(doc).__name__.replace("list", "array").replace("str", "string")
        raise ManifestSyntaxError(f"manifest must be a JSON object, got {kind}", code="invalid_type")
    # Imported here: the trigger reads normalized jobs from spec files on every fire and
    # never validates, so it should not pay for the validator's regexes and zoneinfo.
    from cronix.protocol.validation import validate_manifest_object

    issues = validate_manifest_object(doc)
    if issues:
        raise ManifestInvalid(issues)
    return _normalize(doc)


def canonical_json(manifest: Manifest) -> str:
    """Compact JSON in the reference's key order and escaping (``spec/RFC.md`` §2.4)."""
    return go_json_dumps(manifest.to_json())


def job_from_json(obj: Mapping[str, Any]) -> Job:
    """A :class:`Job` from its normalized JSON form (as stored in trigger spec files).

    Missing fields take their defaults; unknown keys are ignored. The input is trusted
    to be a normalized job written by cronix (it is not re-validated here).
    """
    return _normalize_job(obj)


def _normalize(doc: Mapping[str, Any]) -> Manifest:
    jobs = sorted((_normalize_job(j) for j in doc["jobs"]), key=lambda j: j.name)
    return Manifest(app=doc["app"], jobs=tuple(jobs))


def _normalize_job(raw: Mapping[str, Any]) -> Job:
    if raw.get("schedules") is not None:
        schedules = tuple(trim_space(s) for s in raw["schedules"])
    else:
        schedules = (trim_space(raw.get("schedule") or ""),)
    req = raw.get("request") or {}
    headers = req.get("headers") or {}
    pol = raw.get("policy") or {}
    ret = pol.get("retries") or {}
    auth = raw.get("auth") or {}
    mon = raw.get("monitoring")
    defaults = Retries()
    pdefaults = Policy()
    return Job(
        name=raw.get("name") or "",
        schedules=schedules,
        timezone=_given(raw.get("timezone"), "UTC"),
        request=Request(
            url=req.get("url") or "",
            method=_given(req.get("method"), "POST"),
            headers=tuple(sorted(headers.items(), key=lambda kv: kv[0].encode("utf-8", "surrogatepass"))),
            body=_given(req.get("body"), ""),
        ),
        policy=Policy(
            concurrency=_given(pol.get("concurrency"), pdefaults.concurrency),
            concurrency_scope=_given(pol.get("concurrency_scope"), pdefaults.concurrency_scope),
            timeout_seconds=_given(pol.get("timeout_seconds"), pdefaults.timeout_seconds),
            retries=Retries(
                max_attempts=_given(ret.get("max_attempts"), defaults.max_attempts),
                min_seconds=_given(ret.get("min_seconds"), defaults.min_seconds),
                max_seconds=_given(ret.get("max_seconds"), defaults.max_seconds),
            ),
        ),
        secret_refs=tuple(auth.get("secret_refs") or ()),
        monitoring=_monitoring(mon) if isinstance(mon, dict) else None,
    )


def _monitoring(raw: Mapping[str, Any]) -> Monitoring | None:
    def seconds(key: str) -> int | None:
        value = raw.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    found = Monitoring(seconds("start_grace_seconds"), seconds("run_grace_seconds"))
    return found if found != Monitoring() else None


def _given(value: Any, default: Any) -> Any:
    return default if value is None else value
