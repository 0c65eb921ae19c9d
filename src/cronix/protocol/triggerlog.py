"""The trigger's JSON log lines as a contract: ``msg`` strings, key names, and how history reads them.

``cronix trigger`` (ours and the reference's) prints one JSON object per line; ``cronix
history`` — ours and the Go CLI's — folds those lines back into runs, from journald or
from captured output, by ``run_id`` and classified by ``msg`` (fire-time §1.12, DESIGN
§2). A line written by one implementation must fold the same in the other, so the strings
below are byte-exact copies of the reference's, and cronix's own additions are marked.

Both sides import this module: the writer (:mod:`cronix.trigger.logs`, :mod:`cronix.trigger.run`)
and the reader (:mod:`cronix.runlog`). A message or key changed here changes both at once,
and ``tests/trigger/test_log_contract.py`` folds what a real fire writes.

Key order on a line: :data:`KEY.TIME`, :data:`KEY.LEVEL`, :data:`KEY.MSG`, then the bound
:func:`run_keys` (``app``, ``job``, ``run_id``, once the run id exists), then the call's own
keys (``attempt``, ``status``, ``err`` …; ``retries exhausted`` says ``attempts``, plural).
"""

from __future__ import annotations

from typing import Final

__all__ = ["HISTORY", "KEY", "MANUAL", "MSG", "RunStatus", "classify", "run_keys"]


class MSG:
    """The exact ``msg`` strings (the reference's, plus the ones marked *cronix*)."""

    LOAD_SPEC: Final = "trigger: load spec"
    RESOLVE_SECRETS: Final = "trigger: resolve secrets"
    SECRET_SKIPPED: Final = "trigger: secret skipped"  # cronix: the warning the reference promised
    LOCK_CONTENDED: Final = "trigger: lock contended"
    REPLACE_GAVE_UP: Final = "trigger: replace gave up — holder non-local or refused SIGTERM"
    LOCK_ACQUIRE: Final = "trigger: lock acquire"
    REPLACED: Final = "trigger: replaced previous holder"
    LOCK_LOST: Final = "trigger: lock lost"  # cronix: a global lock's refresh failed
    HEADER_IGNORED: Final = "trigger: static header ignored"  # cronix: D-208
    ATTEMPT_FAILED: Final = "trigger: attempt failed"
    SUCCESS: Final = "trigger: success"
    APP_REJECTED: Final = "trigger: app rejected"
    SERVER_ERROR: Final = "trigger: server error"
    RETRIES_EXHAUSTED: Final = "trigger: retries exhausted"
    LOCK_RELEASE: Final = "trigger: lock release"
    PANIC: Final = "trigger: panic"
    TERMINATED: Final = "trigger: terminated"  # cronix: SIGTERM (e.g. a Replace peer) mid-fire
    RUN_LOG: Final = "trigger: run log"  # cronix: the run log or state file could not be written
    METRICS: Final = "trigger: metrics"  # cronix: a metrics file or push failed (D-701)
    OTEL_INIT_FAILED: Final = "trigger: otel init failed; running without traces"
    PARSE_EVENT: Final = "trigger: parse event"  # the Lambda's event is not JSON
    INVALID_EVENT: Final = "trigger: invalid event"  # the Lambda's event is not a trigger spec


class KEY:
    """The key names history reads (the writer puts them in this order first)."""

    TIME: Final = "time"  # RFC 3339, up to nine fractional digits, local offset
    LEVEL: Final = "level"  # INFO, WARN, ERROR
    MSG: Final = "msg"
    APP: Final = "app"
    JOB: Final = "job"
    RUN_ID: Final = "run_id"
    ATTEMPT: Final = "attempt"
    ATTEMPTS: Final = "attempts"  # only on "retries exhausted"
    STATUS: Final = "status"  # the HTTP status, an int
    #: cronix: ``"manual"`` on every line of a run started by ``cronix run`` (D-742); absent
    #: on a scheduled fire, so the reference's lines and ours fold alike.
    TRIGGER: Final = "trigger"


#: The value of :data:`KEY.TRIGGER` (and of the run log's ``trigger``) for a manual run.
MANUAL: Final = "manual"


class RunStatus:
    """History's vocabulary for a run (also the run log's ``status``, D-209)."""

    OK: Final = "ok"
    FAILED: Final = "failed"
    LOCK_CONTENDED: Final = "lock-contended"
    #: cronix: a guarded start that was not an occurrence (D-725); no request was sent.
    SKIPPED: Final = "skipped"


#: ``msg`` → (history status, terminal). A terminal line decides the run; a non-terminal
#: one (a failed attempt that may yet be retried) counts only until a terminal one arrives.
#: The reference's table first, then cronix's additions — the reference ignores the last
#: four, so runs that ended that way were invisible in its history.
HISTORY: Final[dict[str, tuple[str, bool]]] = {
    MSG.SUCCESS: (RunStatus.OK, True),
    MSG.APP_REJECTED: (RunStatus.FAILED, True),
    MSG.RETRIES_EXHAUSTED: (RunStatus.FAILED, True),
    MSG.LOCK_CONTENDED: (RunStatus.LOCK_CONTENDED, True),
    MSG.PANIC: (RunStatus.FAILED, True),
    MSG.ATTEMPT_FAILED: (RunStatus.FAILED, False),
    MSG.SERVER_ERROR: (RunStatus.FAILED, False),
    MSG.REPLACE_GAVE_UP: (RunStatus.LOCK_CONTENDED, True),
    MSG.LOCK_LOST: (RunStatus.FAILED, True),
    MSG.LOCK_ACQUIRE: (RunStatus.FAILED, True),
    MSG.TERMINATED: (RunStatus.FAILED, True),
}


def classify(msg: object) -> tuple[str, bool] | None:
    """How history counts a line with this ``msg``; ``None`` for lines that are not an outcome."""
    return HISTORY.get(msg) if isinstance(msg, str) else None


def run_keys(app: str, job: str, run_id: str) -> dict[str, str]:
    """The keys bound to every line once the run id exists, in the contract's order."""
    return {KEY.APP: app, KEY.JOB: job, KEY.RUN_ID: run_id}
