"""Warnings about valid jobs that will not do what their author meant.

Validation (:mod:`cronix.protocol.validation`) decides what a manifest *is*; these rules
never reject one — the reference accepts all of it, and a manifest one implementation
accepts the other must accept (D-002) — but each names a job that will misbehave at fire
time, so ``validate``, ``plan``, ``apply`` and ``drift`` say so (``spec/DECISIONS.md``
D-603, D-604):

* ``get_with_body`` — a GET request with a body. The trigger signs and sends it, but
  Web-standard runtimes (the upstream TypeScript SDK, fetch-based servers) never expose a
  GET body, so the signature over it cannot match: every fire is refused with 401
  ``SignatureMismatch``.
* ``non_ascii_header`` — a static header value outside ASCII. It is sent as UTF-8 bytes
  (as Go's net/http does), which most servers decode as Latin-1.
* ``step_too_large`` — a step that leaves a single value (``*/61`` in the minute field is
  minute 0 only), almost always meant as something else.
* ``never_fires`` — a day of month that none of the schedule's months has (``0 0 31 2 *``).

Paths are relative to the job (``request/body``, ``schedules/0``), as backend diagnostics are.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

from cronix.protocol.errors import Issue
from cronix.protocol.schedule import field_ranges, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterator

    from cronix.protocol.manifest import Job
    from cronix.protocol.schedule import CronFields

__all__ = ["describe", "job_warnings"]

_FIELD_NAMES = ("minute", "hour", "day-of-month", "month", "day-of-week")
# The most days each month can have (February: leap years).
_MONTH_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def job_warnings(job: Job) -> list[Issue]:
    """Every warning about one normalized, valid job, in field order."""
    out: list[Issue] = []
    for i, source in enumerate(job.schedules):
        path = ("schedules", str(i))
        out.extend(Issue(path, message, code) for message, code in _schedule_warnings(source))
    request = job.request
    if request.method == "GET" and request.body:
        out.append(
            Issue(
                ("request", "body"),
                "a GET request has a body: the trigger signs it, but Web-standard servers (the upstream "
                "SDK, fetch-based runtimes) never see a GET body, so every fire fails with 401 "
                "SignatureMismatch; use POST, or drop the body",
                "get_with_body",
            )
        )
    for name, value in request.headers:
        if not value.isascii():
            out.append(
                Issue(
                    ("request", "headers", name),
                    "header value is not ASCII: it is sent as UTF-8 bytes, which most servers decode "
                    "as Latin-1; percent-encode it or move it into the body",
                    "non_ascii_header",
                )
            )
    return out


def describe(app: str, job: str, warning: Issue) -> str:
    """``billing.ping request/body: message``: how plans and ``validate`` print a warning."""
    return f"{app}.{job} {warning.location}: {warning.message}"


# Schedules repeat across jobs and manifests; a 16,384-schedule manifest checks each text once.
@lru_cache(maxsize=4096)
def _schedule_warnings(source: str) -> tuple[tuple[str, str], ...]:
    """``(message, code)`` of every warning about one valid schedule expression."""
    cron = parse_schedule(source).cron
    return () if cron is None else tuple(_cron_warnings(cron))


def _cron_warnings(cron: CronFields) -> Iterator[tuple[str, str]]:
    for index, field in enumerate(cron.raw):
        for expr, values in field_ranges(field, index):
            if "/" in expr and len(values) == 1:
                field_name = _FIELD_NAMES[index]
                yield (
                    f"step in {expr} is larger than its {field_name} range: it means {values[0]} only",
                    "step_too_large",
                )
    # Both day fields restricted: either matching is enough, and some weekday always comes.
    and_rule = cron.dom_any or cron.dow_any
    if and_rule and not any(day <= _MONTH_DAYS[month] for month in cron.months for day in cron.days):
        yield "never fires: none of its months has that day of the month", "never_fires"
