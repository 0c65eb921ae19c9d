"""Manifest validation: every rule, every issue, in one pass.

The rules, paths, messages and codes are the reference's (``spec/RFC.md`` §2,
``reference/reconciler.md`` §1.3), in the reference's emission order. On top of them,
structural problems the Go decoder would report as a single pathless ``decode`` failure
are reported here *with their path*, alongside everything else:

* ``unrecognized_key`` — a key the schema does not have (keys are case-sensitive);
* ``duplicate_key`` — an object key given twice;
* ``invalid_type`` — e.g. a string or ``1.0`` where an integer belongs.

A field with the wrong type is reported once and then treated as present-but-unusable,
so no misleading follow-up issues appear. Our own additional rules (``spec/DECISIONS.md``
D-005..D-007, D-602): ``timezone`` must be an IANA zone, request URLs must be sendable as
written (no whitespace, no fragment, no user info, a port in 1–65535), and static headers
must be valid HTTP fields.

Three fields are cronix extensions the reference rejects as unknown: a job's ``enabled``
(D-720: a boolean; ``false`` is a declared pause), ``policy.jitter_seconds`` (D-722: an
integer in 0–3600) and ``monitoring`` (D-700: an object with ``start_grace_seconds``, 1 s to
31 days, and ``run_grace_seconds``, 0 to 31 days).
"""

from __future__ import annotations

import re
import urllib.parse
import zoneinfo
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Final

from cronix.protocol.errors import Issue, ScheduleError
from cronix.protocol.identifiers import ID_PATTERN, is_valid_id
from cronix.protocol.jsondecode import JSONFloat, JSONObject
from cronix.protocol.limits import INT64_MAX as _INT64_MAX
from cronix.protocol.limits import INT64_MIN as _INT64_MIN
from cronix.protocol.limits import LIMITS
from cronix.protocol.schedule import parse_schedule

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = [
    "CONCURRENCY_POLICIES",
    "CONCURRENCY_SCOPES",
    "ID_PATTERN",
    "LIMITS",
    "METHODS",
    "SECRET_REF_PATTERN",
    "is_valid_id",
    "is_valid_timezone",
    "validate_manifest_object",
]

SECRET_REF_PATTERN = re.compile(r"[a-zA-Z][a-zA-Z0-9_:./-]{0,127}")
METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
CONCURRENCY_POLICIES: Final = ("Allow", "Forbid", "Replace")
CONCURRENCY_SCOPES: Final = ("host", "global")


_TOP_KEYS = frozenset({"version", "app", "jobs"})
_JOB_KEYS = frozenset(
    {"name", "schedule", "schedules", "timezone", "request", "policy", "auth", "enabled", "monitoring"}
)
_REQUEST_KEYS = frozenset({"method", "url", "headers", "body"})
_POLICY_KEYS = frozenset({"concurrency", "concurrency_scope", "timeout_seconds", "retries", "jitter_seconds"})
_RETRIES_KEYS = frozenset({"max_attempts", "min_seconds", "max_seconds"})
_AUTH_KEYS = frozenset({"secret_refs"})
_MONITORING_KEYS = frozenset({"start_grace_seconds", "run_grace_seconds"})

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_URL_FORBIDDEN = re.compile(r"[^\x21-\x7e]")
_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
# tz database entries that exist as files but are not place names a job should use.
_NOT_A_ZONE = frozenset({"localtime", "posixrules", "Factory"})
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+)*")


@lru_cache(maxsize=1024)
def is_valid_timezone(name: str) -> bool:
    """An IANA time zone name that this host's tz database knows (``UTC``, ``Europe/Berlin``)."""
    if name in _NOT_A_ZONE or name.startswith(("posix/", "right/")):
        return False
    if _ZONE_NAME.fullmatch(name) is None:
        return False
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


_ABSENT: Final = object()
_INVALID: Final = object()  # present, wrong type, already reported


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, JSONFloat):
        return f"number {value.text}"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


