"""The crontab text format cronix writes and reads: translation, entry lines, the fenced block.

Pure functions over strings (no I/O), so the rules can be tested and benchmarked alone.

What cronix owns in a crontab (DESIGN §3 item 2, ``spec/DECISIONS.md`` D-101..D-104)::

    # BEGIN cronix-managed
    # Managed by cronix apply: hand edits here are reported as drift and overwritten.
    */15 * * * * root /usr/local/bin/cronix trigger billing.reconcile
    # cronix:owned app=billing job=reconcile hash=21c1b02a51242d12 idx=0
    # END cronix-managed

* An *entry* is a schedule line immediately followed by its *marker*; the marker format
  is the reference's, byte for byte, so either implementation recognises the other's
  entries. The schedule line must end in ``trigger <app>.<job>`` for the marker's app and
  job; a marker without such a line is an orphan and is dropped on the next write (its
  neighbour, whatever it is, stays).
* Entries the reference wrote without a fence are recognised where they are and moved
  into the block on the next write; the block takes the place of the first of them.
* Every other line — outside or inside the fences — is *foreign* and is kept byte for
  byte (line endings, encoding, a missing final newline included). Foreign lines found
  inside the fences are moved just after the block; foreign lines never change order.
* A new block is appended at the end of the file, before a final line that has no
  newline (so that line stays byte-identical).
* ``CRON_TZ`` (D-155): cron passes environment lines on to every entry below them, and a
  daemon that honours ``CRON_TZ`` (cronie) evaluates those entries in that zone. So an
  entry is preceded by ``CRON_TZ=<zone>`` when the job's zone is written (``cron_tz``), or
  by ``CRON_TZ=""`` (the daemon's own zone, cronie's reading of an empty value) when an
  operator's ``CRON_TZ`` above the block would otherwise leak into cronix's entries; and a
  block that set ``CRON_TZ`` ends by restoring the value in effect before it — the
  operator's, or ``CRON_TZ=""`` when there was none — so the operator's lines after the
  block mean what they meant without it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

from cronix.protocol.errors import ScheduleError
from cronix.protocol.schedule import canonical_cron, parse_schedule

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

__all__ = [
    "BEGIN",
    "END",
    "GUARD_FLAG",
    "HEADER",
    "MARKER_PREFIX",
    "MARKER_RE",
    "PAUSED_PREFIX",
    "CrontabDocument",
    "InstalledEntry",
    "TranslationError",
    "canonical_cron",
    "render_entry_line",
    "render_marker",
    "translate",
    "trigger_target",
    "tz_line",
]

BEGIN = "# BEGIN cronix-managed"
END = "# END cronix-managed"
HEADER = "# Managed by cronix apply: hand edits here are reported as drift and overwritten."
MARKER_PREFIX = "# cronix:owned "
#: Follows ``trigger <app>.<job>`` on the line of a job in another zone than cron's (D-725).
GUARD_FLAG = "--guard"
#: Starts the commented-out line of a paused job (``enabled: false``, D-721): still owned.
PAUSED_PREFIX = "# cronix:paused "
MARKER_RE = re.compile(
    r"^# cronix:owned app=(?P<app>[a-z][a-z0-9-]{0,62}) job=(?P<job>[a-z][a-z0-9-]{0,62}) "
    r"hash=(?P<hash>[0-9a-f]{1,64}) idx=(?P<idx>\d+)$"
)
_TZ_PREFIX = "CRON_TZ="
#: An environment line setting CRON_TZ as cron reads it (optional quotes around the name
#: and the value, blanks around ``=``).
_TZ_ASSIGNMENT = re.compile(r"""^\s*(?:CRON_TZ|"CRON_TZ"|'CRON_TZ')\s*=\s*(?P<value>.*?)\s*$""")


class TranslationError(ValueError):
    """The schedule is valid but crontab cannot express it."""


# ---------------------------------------------------------------- translation


@lru_cache(maxsize=65536)
def translate(schedule: str) -> str:
    """The five crontab fields for a manifest schedule, in a form every Vixie cron accepts.

    Shortcuts become their five fields (reference §3.0.1); ``@every`` becomes a step
    when it divides an hour or a day; cron expressions are rewritten field by field into
    plain numbers (names, ``?``, ``+5``, ``1,,2`` and ``*-5`` are robfig-isms Vixie cron
    does not share, and ``N/S`` means ``N-max/S`` in robfig but ``N`` in Vixie).
    """
    try:
        parsed = parse_schedule(schedule)
    except ScheduleError as exc:
        raise TranslationError(exc.message) from None
    if parsed.every_seconds is not None:
        return _every(parsed.source, parsed.every_seconds)
    assert parsed.cron is not None
    return canonical_cron(parsed.cron.raw)


def _every(source: str, seconds: int) -> str:
    if seconds % 60 == 0:
        minutes = seconds // 60
        if minutes < 60 and 60 % minutes == 0:
            return "* * * * *" if minutes == 1 else f"*/{minutes} * * * *"
        if minutes % 60 == 0:
            hours = minutes // 60
            if hours == 24:
                return "0 0 * * *"
            if hours < 24 and 24 % hours == 0:
                return "0 * * * *" if hours == 1 else f"0 */{hours} * * *"
    raise TranslationError(
        f'crontab cannot express "{source}": an @every interval must be a whole number of minutes '
        "that divides an hour, or of hours that divides a day"
    )


# ---------------------------------------------------------------- lines


def render_entry_line(
    cron5: str,
    user: str | None,
    trigger_bin: str,
    app: str,
    job: str,
    guard: int | None = None,
    *,
    paused: bool = False,
) -> str:
    """One entry's schedule line; ``guard`` adds ``--guard N`` (a union line, D-725);
    ``paused`` comments it out behind :data:`PAUSED_PREFIX` (D-721)."""
    who = f"{user} " if user else ""
    tail = "" if guard is None else f" {GUARD_FLAG} {guard}"
    line = f"{cron5} {who}{trigger_bin} trigger {app}.{job}{tail}"
    return PAUSED_PREFIX + line if paused else line


def uncommented(line: str) -> str:
    """The cron line inside a paused entry: without :data:`PAUSED_PREFIX`, or without the
    ``#`` an operator commented it out with; other lines unchanged."""
    if line.startswith(PAUSED_PREFIX):
        return line[len(PAUSED_PREFIX) :]
    stripped = line.lstrip()
    return stripped.lstrip("#").lstrip() if stripped.startswith("#") else line


