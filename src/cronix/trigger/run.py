"""One fire, in order: spec → secrets → run id → fire times → lock → attempts → release → record.

Everything the lifecycle touches from the outside world is injected — the clock (and its
sleep), the HTTP sender, the logger, the tracer, the environment — so tests can drive a
fire through 400 s of retries in milliseconds against a real server (STYLE §5.2 item 6).

Exit codes (DESIGN §3 item 8)::

    0  a 2xx response
    1  the app rejected the fire: a 4xx, or a 3xx (redirects are not followed, D-201)
    2  retries exhausted (5xx, network errors, timeouts)
    3  internal: spec missing/invalid/mismatched, no usable secret, lock error, a global
       job with no Redis configured, the lock lost mid-fire, an unexpected exception
    4  the lock is held by another fire (75 instead when trigger.contended_exit_code: 75)
"""

from __future__ import annotations

import os
import socket
import time
from typing import TYPE_CHECKING, Any, NamedTuple, NoReturn

from cronix.protocol.triggerlog import KEY, MANUAL, MSG, RunStatus, run_keys
from cronix.trigger.logs import JsonLog
from cronix.trigger.tracing import NoTracer

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from cronix.config import RedisConfig
    from cronix.protocol.manifest import Job
    from cronix.protocol.specfile import SpecFile
    from cronix.trigger.http import Response, Target
    from cronix.trigger.locks import LockHandle
    from cronix.trigger.request import FireRequest
    from cronix.trigger.settings import MetricsSettings
    from cronix.trigger.tracing import Tracer

__all__ = [
    "EXIT_APP_REJECTED",
    "EXIT_CONTENDED",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_RETRIES_EXHAUSTED",
    "Clock",
    "FireOptions",
    "FireResult",
    "Terminated",
    "fire",
]

EXIT_OK = 0
EXIT_APP_REJECTED = 1
EXIT_RETRIES_EXHAUSTED = 2
EXIT_INTERNAL = 3
EXIT_CONTENDED = 4

# outcome → the run log's status (history's vocabulary); every other outcome is a failure.
_STATUS = {"success": RunStatus.OK, "lock_contended": RunStatus.LOCK_CONTENDED, "skipped": RunStatus.SKIPPED}
#: The detail of a Forbid fire that found the previous one still running (cron working as designed).
FORBID_CONTENDED = "lock held by another fire"
REPLACE_CONTENDED = "lock held by a fire that could not be replaced"


class Terminated(BaseException):
    """SIGTERM arrived mid-fire (a Replace peer, systemd's RuntimeMaxSec, an operator)."""