class _Collector:
    def __init__(self) -> None:
        self.issues: list[Issue] = []

    def add(self, path: tuple[str, ...], message: str, code: str) -> None:
        self.issues.append(Issue(path, message, code))

    def wrong_type(self, path: tuple[str, ...], expected: str, value: Any) -> object:
        self.add(path, f"expected {expected}, got {_type_name(value)}", "invalid_type")
        return _INVALID

    def obj(self, value: Any, path: tuple[str, ...], keys: frozenset[str]) -> JSONObject | None:
        """Check an object's type, unknown and duplicate keys; ``None`` if not an object."""
        if not isinstance(value, dict):
            self.wrong_type(path, "object", value)
            return None
        for key in getattr(value, "duplicates", ()):
            self.add((*path, key), f'duplicate key "{key}"', "duplicate_key")
        for key in value:
            if key not in keys:
                self.add((*path, key), f'unknown field "{key}"', "unrecognized_key")
        return value if isinstance(value, JSONObject) else JSONObject(value)

    def field(
        self,
        obj: dict[str, Any],
        key: str,
        path: tuple[str, ...],
        check: Callable[[Any], bool],
        expected: str,
    ) -> Any:
        """The value of ``key``: ``_ABSENT`` for missing/null, ``_INVALID`` if mistyped."""
        value = obj.get(key)
        if value is None:
            return _ABSENT
        if not check(value):
            return self.wrong_type((*path, key), expected, value)
        return value

    def string(self, obj: dict[str, Any], key: str, path: tuple[str, ...]) -> Any:
        return self.field(obj, key, path, _is_str, "string")

    def integer(self, obj: dict[str, Any], key: str, path: tuple[str, ...]) -> Any:
        value = self.field(obj, key, path, _is_int, "integer")
        if isinstance(value, int) and not _INT64_MIN <= value <= _INT64_MAX:
            self.add((*path, key), "integer out of range", "invalid_type")
            return _INVALID
        return value

    def string_list(self, obj: dict[str, Any], key: str, path: tuple[str, ...]) -> Any:
        value = self.field(obj, key, path, _is_list, "array of strings")
        if isinstance(value, list):
            for k, item in enumerate(value):
                if not isinstance(item, str):
                    self.wrong_type((*path, key, str(k)), "string", item)
        return value


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


def _is_bool(v: Any) -> bool:
    return isinstance(v, bool)


def validate_manifest_object(doc: Any) -> list[Issue]:
    """Every issue of a decoded manifest document, in the reference's order."""
    c = _Collector()
    top = c.obj(doc, (), _TOP_KEYS)
    if top is None:
        return c.issues
    version = c.integer(top, "version", ())
    if version is _ABSENT or (isinstance(version, int) and version != 1):
        c.add(("version",), "version must be 1", "invalid_value")
    app = c.string(top, "app", ())
    if app is _ABSENT or (isinstance(app, str) and not is_valid_id(app)):
        c.add(("app",), "app id must match ^[a-z][a-z0-9-]{0,62}$", "invalid_format")
    jobs = c.field(top, "jobs", (), _is_list, "array")
    if jobs is _INVALID:
        return c.issues
    jobs_list: list[Any] = [] if jobs is _ABSENT else jobs
    if not jobs_list:
        c.add(("jobs",), "must contain at least one job", "too_small")
    elif len(jobs_list) > LIMITS.MAX_JOBS:
        c.add(("jobs",), f"must contain at most {LIMITS.MAX_JOBS} jobs", "too_big")
    first_index: dict[str, int] = {}
    for i, raw_job in enumerate(jobs_list):
        path = ("jobs", str(i))
        job = c.obj(raw_job, path, _JOB_KEYS)
        if job is None:
            continue
        name = _validate_job(c, job, path)
        if isinstance(name, str) and name:
            if name in first_index:
                c.add(
                    (*path, "name"),
                    f"duplicate job name: {name} (also at jobs/{first_index[name]})",
                    "custom",
                )
            else:
                first_index[name] = i
    return c.issues