def tz_line(zone: str) -> str:
    """The ``CRON_TZ`` line for ``zone``; ``""`` (the daemon's own zone) is written quoted,
    because cron does not read ``CRON_TZ=`` with nothing after it as a setting."""
    return f"{_TZ_PREFIX}{zone}" if zone else f'{_TZ_PREFIX}""'


def _assigned_tz(line: str) -> str | None:
    """The value a foreign line assigns to ``CRON_TZ``, or ``None`` when it does not."""
    match = _TZ_ASSIGNMENT.match(line)
    if match is None:
        return None
    value = match["value"]
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        value = value[1:-1]
    return value


def render_marker(app: str, job: str, hash_: str, index: int) -> str:
    return f"# cronix:owned app={app} job={job} hash={hash_} idx={index}"


def _bare(line: str) -> str:
    """A line without its ``\\n`` and one trailing ``\\r`` (as the reference reads lines)."""
    if line.endswith("\n"):
        line = line[:-1]
    if line.endswith("\r"):
        line = line[:-1]
    return line


_TARGET = re.compile(r"([a-z][a-z0-9-]{0,62})\.([a-z][a-z0-9-]{0,62})")
_ENV_LINE = re.compile(r"""^\s*['"]?[A-Za-z_][A-Za-z0-9_]*['"]?\s*=""")


