"""Schedule expressions: the grammar every backend translates from.

A schedule is one of

* a shortcut: ``@hourly @daily @midnight @weekly @monthly @yearly @annually``;
* ``@every <N><s|m|h>`` with N·unit ≥ 60 s (v1's resolution floor);
* five cron fields ``minute hour day-of-month month day-of-week`` with lists, ranges,
  steps, ``*`` and ``?`` (both "any", in any field), month names ``jan``–``dec`` and day
  names ``sun``–``sat`` (any case), day-of-week 0–6 with 0 = Sunday.

Accept/reject decisions and error messages reproduce the reference reconciler exactly
(Go ``validateSchedule`` + robfig/cron v3.0.1), quirks included (``1,,2`` is accepted;
``*-5`` means ``*``; ``+5`` is a number), because a manifest that one implementation
accepts must be accepted by the other. See ``spec/RFC.md`` §3.

:func:`parse_schedule` returns a :class:`Schedule`: the trimmed source, what kind it is,
the five raw fields backends translate from, and the expanded value sets that
:mod:`cronix.protocol.firetimes` computes fire times from.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Literal, NamedTuple

from cronix.protocol._gostrings import AtoiError, atoi, fields, trim_space, wrap_int64
from cronix.protocol.errors import ScheduleError

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "FIELD_BOUNDS",
    "MIN_EVERY_SECONDS",
    "SHORTCUTS",
    "CronFields",
    "Schedule",
    "ScheduleKind",
    "canonical_cron",
    "parse_schedule",
    "schedule_error",
]

SHORTCUTS: dict[str, str] = {
    "@hourly": "0 * * * *",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@weekly": "0 0 * * 0",
    "@monthly": "0 0 1 * *",
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
}
MIN_EVERY_SECONDS = 60

ScheduleKind = Literal["cron", "shortcut", "every"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_NAMES = {n: i for i, n in enumerate(_MONTHS, 1)}
_DOW_NAMES = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}

#: (min, max, names) of each of the five fields, in field order; names map to numbers.
FIELD_BOUNDS: tuple[tuple[int, int, dict[str, int] | None], ...] = (
    (0, 59, None),
    (0, 23, None),
    (1, 31, None),
    (1, 12, _MONTH_NAMES),
    (0, 6, _DOW_NAMES),
)


class CronFields(NamedTuple):
    """The value sets of a five-field expression, plus the flags fire-time rules need.

    ``dom_any``/``dow_any``: the field starts with ``*`` or ``?``. As in Vixie/Debian cron,
    when *both* day fields are restricted a day matches if *either* matches; otherwise
    both must match. ``fixed_time``: neither minute nor hour starts with ``*``/``?``;
    such jobs get Debian cron's DST treatment (see :mod:`cronix.protocol.firetimes`).
    """

    raw: tuple[str, str, str, str, str]
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    dom_any: bool
    dow_any: bool
    fixed_time: bool


class Schedule(NamedTuple):
    """A valid schedule expression.

    ``source`` is the trimmed text as it appears in a normalized manifest. ``cron`` is set
    for cron and shortcut kinds (a shortcut is expanded to its five fields);
    ``every_seconds`` for ``@every``.
    """

    source: str
    kind: ScheduleKind
    cron: CronFields | None = None
    every_seconds: int | None = None

    @property
    def five_fields(self) -> str | None:
        """The expression as five space-joined cron fields, or ``None`` for ``@every``."""
        return " ".join(self.cron.raw) if self.cron is not None else None


def canonical_cron(raw: Sequence[str]) -> str:
    """Five already-valid cron fields rewritten in plain Vixie syntax.

    ``?`` → ``*``; names → numbers; ``+5``/``05`` → ``5``; empty list elements dropped;
    ``*-5`` → ``*``; ``N/S`` → ``N-max/S`` (robfig's meaning). A ``*``-prefixed field keeps
    its ``*``, so cron's day-matching rule reads the same. The syntax every cron dialect
    shares — what crontab and vercel.json entries are written in.
    """
    return " ".join(
        _canonical_field(f, lo, hi, names) for f, (lo, hi, names) in zip(raw, FIELD_BOUNDS, strict=True)
    )


def _canonical_field(text: str, lo: int, hi: int, names: dict[str, int] | None) -> str:
    parts = []
    for element in text.split(","):
        if not element:
            continue
        range_part, _, step = element.partition("/")
        low, dash, high = range_part.partition("-")
        suffix = f"/{int(step)}" if step else ""
        if low in ("*", "?"):
            parts.append("*" + suffix)
            continue
        a = _number(low, names)
        if dash:
            parts.append(f"{a}-{_number(high, names)}{suffix}")
        elif step:
            parts.append(f"{a}-{hi}{suffix}")
        else:
            parts.append(str(a))
    return ",".join(parts)


def _number(text: str, names: dict[str, int] | None) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    return int(text)


def schedule_error(expr: str) -> str | None:
    """The reference's error message for ``expr``, or ``None`` when it is valid."""
    try:
        parse_schedule(expr)
    except ScheduleError as exc:
        return exc.message
    return None


@lru_cache(maxsize=4096)
def parse_schedule(expr: str) -> Schedule:
    """Parse and validate one schedule expression; raise :class:`ScheduleError`."""
    if expr == "":
        raise ScheduleError("schedule must be a non-empty string")
    text = trim_space(expr)
    if text in SHORTCUTS:
        return Schedule(text, "shortcut", cron=_parse_fields(text, SHORTCUTS[text].split()))
    if text.startswith("@every"):
        return Schedule(text, "every", every_seconds=_parse_every(text))
    parts = fields(text)
    if len(parts) != 5:
        raise ScheduleError(
            f"schedule must be 5 cron fields or a documented shortcut, got {len(parts)} field(s)"
        )
    if text.startswith(("TZ=", "CRON_TZ=")):
        # robfig strips the zone prefix and then finds only four fields.
        raise ScheduleError(_tz_prefix_error(text))
    if text.startswith("@"):
        raise ScheduleError(f"invalid cron expression: parser does not accept descriptors: {text}")
    return Schedule(text, "cron", cron=_parse_fields(text, parts))


def _parse_every(text: str) -> int:
    # Byte-wise like the Go code: the unit is the last *byte* of the trimmed rest.
    rest = trim_space(text[len("@every") :]).encode("utf-8")
    if len(rest) < 2:
        raise ScheduleError("@every duration must be a positive integer with unit s|m|h")
    unit = rest[-1:]
    try:
        num = atoi(rest[:-1].decode("utf-8"))
    except (AtoiError, UnicodeDecodeError):
        num = 0
    if num <= 0:
        raise ScheduleError("@every duration must be a positive integer")
    multiplier = {b"s": 1, b"S": 1, b"m": 60, b"M": 60, b"h": 3600, b"H": 3600}.get(unit)
    if multiplier is None:
        raise ScheduleError("@every duration unit must be s, m, or h")
    seconds = wrap_int64(num * multiplier)
    if seconds < MIN_EVERY_SECONDS:
        raise ScheduleError("@every duration must be at least 60 seconds (v1 resolution floor)")
    return seconds


def _tz_prefix_error(text: str) -> str:
    space = text.find(" ")
    rest = trim_space(text[space:]) if space >= 0 else " ".join(fields(text)[1:])
    if rest.startswith("@"):
        return f"invalid cron expression: parser does not accept descriptors: {rest}"
    found = fields(rest)
    return f"invalid cron expression: expected exactly 5 fields, found {len(found)}: [{' '.join(found)}]"


def _parse_fields(text: str, parts: list[str]) -> CronFields:
    try:
        sets = [_parse_field(part, i) for i, part in enumerate(parts)]
    except ScheduleError as exc:
        raise ScheduleError(f"invalid cron expression: {exc.message}") from None
    minute, hour, dom, _month, dow = parts
    return CronFields(
        raw=(parts[0], parts[1], parts[2], parts[3], parts[4]),
        minutes=sets[0],
        hours=sets[1],
        days=sets[2],
        months=sets[3],
        weekdays=sets[4],
        dom_any=dom[:1] in ("*", "?"),
        dow_any=dow[:1] in ("*", "?"),
        fixed_time=minute[:1] not in ("*", "?") and hour[:1] not in ("*", "?"),
    )


# Field texts repeat across schedules ("*", "0", "1-5"); caching them keeps the
# validation of a maximum-size manifest (16,384 schedules) well under a second.
@lru_cache(maxsize=8192)
def _parse_field(field: str, index: int) -> frozenset[int]:
    lo, hi, names = FIELD_BOUNDS[index]
    if field.isdigit() and field.isascii() and len(field) < 10:
        value = int(field)  # the common case: one plain number
        if lo <= value <= hi:
            return frozenset((value,))
    values: set[int] = set()
    for expr in field.split(","):
        if expr:  # strings.FieldsFunc drops empty list elements
            values.update(_parse_range(expr, lo, hi, names))
    return frozenset(values)


def _parse_range(expr: str, lo: int, hi: int, names: dict[str, int] | None) -> range:
    range_and_step = expr.split("/")
    low_and_high = range_and_step[0].split("-")
    if low_and_high[0] in ("*", "?"):
        start, end = lo, hi
    else:
        start = _int_or_name(low_and_high[0], names)
        if len(low_and_high) == 1:
            end = start
        elif len(low_and_high) == 2:
            end = _int_or_name(low_and_high[1], names)
        else:
            raise ScheduleError(f"too many hyphens: {expr}")
    if len(range_and_step) == 1:
        step = 1
    elif len(range_and_step) == 2:
        step = _non_negative_int(range_and_step[1])
        if len(low_and_high) == 1:  # "N/step" means "N-max/step"
            end = hi
    else:
        raise ScheduleError(f"too many slashes: {expr}")
    if start < lo:
        raise ScheduleError(f"beginning of range ({start}) below minimum ({lo}): {expr}")
    if end > hi:
        raise ScheduleError(f"end of range ({end}) above maximum ({hi}): {expr}")
    if start > end:
        raise ScheduleError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
    if step == 0:
        raise ScheduleError(f"step of range should be a positive number: {expr}")
    return range(start, end + 1, step)


def _int_or_name(expr: str, names: dict[str, int] | None) -> int:
    if names is not None:
        named = names.get(expr.lower())
        if named is not None:
            return named
    return _non_negative_int(expr)


def _non_negative_int(expr: str) -> int:
    try:
        num = atoi(expr)
    except AtoiError as exc:
        raise ScheduleError(f"failed to parse int from {expr}: {exc}") from None
    if num < 0:
        raise ScheduleError(f"negative number ({num}) not allowed: {expr}")
    return num
