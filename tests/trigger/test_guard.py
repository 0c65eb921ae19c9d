"""``cronix trigger --guard N`` (D-725): a union line's start fires only at an occurrence.

A job at 07:30 in New York is installed on a UTC cron as ``30 11,12 * * *``: one of the two
starts a day is the occurrence (11:30 UTC in summer, 12:30 in winter), the other is not.
The guard decides from the trigger's own clock: at the occurrence it fires with that
occurrence's time and fire id; otherwise it sends nothing, prints nothing (cron would
mail it) and records a ``skipped`` run.
"""

from __future__ import annotations

import io
import json
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from cronix.trigger.logs import JsonLog
from cronix.trigger.run import Clock, FireOptions, fire
from tests.trigger.app_server import AppServer
from tests.trigger.conftest import CRONIX, SECRET, Host, write_spec

SUMMER_OCCURRENCE = datetime(2026, 7, 1, 11, 30, tzinfo=UTC).timestamp()  # 07:30 EDT
SUMMER_OTHER_START = datetime(2026, 7, 1, 12, 30, tzinfo=UTC).timestamp()  # 08:30 EDT: not one


class FixedClock(Clock):
    def __init__(self, at: float) -> None:
        self.at = at

    def now(self) -> float:
        return self.at


def _options(host: Host, guard: int | None = 0) -> FireOptions:
    return host.options(guard=guard)


def _fire_at(host: Host, at: float, guard: int | None = 0) -> tuple[object, str]:
    out = io.StringIO()
    result = fire(
        _options(host, guard), log=JsonLog(out), clock=FixedClock(at), environ={"CRON_SECRET": SECRET}
    )
    return result, out.getvalue()


def test_the_start_at_the_occurrence_fires_with_its_time_and_fire_id(host: Host) -> None:
    with AppServer([SECRET], now=lambda: SUMMER_OCCURRENCE + 1.4) as app:
        write_spec(host.spec_dir, app.url(), schedule="30 7 * * *", timezone="America/New_York")
        result, _ = _fire_at(host, SUMMER_OCCURRENCE + 1.4)
    assert result.exit_code == 0 and result.outcome == "success"  # type: ignore[attr-defined]
    (request,) = app.requests
    assert request.header("X-Cron-Fire-Time") == str(int(SUMMER_OCCURRENCE))
    assert request.header("X-Cron-Fire-Id") == "billing.ping#0@2026-07-01T11:30:00Z"


def test_any_other_start_is_a_quiet_skip_recorded_in_the_run_log(host: Host) -> None:
    with AppServer([SECRET]) as app:
        write_spec(host.spec_dir, app.url(), schedule="30 7 * * *", timezone="America/New_York")
        result, stdout = _fire_at(host, SUMMER_OTHER_START + 1.4)
    assert (result.exit_code, result.outcome) == (0, "skipped")  # type: ignore[attr-defined]
    assert app.requests == [] and stdout == ""
    (record,) = host.runs()
    assert record["status"] == "skipped" and record["attempts"] == 0 and record["http_status"] is None
    assert record["detail"] == "2026-07-01T12:30Z is not an occurrence of '30 7 * * *' in America/New_York"


def test_the_guard_names_the_schedule_the_line_is_for(host: Host) -> None:
    """Schedule 1's line is guarded by schedule 1 only: schedule 0 firing then does not count."""
    with AppServer([SECRET], now=lambda: SUMMER_OCCURRENCE + 1) as app:
        write_spec(
            host.spec_dir,
            app.url(),
            schedule=None,
            schedules=["30 7 * * *", "0 9 * * *"],
            timezone="America/New_York",
        )
        skipped, _ = _fire_at(host, SUMMER_OCCURRENCE + 1, guard=1)
        fired, _ = _fire_at(host, SUMMER_OCCURRENCE + 1, guard=0)
    assert skipped.outcome == "skipped" and fired.outcome == "success"  # type: ignore[attr-defined]
    assert [r.header("X-Cron-Fire-Id") for r in app.requests] == ["billing.ping#0@2026-07-01T11:30:00Z"]


def test_the_real_trigger_skips_quietly_before_secrets_and_locks(host: Host, app: AppServer) -> None:
    """The real executable, guarded by a schedule that is not now: exit 0, silent, one record."""
    today = datetime.now(UTC)
    other_month = 1 if today.month != 1 else 7
    missing = str(host.root / "no-such-secret")
    write_spec(
        host.spec_dir,
        app.url(),
        secret_refs=[f"file:{missing}"],
        schedule=f"0 0 1 {other_month} *",
        timezone="Asia/Kathmandu",
    )
    proc = host.trigger("billing.ping", "--guard", "0")
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
    assert app.requests == []
    (record,) = host.runs()
    # Decided before secrets (the missing secret file was never read) and before any lock.
    assert record["status"] == "skipped" and record["outcome"] == "skipped"
    assert not host.lock_dir.exists()
    # History shows it as what it was: a skip, not a run (D-727).
    history = subprocess.run(
        [CRONIX, "history", "billing.ping", "--run-log", str(host.run_log), "--status", "skipped", "-o", "json"],
        capture_output=True, text=True, env=host.env(), timeout=60, check=False,
    )  # fmt: skip
    assert history.returncode == 0, history.stderr
    assert [r["status"] for r in json.loads(history.stdout)["entries"]] == ["skipped"]


def test_a_skip_loads_nothing_of_the_fire_path(host: Host, app: AppServer) -> None:
    """A union line starts the trigger at most minutes where it must skip: the guard decides
    before the request is built, so a skip never imports the HTTP client, signing or secrets."""
    write_spec(
        host.spec_dir, app.url(), schedule="0 0 1 1 *" if datetime.now(UTC).month != 1 else "0 0 1 7 *"
    )
    script = (
        "import sys; from cronix.cli.entry import main\n"
        f"sys.argv = {['cronix', *host.argv()[1:], '--guard', '0']!r}\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert end.code == 0, end.code\n"
        "print(sorted(m for m in sys.modules if m.startswith(('cronix.trigger.', 'cronix.secrets', "
        "'cronix.httpio', 'cronix.protocol.signing'))))"
    )
    proc = subprocess.run(
        [str(Path(CRONIX).parent / "python"), "-c", script],
        capture_output=True, text=True, env=host.env(), timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    loaded = set(json.loads(proc.stdout.strip().splitlines()[-1].replace("'", '"')))
    assert loaded.isdisjoint(
        {
            "cronix.trigger.request",
            "cronix.httpio",
            "cronix.protocol.signing",
            "cronix.secrets",
        }
    ), loaded
    assert "cronix.trigger.guard" in loaded
    assert [r["status"] for r in host.runs()] == ["skipped"]


def test_the_real_trigger_fires_when_every_minute_is_an_occurrence(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url(), schedule="* * * * *", timezone="Asia/Kolkata")
    proc = host.trigger("billing.ping", "--guard", "0")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (request,) = app.requests
    fire_time = int(request.header("X-Cron-Fire-Time") or 0)
    assert fire_time % 60 == 0 and time.time() - fire_time < 60
    assert json.loads(proc.stdout.splitlines()[-1])["msg"] == "trigger: success"


def test_a_guard_index_out_of_range_is_a_usage_error(host: Host) -> None:
    proc = host.trigger("billing.ping", "--guard", "64")
    assert proc.returncode == 2  # a usage error (D-620): nothing fired
    assert proc.stderr.strip().splitlines() == [
        "cronix trigger: error: --guard 64: a schedule index is 0 to 63 (see 'cronix trigger --help')"
    ]