def trigger_target(line: str, programs: Iterable[str] = ("cronix",)) -> tuple[str, str] | None:
    """``(app, job)`` when ``line`` is a cron entry that runs ``<cronix> trigger <app>.<job>``.

    ``<cronix>`` is any path whose file name is one of ``programs`` (``cronix`` and the
    configured trigger executable's name): a line running another copy of cronix fires the
    job just the same. Comments and environment lines never run anything.
    """
    bare = _bare(line)
    if not bare.strip() or bare.lstrip().startswith("#") or _ENV_LINE.match(bare):
        return None
    tokens = bare.split()
    names = set(programs)
    for i in range(1, len(tokens) - 1):
        if tokens[i] == "trigger" and tokens[i - 1].rsplit("/", 1)[-1] in names:
            match = _TARGET.fullmatch(tokens[i + 1].strip("'\""))
            if match is not None:
                return match[1], match[2]
    return None


def _runs_trigger(line: str, app: str, job: str) -> bool:
    """Whether ``line`` is a cron line ending in ``trigger <app>.<job>`` (``--guard N`` may follow)."""
    if line.lstrip().startswith("#"):
        return False
    tokens = line.split()
    if len(tokens) >= 10 and tokens[-2] == GUARD_FLAG and tokens[-1].isdigit():
        tokens = tokens[:-2]
    return len(tokens) >= 8 and tokens[-2] == "trigger" and tokens[-1] == f"{app}.{job}"


# ---------------------------------------------------------------- the document


@dataclass(frozen=True, slots=True)
class InstalledEntry:
    """One owned entry as found in (or about to be written to) the file."""

    app: str
    job: str
    index: int
    hash: str
    line: str
    tz_line: str | None = None
    fenced: bool = True

    @property
    def paused(self) -> bool:
        """The line is commented out: by cronix for a paused job, or by hand (drift)."""
        return self.line.lstrip().startswith("#")

    def text(self) -> str:
        tz = f"{self.tz_line}\n" if self.tz_line else ""
        return f"{tz}{self.line}\n{render_marker(self.app, self.job, self.hash, self.index)}\n"