def _validate_job(c: _Collector, job: JSONObject, path: tuple[str, ...]) -> Any:
    name = c.string(job, "name", path)
    if name is _ABSENT or (isinstance(name, str) and not is_valid_id(name)):
        c.add((*path, "name"), "job name must match ^[a-z][a-z0-9-]{0,62}$", "invalid_format")
    schedule = c.string(job, "schedule", path)
    schedules = c.string_list(job, "schedules", path)
    if (schedule is _ABSENT) == (schedules is _ABSENT):
        c.add(path, "exactly one of `schedule` or `schedules` must be set", "custom")
    if isinstance(schedule, str):
        _check_schedule(c, schedule, (*path, "schedule"))
    if isinstance(schedules, list):
        if not schedules:
            c.add((*path, "schedules"), "must contain at least one schedule", "too_small")
        elif len(schedules) > LIMITS.MAX_SCHEDULES_PER_JOB:
            c.add(
                (*path, "schedules"),
                f"must contain at most {LIMITS.MAX_SCHEDULES_PER_JOB} schedules",
                "too_big",
            )
        for k, item in enumerate(schedules):
            if isinstance(item, str):
                _check_schedule(c, item, (*path, "schedules", str(k)))
    timezone = c.string(job, "timezone", path)
    if isinstance(timezone, str) and not is_valid_timezone(timezone):
        c.add(
            (*path, "timezone"),
            f'timezone must be an IANA time zone name such as "UTC" or "Europe/Berlin", got "{timezone}"',
            "invalid_value",
        )
    _validate_request(c, job, path)
    _validate_policy(c, job, path)
    _validate_auth(c, job, path)
    c.field(job, "enabled", path, _is_bool, "boolean")
    _validate_monitoring(c, job, path)
    return name


def _check_schedule(c: _Collector, expr: str, path: tuple[str, ...]) -> None:
    try:
        parse_schedule(expr)
    except ScheduleError as exc:
        c.add(path, exc.message, "custom")


def _validate_request(c: _Collector, job: JSONObject, path: tuple[str, ...]) -> None:
    rpath = (*path, "request")
    raw = job.get("request")
    request = JSONObject() if raw is None else c.obj(raw, rpath, _REQUEST_KEYS)
    if request is None:
        return
    url = c.string(request, "url", rpath)
    if url is _ABSENT or url == "":
        c.add((*rpath, "url"), "url is required", "invalid_value")
    elif isinstance(url, str):
        for message in _url_problems(url):
            c.add((*rpath, "url"), message, "invalid_format")
    method = c.string(request, "method", rpath)
    if isinstance(method, str) and method not in METHODS:
        c.add((*rpath, "method"), "method must be one of GET POST PUT PATCH DELETE", "invalid_value")
    headers = request.get("headers")
    if headers is not None:
        hobj = c.obj(
            headers,
            (*rpath, "headers"),
            frozenset(headers) if isinstance(headers, dict) else frozenset(),
        )
        if hobj is not None:
            _validate_headers(c, hobj, (*rpath, "headers"))
    c.string(request, "body", rpath)


def _url_problems(url: str) -> Iterator[str]:
    """The reference's ``url must be http(s)`` check, plus: the URL must be sendable as written."""
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        yield "url must be http(s)"
        return
    if parts.scheme not in ("http", "https") or not parts.hostname:
        yield "url must be http(s)"
        return
    if parts.username is not None:
        yield (
            "url must not contain a user name or password (user:password@host): it would be stored in "
            "spec files and shown by cronix, and the trigger does not send it; use a request header"
        )
    if parts.port == 0:
        yield "url port must be between 1 and 65535"
    if _URL_FORBIDDEN.search(url):
        yield "url must be ASCII without spaces or control characters; percent-encode the rest"
    elif _BAD_PERCENT.search(url):
        yield "url has a % that does not start a %XX escape"
    if "#" in url:
        yield "url must not contain a fragment (#...): it is never sent, so the signed path could not match"


def _validate_headers(c: _Collector, headers: JSONObject, path: tuple[str, ...]) -> None:
    seen: dict[str, str] = {}
    for name, value in headers.items():
        hpath = (*path, name)
        if not isinstance(value, str):
            c.wrong_type(hpath, "string", value)
            continue
        if _HEADER_NAME.fullmatch(name) is None:
            c.add(hpath, f'"{name}" is not a valid HTTP header name', "invalid_format")
        elif name.lower() in seen:
            c.add(hpath, f"header {name} is also given as {seen[name.lower()]}", "custom")
        else:
            seen[name.lower()] = name
        if _BAD_HEADER_VALUE.search(value):
            c.add(
                hpath,
                "header value must not contain control characters such as CR or LF",
                "invalid_format",
            )


