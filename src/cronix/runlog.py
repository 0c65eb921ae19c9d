"""The local run log and history folding: how ``cronix history`` knows what fired.

**Run log** (D-209). ``cronix trigger`` appends one JSON object per finished run — one
line, ``O_APPEND``, a single ``write`` — to ``/var/log/cronix/runs.jsonl``
(``trigger.run_log``), so history works on any host, with or without journald::

    {"v":1,"app":"billing","job":"ping","run_id":"0190…","status":"ok","outcome":"success",
     "exit_code":0,"attempts":1,"http_status":200,"started_at":"…Z","finished_at":"…Z",
     "fire_time":"…Z","duration_ms":84,"host":"web-1","detail":""}

A run started by ``cronix run`` also carries ``"trigger":"manual"`` (D-742; absent on a
scheduled fire, so older readers see an ordinary record).

``status`` uses history's vocabulary (``ok``, ``failed``, ``lock-contended``, and
``skipped`` for a guarded start that was not an occurrence, D-725); ``outcome``
is the trigger's (the OTel ``cronix.outcome`` values plus ``lock_lost`` and
``terminated``). When the file would grow past ``max_bytes`` it is rotated like
logrotate's numbered scheme (``runs.jsonl.1`` is the newest old file, ``keep`` are kept);
writers serialise on ``flock`` of the file, so concurrent shims neither interleave nor
lose lines across a rotation.

**Shim-log folding** (reference reconciler §4.5). The trigger's stdout JSON lines — raw,
or as ``journalctl --output=json`` records — fold into runs by ``run_id``, classified by
``msg`` with the table the trigger writes by (:mod:`cronix.protocol.triggerlog`, the
one definition of the messages and keys). These are pure functions over lines so the
crontab backend's journald history and ``cronix history`` share them. Beyond the
reference, ``attempts`` (on "retries exhausted") counts as the attempt number, and the
trigger's own terminal lines ``lock lost``, ``terminated``, ``lock acquire`` and Replace's
``gave up`` are classified (the reference ignores them, so such runs were invisible).
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import stat
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple

from cronix.fileio import FileRefused
from cronix.protocol.triggerlog import KEY, MANUAL, classify

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

__all__ = [
    "RUN_LOG_VERSION",
    "HistoryRun",
    "append_run",
    "collect_history",
    "fold_shim_logs",
    "format_time",
    "from_unix",
    "merge_runs",
    "read_journald",
    "read_run_log",
    "run_log_files",
]

RUN_LOG_VERSION = 1


class HistoryRun(NamedTuple):
    """One run as history shows it; the same fields as ``cronix.backends.base.HistoryEntry``."""

    app: str
    job: str
    run_id: str
    attempt: int
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    source: str
    detail: str = ""
    #: Where the run ran, when the source knows (a Kubernetes pod and its node).
    pod: str = ""
    node: str = ""
    #: From the run log only (``None`` where a source does not know): the intended fire
    #: time, the last HTTP status (``None``: no response at all), the trigger's exit code.
    fire_time: datetime | None = None
    http_status: int | None = None
    exit_code: int | None = None
    duration_ms: int | None = None
    #: Started by ``cronix run`` (D-742), not by the scheduler.
    manual: bool = False
    #: The host the trigger ran on (the run log's ``host``; ``""`` where a source does not say).
    host: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "job": self.job,
            "run_id": self.run_id,
            "attempt": self.attempt,
            "started_at": format_time(self.started_at),
            "finished_at": format_time(self.finished_at),
            "status": self.status,
            "source": self.source,
            "detail": self.detail,
            "pod": self.pod,
            "node": self.node,
            "fire_time": format_time(self.fire_time),
            "http_status": self.http_status,
            "exit_code": self.exit_code,
            "duration_ms": self.duration_ms,
            "manual": self.manual,
            "host": self.host,
        }

    @property
    def when(self) -> datetime | None:
        return self.finished_at or self.started_at


def format_time(when: datetime | None) -> str | None:
    """RFC 3339 in UTC with milliseconds (``2026-01-02T03:04:05.678Z``)."""
    if when is None:
        return None
    return when.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def from_unix(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


# ---------------------------------------------------------------- writing


def append_run(path: str, record: Mapping[str, Any], *, max_bytes: int, keep: int) -> None:
    """Append one record as one line, rotating first when the file would pass ``max_bytes``.

    Raises :class:`OSError` when the log cannot be written (the trigger reports it and
    carries on: a full disk must not turn a successful fire into a failed one).
    """
    line = (json.dumps(dict(record), ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    directory = os.path.dirname(path)
    if directory:
        os.makedirs(directory, mode=0o755, exist_ok=True)
    while True:
        # Non-blocking open: a FIFO with no reader fails at once instead of blocking the fire.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NONBLOCK, 0o644)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # a FIFO nobody reads
                raise FileRefused("not a regular file") from None
            raise
        try:
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):  # a FIFO, /dev/zero: not a log anyone can read back
                raise FileRefused("not a regular file")
            fcntl.flock(fd, fcntl.LOCK_EX)
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            if current is None or current.st_ino != st.st_ino:
                continue  # rotated while we waited for the lock: open the new file
            if st.st_size > 0 and st.st_size + len(line) > max_bytes:
                _rotate(path, keep)
                continue
            os.write(fd, line)
            return
        finally:
            os.close(fd)


def _rotate(path: str, keep: int) -> None:
    """``path`` → ``path.1`` → … → ``path.<keep>`` (the oldest is dropped)."""
    if keep <= 0:
        os.unlink(path)
        return
    for n in range(keep - 1, 0, -1):
        src = f"{path}.{n}"
        if os.path.exists(src):
            os.replace(src, f"{path}.{n + 1}")
    os.replace(path, f"{path}.1")


# ---------------------------------------------------------------- reading


def run_log_files(path: str) -> list[str]:
    """The live log and its rotations, oldest first."""
    rotated: list[tuple[int, str]] = []
    directory, base = os.path.split(path)
    try:
        names = os.listdir(directory or ".")
    except OSError:
        names = []
    for name in names:
        suffix = name[len(base) + 1 :] if name.startswith(base + ".") else ""
        if suffix.isdigit():
            rotated.append((int(suffix), os.path.join(directory, name)))
    files = [p for _, p in sorted(rotated, reverse=True)]
    if os.path.exists(path):
        files.append(path)
    return files


def read_run_log(
    path: str,
    app: str | None,
    job: str | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
) -> list[HistoryRun]:
    """Runs of ``app.job`` (``None``: every app / job) from the run log and its rotations, oldest first."""
    runs: list[HistoryRun] = []
    for file in run_log_files(path):
        try:
            lines = _log_lines(file)
        except OSError:
            continue
        for line in lines:
            run = _run_from_record(line, app, job)
            if run is not None and _keep(run, since, until, status):
                runs.append(run)
    return runs


def _log_lines(path: str) -> list[str]:
    """The lines of a regular file (a FIFO or device named as the run log is skipped, not read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    with os.fdopen(fd, encoding="utf-8", errors="replace") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise FileRefused("not a regular file")
        return fh.readlines()


def _run_from_record(line: str, app: str | None, job: str | None) -> HistoryRun | None:
    try:
        doc = json.loads(line)
    except (ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or app not in (None, doc.get("app")) or job not in (None, doc.get("job")):
        return None
    run_id, run_app, run_job = doc.get("run_id"), doc.get("app"), doc.get("job")
    if not all(isinstance(v, str) and v for v in (run_id, run_app, run_job)):
        return None
    detail = doc.get("detail")
    status = _int(doc.get("http_status"))
    return HistoryRun(
        app=str(run_app),
        job=str(run_job),
        run_id=str(run_id),
        attempt=_int(doc.get("attempts")) or 0,
        started_at=_parse_time(doc.get("started_at")),
        finished_at=_parse_time(doc.get("finished_at")),
        status=str(doc.get("status") or "unknown"),
        source="runlog",
        detail=detail if isinstance(detail, str) else "",
        fire_time=_parse_time(doc.get("fire_time")),
        http_status=status or None,  # 0: no response came back at all
        exit_code=_int(doc.get("exit_code")),
        duration_ms=_int(doc.get("duration_ms")),
        manual=doc.get(KEY.TRIGGER) == MANUAL,
        host=host if isinstance(host := doc.get("host"), str) else "",
    )


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _keep(run: HistoryRun, since: datetime | None, until: datetime | None, status: str | None) -> bool:
    when = run.when
    if since is not None and (when is None or when < since):
        return False
    if until is not None and (when is None or when > until):
        return False
    return status is None or run.status == status


# ---------------------------------------------------------------- shim logs (journald)


def fold_shim_logs(
    lines: Iterable[str], app: str | None, job: str | None, source: str, status: str | None = None
) -> list[HistoryRun]:
    """Fold trigger log lines (raw or ``journalctl --output=json``) into runs, in first-seen order.

    ``app``/``job`` ``None``: every job (a line that names neither is then skipped)."""
    runs: dict[str, HistoryRun] = {}
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        event, when = _shim_event(line)
        if event is None:
            continue
        run_id = event.get(KEY.RUN_ID)
        if not isinstance(run_id, str) or not run_id:
            continue
        named_app, named_job = event.get(KEY.APP) or None, event.get(KEY.JOB) or None
        if (app and named_app not in (None, app)) or (job and named_job not in (None, job)):
            continue
        run_app = app or _known(named_app, runs.get(run_id), "app")
        run_job = job or _known(named_job, runs.get(run_id), "job")
        if not run_app or not run_job:
            continue
        classified = classify(event.get(KEY.MSG))
        if classified is None:
            continue
        run_status, terminal = classified
        previous = runs.get(run_id)
        if previous is not None and not terminal:
            continue
        attempt = event.get(KEY.ATTEMPT, event.get(KEY.ATTEMPTS))
        if not isinstance(attempt, int) or isinstance(attempt, bool):
            # A terminal line without a count (the reference's panic line) keeps the one seen.
            attempt = previous.attempt if previous is not None else 0
        started = previous.started_at if previous is not None else None
        if started is None or (when is not None and when < started):
            started = when
        runs[run_id] = HistoryRun(
            app=run_app,
            job=run_job,
            run_id=run_id,
            attempt=attempt,
            started_at=started,
            finished_at=when,
            status=run_status,
            source=source,
            manual=event.get(KEY.TRIGGER) == MANUAL or (previous is not None and previous.manual),
        )
    return [r for r in runs.values() if status is None or r.status == status]


def _known(value: Any, previous: HistoryRun | None, field: str) -> str:
    """The app or job a line names, else what an earlier line of the same run named."""
    if isinstance(value, str) and value:
        return value
    return getattr(previous, field, "") if previous is not None else ""


def _shim_event(line: str) -> tuple[dict[str, Any] | None, datetime | None]:
    try:
        doc = json.loads(line)
    except ValueError:
        return None, None
    if not isinstance(doc, dict):
        return None, None
    message = doc.get("MESSAGE")
    if isinstance(message, list):  # journald's encoding of a non-UTF-8 message
        message = bytes(b & 0xFF for b in message if isinstance(b, int)).decode("utf-8", "replace")
    if isinstance(message, str) and message and "__REALTIME_TIMESTAMP" in doc:
        try:
            inner = json.loads(message)
        except ValueError:
            inner = None
        if isinstance(inner, dict) and inner.get(KEY.RUN_ID):
            micros = str(doc.get("__REALTIME_TIMESTAMP", ""))
            when = datetime.fromtimestamp(int(micros) / 1e6, UTC) if micros.isdigit() else None
            return inner, when
    return doc, _parse_time(doc.get(KEY.TIME))


def read_journald(
    app: str | None,
    job: str | None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    journalctl: str = "journalctl",
    timeout: float = 30.0,
) -> list[HistoryRun]:
    """Runs folded from the journal (``_COMM=cronix``); empty when journald is not available."""
    # Not at module level: the trigger imports this module on every fire, and these two
    # (shutil pulls in bz2 and lzma) are only needed by history.
    import shutil
    import subprocess

    binary = shutil.which(journalctl)
    if binary is None:
        return []
    argv = [binary, "--output=json", "--no-pager", "--quiet", "_COMM=cronix"]
    if since is not None:
        argv.append(f"--since=@{int(since.timestamp())}")
    if until is not None:
        argv.append(f"--until=@{int(until.timestamp())}")
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return []
    if proc.returncode != 0:
        return []
    return fold_shim_logs(proc.stdout.splitlines(), app, job, "journald", status)


def merge_runs(*sources: Iterable[HistoryRun], limit: int = 0) -> list[HistoryRun]:
    """One list, oldest first, each ``run_id`` once (the first source that has it wins)."""
    seen: dict[str, HistoryRun] = {}
    for runs in sources:
        for run in runs:
            seen.setdefault(run.run_id, run)
    floor = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(seen.values(), key=lambda r: r.when or floor)
    return ordered[-limit:] if limit > 0 else ordered


def collect_history(
    app: str | None,
    job: str | None,
    *,
    run_log: str,
    since: datetime | None = None,
    until: datetime | None = None,
    status: str | None = None,
    limit: int = 50,
    journald: bool = True,
) -> list[HistoryRun]:
    """``cronix history``: the run log first, then journald (when present), merged by run id."""
    sources = [read_run_log(run_log, app, job, since=since, until=until, status=status)] if run_log else []
    if journald:
        sources.append(read_journald(app, job, since=since, until=until, status=status))
    return merge_runs(*sources, limit=limit)