@dataclass(slots=True)
class CrontabDocument:
    """A parsed crontab: foreign lines (kept verbatim), owned entries, and where the block goes."""

    foreign: list[str] = field(default_factory=list)
    #: 1-based line number of each foreign line in the parsed text.
    foreign_lineno: list[int] = field(default_factory=list)
    entries: list[InstalledEntry] = field(default_factory=list)
    #: The block is written after this many foreign lines (``None``: at the end).
    anchor: int | None = None
    #: Lines that start like a marker but do not match the marker format (1-based numbers).
    malformed_markers: list[tuple[int, str]] = field(default_factory=list)
    #: Markers whose schedule line is missing or is not an entry of that job (1-based numbers).
    orphan_markers: list[tuple[int, str]] = field(default_factory=list)
    has_block: bool = False
    #: The ``CRON_TZ`` line that ends the block (restoring the zone before it), if any.
    reset_line: str | None = None

    @classmethod
    def parse(cls, text: str) -> CrontabDocument:
        lines = _split_lines(text)
        bare = [_bare(line) for line in lines]
        inside, first_begin = _fenced(bare)
        doc = cls(has_block=first_begin is not None)
        owned: set[int] = set()
        anchor_line = first_begin
        for i, b in enumerate(bare):
            if b in (BEGIN, END) or (inside[i] and (b == HEADER or b.startswith(_TZ_PREFIX))):
                owned.add(i)  # fences (paired or stray), the header, CRON_TZ lines cronix wrote
                if b.startswith(_TZ_PREFIX) and i + 1 < len(bare) and bare[i + 1] == END:
                    doc.reset_line = b
                continue
            match = MARKER_RE.match(b) if b.startswith("# cronix:") else None
            if match is None:
                if b.startswith(MARKER_PREFIX.rstrip()):
                    doc.malformed_markers.append((i + 1, b))
                continue
            owned.add(i)
            app, job = match["app"], match["job"]
            prev = i - 1
            if (
                prev < 0
                or prev in owned
                or inside[prev] != inside[i]
                # A commented-out line is the entry still, paused (D-721).
                or not _runs_trigger(uncommented(bare[prev]), app, job)
            ):
                doc.orphan_markers.append((i + 1, b))
                continue
            owned.add(prev)
            if anchor_line is None:
                anchor_line = prev
            tz_line = None
            if inside[i] and prev >= 1 and inside[prev - 1] and bare[prev - 1].startswith(_TZ_PREFIX):
                tz_line = bare[prev - 1]
            doc.entries.append(
                InstalledEntry(app, job, int(match["idx"]), match["hash"], bare[prev], tz_line, inside[i])
            )
        doc.entries.sort(key=lambda e: not e.fenced)  # fenced first, each group in file order
        for i, line in enumerate(lines):
            if i in owned:
                continue
            if anchor_line is not None and i > anchor_line and doc.anchor is None:
                doc.anchor = len(doc.foreign)
            doc.foreign.append(line)
            doc.foreign_lineno.append(i + 1)
        if anchor_line is not None and doc.anchor is None:
            doc.anchor = len(doc.foreign)
        return doc

    def drop_foreign(self, indices: Iterable[int]) -> None:
        """Remove foreign lines by index (adopted candidates), keeping the block's place."""
        drop = set(indices)
        self.foreign = [line for k, line in enumerate(self.foreign) if k not in drop]
        self.foreign_lineno = [n for k, n in enumerate(self.foreign_lineno) if k not in drop]
        if self.anchor is not None:
            self.anchor -= sum(1 for k in drop if k < self.anchor)

    def inherited_tz(self) -> str | None:
        """The ``CRON_TZ`` an operator's line sets above where the block goes (``None``: none)."""
        at = len(self.foreign) if self.anchor is None else self.anchor
        zone = None
        for line in self.foreign[:at]:
            value = _assigned_tz(_bare(line))
            if value is not None:
                zone = value
        return zone

    def reset_for(self, entries: Iterable[InstalledEntry]) -> str | None:
        """The line that must end a block of ``entries``: the zone before it, restored."""
        if not any(e.tz_line for e in entries):
            return None
        return tz_line(self.inherited_tz() or "")

    def render(self, entries: Iterable[InstalledEntry]) -> str:
        """The whole file with ``entries`` as the block (no block at all when there are none)."""
        entries = list(entries)
        body = "".join(e.text() for e in entries)
        if not body:
            return "".join(self.foreign)
        reset = self.reset_for(entries)
        if reset is not None:
            body += f"{reset}\n"
        block = f"{BEGIN}\n{HEADER}\n{body}{END}\n"
        at = self.anchor
        if at is None:
            at = len(self.foreign)
            if self.foreign and not self.foreign[-1].endswith("\n"):
                at -= 1
        return "".join(self.foreign[:at]) + block + "".join(self.foreign[at:])


def _split_lines(text: str) -> list[str]:
    """Split on ``\\n`` only, keeping line ends (``str.splitlines`` splits on much more)."""
    if not text:
        return []
    parts = text.split("\n")
    lines = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _fenced(bare: Sequence[str]) -> tuple[list[bool], int | None]:
    """Which lines lie strictly between a BEGIN fence and its END fence; the first paired BEGIN."""
    inside = [False] * len(bare)
    begin: int | None = None
    first: int | None = None
    for i, b in enumerate(bare):
        if b == BEGIN:
            begin = i
        elif b == END and begin is not None:
            for k in range(begin + 1, i):
                inside[k] = True
            first = begin if first is None else first
            begin = None
    return inside, first