class Clock:
    """Wall-clock time and sleeping; tests substitute a clock they control."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float, lock: LockHandle | None) -> bool:
        """Sleep; return ``True`` early when ``lock`` is lost meanwhile."""
        if lock is not None:
            return lock.wait_lost(seconds)
        if seconds > 0:
            time.sleep(seconds)
        return False


class FireOptions(NamedTuple):
    """Where things are and how to behave; built by the CLI from flags, env and cronix.yaml."""

    app: str
    job: str
    spec_dir: str
    lock_dir: str
    run_log: str = ""
    run_log_max_bytes: int = 10 * 1024 * 1024
    run_log_keep: int = 3
    state_dir: str = ""
    contended_exit_code: int = EXIT_CONTENDED
    fire_time: int | None = None
    #: When the scheduler started this fire, if it says (systemd's $TRIGGER_TIMER_REALTIME_USEC):
    #: the intended fire time is derived from it instead of from the shim's own start.
    elapsed_at: float | None = None
    backend: str = ""
    redis: RedisConfig | None = None
    redis_for_host_jobs: bool = False
    #: ``False`` where every fire runs alone in its own sandbox (a Lambda execution
    #: environment serves one invocation at a time): ``concurrency_scope: host`` then needs
    #: no lock, and the lock directory is not used. ``global`` jobs still take the Redis lock.
    host_lock: bool = True
    #: Prometheus metrics of the fire (:mod:`cronix.trigger.metrics`); ``None``: none.
    metrics: MetricsSettings | None = None
    #: ``cronix run`` (D-742): the run is recorded as manual (``"trigger": "manual"`` in the
    #: run log and on every log line); the request on the wire is an ordinary fire.
    manual: bool = False
    #: The schedule the occurrence belongs to when several fire at ``fire_time`` (``cronix
    #: run --schedule-index``); ``None``: the spec's, as for a scheduled fire.
    schedule_index: int | None = None
    #: ``--guard N``: fire only at an occurrence of schedule N in the job's zone (D-725).
    guard: int | None = None

    @classmethod
    def from_settings(cls, conf: Mapping[str, Any], app: str, job: str, **given: Any) -> FireOptions:
        """The options of one fire from the trigger's settings (``cronix.trigger.settings``),
        then what the caller knows better (flags, the Lambda's sandbox, ``cronix run``) —
        the one place that says which settings reach a fire, for all three callers."""
        settled: dict[str, Any] = {
            "spec_dir": conf["spec_dir"],
            "lock_dir": conf["lock_dir"],
            "run_log": conf["run_log"],
            "run_log_max_bytes": conf["run_log_max_bytes"],
            "run_log_keep": conf["run_log_keep"],
            "state_dir": conf["state_dir"],
            "contended_exit_code": conf["contended_exit_code"],
            "redis": conf["redis"],
            "redis_for_host_jobs": conf["redis_for_host_jobs"],
            "metrics": conf["metrics"],
        }
        return cls(app=app, job=job, **{**settled, **given})


class FireResult(NamedTuple):
    """How the fire ended: the exit code, the outcome (OTel vocabulary) and what was sent."""

    exit_code: int
    outcome: str
    run_id: str
    attempts: int = 0
    http_status: int = 0
    detail: str = ""
    terminated: bool = False


class _End(Exception):
    """Internal: the fire ends with this outcome (raised from deep in the lifecycle)."""

    def __init__(self, code: int, outcome: str, detail: str = "") -> None:
        super().__init__(detail)
        self.code = code
        self.outcome = outcome
        self.detail = detail


def fire(
    options: FireOptions,
    *,
    spec: SpecFile | None = None,
    log: JsonLog | None = None,
    clock: Clock | None = None,
    tracer: Tracer | None = None,
    environ: Mapping[str, str] | None = None,
    send: Callable[[Target, str, Sequence[tuple[str, str]], bytes, float], Response] | None = None,
    rand: Callable[[], float] | None = None,
) -> FireResult:
    """Run one fire to its end and record it; never raises except :class:`KeyboardInterrupt`.

    ``spec`` is the trigger spec as a value (the Lambda's event); without it the spec file
    ``<spec_dir>/<app>.<job>.json`` is read. Either way it must name ``options.app`` and
    ``options.job``.
    """
    fire_ = _Fire(options, log or JsonLog(), clock or Clock(), tracer or NoTracer(), environ, send, rand)
    return fire_.run(spec)


class _Fire:
    def __init__(
        self,
        options: FireOptions,
        log: JsonLog,
        clock: Clock,
        tracer: Tracer,
        environ: Mapping[str, str] | None,
        send: Callable[[Target, str, Sequence[tuple[str, str]], bytes, float], Response] | None,
        rand: Callable[[], float] | None,
    ) -> None:
        self.o = options
        self.log = log
        self.clock = clock
        self.tracer = tracer
        self.environ = os.environ if environ is None else environ
        self.send = send
        self.rand = rand
        self.run_id = ""
        self.started = clock.now()
        self.intended = 0
        self.fire_id = ""
        self.attempts = 0
        self.last_status = 0
        self.last_error = ""  # why the last attempt got no response ("" when it got one)
        self.lock: LockHandle | None = None
        self.job: Job | None = None
        self.metrics: Any = None  # cronix.trigger.metrics.JobMetrics, imported only when exported

    # ------------------------------------------------------------ the lifecycle

    def run(self, given: SpecFile | None) -> FireResult:
        result: FireResult
        try:
            try:
                spec, request = self._load_spec(given)
                secrets = self._resolve_secrets(spec)
                self.run_id = _new_run_id()
                result = self._fire(spec, request, secrets)
            except _End as end:
                result = self._result(end.code, end.outcome, end.detail)
        except Terminated:
            self.log.warn(MSG.TERMINATED, attempt=self.attempts)
            result = self._result(EXIT_INTERNAL, "terminated", "terminated by SIGTERM", terminated=True)
        except Exception as exc:  # the reference's panic recovery: one line, exit 3
            self.log.error(MSG.PANIC, panic=f"{type(exc).__name__}: {exc}", attempt=self.attempts)
            result = self._result(EXIT_INTERNAL, "internal_error", f"{type(exc).__name__}: {exc}")
        finally:
            self._release()
        self.tracer.end_fire(result.outcome, result.attempts)
        self._record(result)
        if self.o.metrics is not None:
            self._metrics().finished(self.clock.now(), result.outcome, self.job, self.intended)
        return result

    def _result(self, code: int, outcome: str, detail: str = "", *, terminated: bool = False) -> FireResult:
        return FireResult(
            exit_code=code,
            outcome=outcome,
            run_id=self.run_id or _new_run_id(),
            attempts=self.attempts,
            http_status=self.last_status,
            detail=detail,
            terminated=terminated,
        )

    def _guard(self, job: Job, index: int) -> None:
        """End the fire here (exit 0, a ``skipped`` record) unless this start is an occurrence."""
        from cronix.trigger.guard import guarded_occurrence, skip_reason

        now = self.clock.now()
        when = guarded_occurrence(job, index, now)
        if when is None:
            raise _End(EXIT_OK, "skipped", skip_reason(job, index, now))
        self.intended = when

    def _occurrence(self, spec: SpecFile) -> str:
        """The fire id of this occurrence (``X-Cron-Fire-Id``, D-500); ``""`` if it cannot be written."""
        from cronix.protocol.fireid import format_fire_id
        from cronix.trigger.firetime import occurrence_index

        job = spec.job
        if self.o.guard is not None:
            preferred = self.o.guard
        elif self.o.schedule_index is not None:
            preferred = self.o.schedule_index
        else:
            preferred = spec.schedule_index
        index = occurrence_index(job.schedules, job.timezone, self.intended, preferred)
        try:
            return format_fire_id(self.o.app, self.o.job, index, self.intended)
        except ValueError:
            return ""  # a time beyond year 9999 or a bad index: fire without one

    def _load_spec(self, given: SpecFile | None) -> tuple[SpecFile, FireRequest]:
        from cronix.protocol.specfile import SpecFileError, spec_file_name
        from cronix.trigger.specread import SpecUnusable, read_spec_file

        path = (
            "the event"
            if given is not None
            else os.path.join(self.o.spec_dir, spec_file_name(self.o.app, self.o.job))
        )
        try:
            spec = given if given is not None else read_spec_file(path)
            if spec.app != self.o.app:
                raise SpecFileError(f'app="{spec.app}" does not match expected "{self.o.app}"')
            if spec.job.name != self.o.job:
                raise SpecFileError(f'job="{spec.job.name}" does not match expected "{self.o.job}"')
            if self.o.guard is not None:  # before the request is built: a skip stays cheap
                self._guard(spec.job, self.o.guard)
            from cronix.trigger.request import prepare_request

            request = prepare_request(spec.job)
        except SpecUnusable as exc:
            self._fail(MSG.LOAD_SPEC, str(exc))
        except (SpecFileError, ValueError) as exc:
            self._fail(MSG.LOAD_SPEC, f"spec {path}: {exc}")
        return spec, request

    def _fail(self, msg: str, err: str) -> NoReturn:
        self.log.error(msg, err=err)
        raise _End(EXIT_INTERNAL, "internal_error", err)

    def _resolve_secrets(self, spec: SpecFile) -> list[str]:
        from cronix.secrets import SecretError, resolve_secrets

        try:
            return resolve_secrets(
                spec.secret_refs or (),
                environ=self.environ,
                warn=lambda message: self.log.warn(MSG.SECRET_SKIPPED, err=message),
            )
        except SecretError as exc:
            hint = "" if spec.secret_refs else " (the spec file has no secret_refs: apply with --secret-ref)"
            self._fail(MSG.RESOLVE_SECRETS, f"{exc}{hint}")

    def _fire(self, spec: SpecFile, request: FireRequest, secrets: list[str]) -> FireResult:
        job = self.job = spec.job
        actual = self.clock.now()
        if self.o.fire_time is not None:
            self.intended = self.o.fire_time
        elif not self.intended:  # the guard has not found it already
            from cronix.trigger.firetime import intended_fire_time
            from cronix.trigger.jitter import lookback_seconds

            reference = actual if self.o.elapsed_at is None else self.o.elapsed_at
            self.intended = intended_fire_time(job.schedules, job.timezone, reference, lookback_seconds(job))
        self.fire_id = self._occurrence(spec)
        # D-723: this host's delay, before the lock; the fire id stays. A run someone asked for
        # now (``cronix run``) is not spread: there is no stampede to avoid.
        if job.policy.jitter_seconds and not self.o.manual:
            from cronix.trigger.jitter import wait as wait_jitter

            actual = wait_jitter(self.o.app, job, self.clock)
        policy = job.policy
        self.log = self.log.bind(**run_keys(self.o.app, self.o.job, self.run_id))
        if self.o.manual:
            self.log = self.log.bind(**{KEY.TRIGGER: MANUAL})
        self.tracer.start_fire(self._fire_attrs(job, actual))
        self.tracer.event("cronix.secrets.resolved", {"cronix.secrets.count": len(secrets)})
        for name in request.dropped_headers:
            self.log.warn(
                MSG.HEADER_IGNORED, header=name, reason="X-Cron-* and framing headers are set by cronix"
            )
        self._take_lock(policy.concurrency, policy.concurrency_scope, policy.timeout_seconds)
        if self.o.metrics is not None:
            self._metrics().started(self.clock.now(), job, self.intended)
        previous = self._previous_success()
        return self._attempts(job, request, secrets[0], int(actual), previous)

    def _attempts(
        self, job: Job, request: FireRequest, secret: str, actual: int, previous: int | None
    ) -> FireResult:
        from cronix.trigger.http import AttemptError
        from cronix.trigger.http import send as http_send
        from cronix.trigger.retry import backoff_seconds, jittered

        send = self.send or http_send
        retries = job.policy.retries
        timeout = float(job.policy.timeout_seconds)
        max_attempts = max(retries.max_attempts, 1)
        backoff = 0.0
        signed_at = 0
        for attempt in range(1, max_attempts + 1):
            self._check_lock()
            self.attempts = attempt
            # A fresh signature per attempt, never the previous one (D-502): two attempts
            # within one second would otherwise sign identical bytes (D-501 refuses a replay).
            signed_at = max(int(self.clock.now()), signed_at + 1)
            headers = request.headers(
                secret=secret,
                timestamp=signed_at,
                run_id=self.run_id,
                job_name=job.name,
                intended_fire=self.intended,
                actual_fire=actual,
                attempt=attempt,
                previous_success=previous,
                fire_id=self.fire_id,
            )
            span = self.tracer.attempt(
                {
                    "cronix.attempt": attempt,
                    "http.request.method": request.method,
                    "url.full": request.url,
                    "cronix.backoff_seconds": backoff,
                }
            )
            headers.extend(span.inject())
            span.signed()
            try:
                response = send(request.target, request.method, headers, request.body, timeout)
            except AttemptError as exc:
                span.failed(exc.reason, str(exc))
                span.end()
                self.last_error = str(exc)
                self.log.warn(MSG.ATTEMPT_FAILED, attempt=attempt, err=str(exc))
            else:
                self.last_error = ""
                status = self.last_status = response.status
                excerpt = _excerpt(response.body)
                if 200 <= status < 300:
                    span.response(status, "success")
                    span.end()
                    self.log.info(MSG.SUCCESS, attempt=attempt, status=status)
                    self._remember_success(actual)
                    return self._result(EXIT_OK, "success")
                if 300 <= status < 500:
                    span.response(status, "app_rejected")
                    span.end()
                    extra = {"location": response.location or ""} if status < 400 else {}
                    self.log.error(
                        MSG.APP_REJECTED, attempt=attempt, status=status, body_excerpt=excerpt, **extra
                    )
                    why = f" redirect to {response.location} not followed" if extra else ""
                    detail = f"HTTP {status}" + (why or _refusal_code(response.body))
                    return self._result(EXIT_APP_REJECTED, "app_rejected", detail)
                span.response(status, "server_error")
                span.end()
                self.log.warn(MSG.SERVER_ERROR, attempt=attempt, status=status, body_excerpt=excerpt)
            if attempt < max_attempts:
                backoff = jittered(
                    backoff_seconds(attempt, retries.min_seconds, retries.max_seconds), self.rand
                )
                if self.clock.sleep(backoff, self.lock):
                    self._check_lock()
        self.log.error(MSG.RETRIES_EXHAUSTED, attempts=max_attempts, last_status=self.last_status)
        return self._result(EXIT_RETRIES_EXHAUSTED, "retries_exhausted", self._exhausted_detail(max_attempts))

    def _exhausted_detail(self, attempts: int) -> str:
        """What the last attempt met (``connection refused by 127.0.0.1:8088 (3 attempts)``), not status 0."""
        tries = f"{attempts} attempt{'s' if attempts != 1 else ''}"
        if not self.last_error:
            return f"last status {self.last_status} ({tries})"
        earlier = f"; last response HTTP {self.last_status}" if self.last_status else ""
        return f"{self.last_error} ({tries}{earlier})"

    # ------------------------------------------------------------ locks

    def _take_lock(self, policy: str, scope: str, timeout_seconds: int) -> None:
        from cronix.trigger.locks import LockContended, LockError

        if policy == "Allow":
            return
        key = f"{self.o.app}.{self.o.job}"
        use_redis = scope == "global" or self.o.redis_for_host_jobs
        if not use_redis and not self.o.host_lock:
            return  # this fire is alone on its "host" (a Lambda sandbox): nothing to exclude
        contended_msg = MSG.REPLACE_GAVE_UP if policy == "Replace" else MSG.LOCK_CONTENDED
        contended = (
            "lock held by a fire that could not be replaced" if policy == "Replace" else FORBID_CONTENDED
        )
        begun = time.monotonic()
        try:
            if use_redis:
                self.lock = self._redis_lock(key)
            else:
                from cronix.trigger.locks.flock import FlockLocks

                locks = FlockLocks(self.o.lock_dir)
                if policy == "Replace":
                    self.lock, replaced = locks.acquire_or_replace(key, max(timeout_seconds / 2, 5.0))
                    if replaced:  # the reference logs this even when the lock was simply free
                        self.log.info(MSG.REPLACED, scope=scope)
                else:
                    self.lock = locks.acquire(key)
        except LockContended:
            self.tracer.end_lock("contended")
            (self.log.warn if policy == "Replace" else self.log.info)(contended_msg, scope=scope)
            raise _End(self.o.contended_exit_code, "lock_contended", contended) from None
        except LockError as exc:
            self.tracer.end_lock("", error=str(exc))
            self._fail(MSG.LOCK_ACQUIRE, str(exc))
        self.tracer.end_lock("acquired")
        if not use_redis:
            duration = int((time.monotonic() - begun) * 1000)
            self.tracer.event(
                "cronix.lock.acquired", {"cronix.lock.scope": "host", "cronix.lock.duration_ms": duration}
            )

    def _redis_lock(self, key: str) -> LockHandle:
        from cronix.trigger.locks import LockError
        from cronix.trigger.locks.redis import RedisLocks

        cfg = self.o.redis
        if cfg is None or not cfg.addr:
            raise LockError(
                "concurrency_scope: global needs a Redis lock server, and none is configured: "
                "set locks.redis.addr in cronix.yaml (cronix never falls back to a host-local lock)"
            )
        password = cfg.password
        if cfg.password_ref:
            from cronix.secrets import SecretError, resolve_secrets

            try:
                password = resolve_secrets([cfg.password_ref], environ=self.environ)[0]
            except SecretError as exc:
                raise LockError(f"locks.redis.password_ref: {exc}") from None
        locks = RedisLocks(cfg, password, float(cfg.ttl_seconds))
        self.tracer.start_lock(
            {
                "cronix.lock.backend": "redis",
                "cronix.lock.scope": "global",
                "cronix.lock.key": locks.key_for(key),
                "cronix.lock.ttl_seconds": int(locks.ttl),
            }
        )
        return locks.acquire(key)

    def _check_lock(self) -> None:
        reason = self.lock.lost() if self.lock is not None else None
        if reason is not None:
            self.log.error(MSG.LOCK_LOST, err=reason)
            raise _End(EXIT_INTERNAL, "lock_lost", reason)

    def _release(self) -> None:
        from cronix.trigger.locks import LockError

        lock, self.lock = self.lock, None
        if lock is None:
            return
        try:
            lock.release()
        except LockError as exc:
            self.log.warn(MSG.LOCK_RELEASE, err=str(exc))

    # ------------------------------------------------------------ state and records

    def _metrics(self) -> Any:
        if self.metrics is None:
            from cronix.trigger.metrics import JobMetrics

            assert self.o.metrics is not None
            self.metrics = JobMetrics(self.o.metrics, self.o.app, self.o.job, self.o.state_dir, self.log)
        return self.metrics

    def _previous_success(self) -> int | None:
        if not self.o.state_dir:
            return None
        from cronix.trigger.state import read_last_success

        return read_last_success(self.o.state_dir, self.o.app, self.o.job)

    def _remember_success(self, actual: int) -> None:
        if not self.o.state_dir:
            return
        from cronix.trigger.state import write_last_success

        try:
            write_last_success(self.o.state_dir, self.o.app, self.o.job, actual, self.run_id)
        except OSError as exc:
            self.log.warn(MSG.RUN_LOG, err=f"state {self.o.state_dir}: {exc.strerror or exc}")

    def _record(self, result: FireResult) -> None:
        if not self.o.run_log:
            return
        from cronix.runlog import RUN_LOG_VERSION, append_run

        finished = self.clock.now()
        record = {
            "v": RUN_LOG_VERSION,
            "app": self.o.app,
            "job": self.o.job,
            "run_id": result.run_id,
            "status": _STATUS.get(result.outcome, RunStatus.FAILED),
            "outcome": result.outcome,
            "exit_code": result.exit_code,
            "attempts": result.attempts,
            "http_status": result.http_status or None,  # null: no response came back at all
            "started_at": _rfc3339(self.started),
            "finished_at": _rfc3339(finished),
            "fire_time": _rfc3339(self.intended) if self.intended else None,
            "duration_ms": int((finished - self.started) * 1000),
            "host": socket.gethostname(),
            "detail": result.detail,
        }
        if self.o.manual:
            record[KEY.TRIGGER] = MANUAL
        try:
            append_run(self.o.run_log, record, max_bytes=self.o.run_log_max_bytes, keep=self.o.run_log_keep)
        except OSError as exc:
            self.log.warn(MSG.RUN_LOG, err=f"run log {self.o.run_log}: {exc.strerror or exc}")

    def _fire_attrs(self, job: Job, actual: float) -> dict[str, Any]:
        policy = job.policy
        return {
            "cronix.app": self.o.app,
            "cronix.job": self.o.job,
            "cronix.run_id": self.run_id,
            "cronix.schedule": ", ".join(job.schedules),
            "cronix.intended_fire_time": _rfc3339(self.intended) or "",
            "cronix.actual_fire_time": _rfc3339(actual) or "",
            "cronix.backend": self.o.backend or "unknown",
            "cronix.timeout_seconds": policy.timeout_seconds,
            "cronix.concurrency_policy": policy.concurrency,
            "cronix.concurrency_scope": policy.concurrency_scope,
            "cronix.max_attempts": max(policy.retries.max_attempts, 1),
        }


def _rfc3339(seconds: float) -> str | None:
    """The run log's time format; ``None`` for a time RFC 3339 cannot write (the record is still written)."""
    from cronix.runlog import format_time, from_unix

    try:
        return format_time(from_unix(seconds))
    except (ValueError, OverflowError, OSError):
        return None


def _refusal_code(body: bytes) -> str:
    """`` (SignatureMismatch)`` from the SDKs' ``{"code": …}`` refusal body, else ``""``."""
    if not body.startswith(b"{") or len(body) > 4096:
        return ""
    import json

    try:
        code = json.loads(body).get("code")
    except (ValueError, AttributeError, RecursionError):
        return ""
    return f" ({code})" if isinstance(code, str) and code.isidentifier() and len(code) <= 64 else ""


def _excerpt(body: bytes) -> str:
    """First 200 bytes of the response (``…`` when longer), as text."""
    if len(body) > 200:
        return body[:200].decode("utf-8", "replace") + "…"
    return body.decode("utf-8", "replace")


def _new_run_id() -> str:
    try:
        from uuid import uuid7  # type: ignore[attr-defined]  # Python ≥ 3.14
    except ImportError:
        try:
            from uuid_utils.compat import uuid7
        except ImportError:  # a pure-Python deployment (the Lambda zip carries no compiled wheels)
            return _uuid7()
    return str(uuid7())


def _uuid7() -> str:
    """RFC 9562 UUIDv7: 48-bit Unix milliseconds, version 7, variant 10, 74 random bits."""
    from uuid import UUID

    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(os.urandom(10), "big")
    value = (value & ~(0xF << 76)) | (7 << 76)  # version
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # variant
    return str(UUID(int=value))