def _validate_policy(c: _Collector, job: JSONObject, path: tuple[str, ...]) -> None:
    ppath = (*path, "policy")
    raw = job.get("policy")
    if raw is None:
        return
    policy = c.obj(raw, ppath, _POLICY_KEYS)
    if policy is None:
        return
    concurrency = c.string(policy, "concurrency", ppath)
    if isinstance(concurrency, str) and concurrency not in CONCURRENCY_POLICIES:
        c.add((*ppath, "concurrency"), "concurrency must be Allow|Forbid|Replace", "invalid_value")
    scope = c.string(policy, "concurrency_scope", ppath)
    if isinstance(scope, str) and scope not in CONCURRENCY_SCOPES:
        c.add((*ppath, "concurrency_scope"), "concurrency_scope must be host|global", "invalid_value")
    timeout = c.integer(policy, "timeout_seconds", ppath)
    if isinstance(timeout, int) and not LIMITS.TIMEOUT_MIN <= timeout <= LIMITS.TIMEOUT_MAX:
        c.add(
            (*ppath, "timeout_seconds"),
            f"timeout_seconds must be between {LIMITS.TIMEOUT_MIN} and {LIMITS.TIMEOUT_MAX}",
            "out_of_range",
        )
    jitter = c.integer(policy, "jitter_seconds", ppath)
    if isinstance(jitter, int) and not 0 <= jitter <= LIMITS.JITTER_MAX:
        c.add(
            (*ppath, "jitter_seconds"),
            f"jitter_seconds must be between 0 and {LIMITS.JITTER_MAX}",
            "out_of_range",
        )
    raw_retries = policy.get("retries")
    if raw_retries is None:
        return
    rpath = (*ppath, "retries")
    retries = c.obj(raw_retries, rpath, _RETRIES_KEYS)
    if retries is None:
        return
    attempts = c.integer(retries, "max_attempts", rpath)
    if isinstance(attempts, int) and not (LIMITS.RETRY_ATTEMPTS_MIN <= attempts <= LIMITS.RETRY_ATTEMPTS_MAX):
        c.add(
            (*rpath, "max_attempts"),
            f"max_attempts must be between {LIMITS.RETRY_ATTEMPTS_MIN} and {LIMITS.RETRY_ATTEMPTS_MAX}",
            "out_of_range",
        )
    low = c.integer(retries, "min_seconds", rpath)
    if isinstance(low, int) and low < 0:
        c.add((*rpath, "min_seconds"), "min_seconds must be >= 0", "out_of_range")
    high = c.integer(retries, "max_seconds", rpath)
    if isinstance(high, int) and high < 1:
        c.add((*rpath, "max_seconds"), "max_seconds must be >= 1", "out_of_range")
    if isinstance(low, int) and isinstance(high, int) and low > high:
        c.add(rpath, "retries.min_seconds must be <= retries.max_seconds", "custom")


def _validate_auth(c: _Collector, job: JSONObject, path: tuple[str, ...]) -> None:
    apath = (*path, "auth")
    raw = job.get("auth")
    if raw is None:
        return
    auth = c.obj(raw, apath, _AUTH_KEYS)
    if auth is None:
        return
    refs = c.string_list(auth, "secret_refs", apath)
    if not isinstance(refs, list):
        return
    # An empty list means "none" (D-010): the canonical form always writes one.
    if len(refs) > LIMITS.MAX_SECRET_REFS:
        c.add(
            (*apath, "secret_refs"),
            f"must contain at most {LIMITS.MAX_SECRET_REFS} secret_refs",
            "too_big",
        )
    for k, ref in enumerate(refs):
        if isinstance(ref, str) and SECRET_REF_PATTERN.fullmatch(ref) is None:
            c.add((*apath, "secret_refs", str(k)), "invalid secret ref format", "invalid_format")


def _validate_monitoring(c: _Collector, job: JSONObject, path: tuple[str, ...]) -> None:
    mpath = (*path, "monitoring")
    raw = job.get("monitoring")
    if raw is None:
        return
    monitoring = c.obj(raw, mpath, _MONITORING_KEYS)
    if monitoring is None:
        return
    for key, low in (("start_grace_seconds", 1), ("run_grace_seconds", 0)):
        value = c.integer(monitoring, key, mpath)
        if isinstance(value, int) and not low <= value <= LIMITS.GRACE_MAX:
            c.add((*mpath, key), f"{key} must be between {low} and {LIMITS.GRACE_MAX}", "out_of_range")
