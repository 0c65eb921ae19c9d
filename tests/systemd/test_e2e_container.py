"""End to end on a real systemd: ``cronix apply`` installs a timer, systemd fires ``cronix trigger``.

systemd 252 runs as PID 1 of a container (``systemd-nspawn -b``, :mod:`tests.support.nspawn`)
that shares the host's loopback, so the signed request reaches an app server on
127.0.0.1 here. The host's ``cronix apply`` writes the units into the container's
``/etc/systemd/system`` and drives its systemd with ``nsenter -t <PID 1> -a systemctl``
(the ``systemctl_command`` option). The ``cronix`` inside is this worktree's own
virtualenv, bind-mounted read-only at the same path together with the Python it was made
with: the very console script the tests run, no second installation that could differ.
The secret reaches the trigger as a systemd credential from ``/etc/credstore``.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

from tests.support.cli import CRONIX, run_cronix
from tests.support.nspawn import Container, booted_container
from tests.support.procs import wait_until
from tests.systemd.conftest import job, manifest_doc
from tests.trigger.app_server import AppServer

SECRET = "e2e-container-secret-0123456789"
WORKTREE = Path(__file__).resolve().parents[2]


def _reloads(box: Container) -> tuple[str, int]:
    """systemd's own record of ``daemon-reload``: when units were last loaded, and how often PID 1 reloaded."""
    stamp = box.run("systemctl", "show", "--property=UnitsLoadTimestampMonotonic", "--value").stdout.strip()
    journal = box.run("journalctl", "_PID=1", "-o", "cat", "--no-pager").stdout.splitlines()
    return stamp, sum(1 for line in journal if line.strip() == "Reloading.")


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_a_real_systemd_fires_the_timer_apply_installed(tmp_path: Path) -> None:
    python_home = Path(os.path.realpath(sys.executable)).parents[1]
    with AppServer([SECRET]) as app, booted_container(tmp_path, binds=[WORKTREE, python_home]) as box:
        store = box.path("/etc/credstore")
        store.mkdir(mode=0o700)
        (store / "cron-secret").write_text(SECRET)
        (store / "cron-secret").chmod(0o600)
        manifest = tmp_path / "manifest.json"
        manifest.write_text(
            json.dumps(manifest_doc("e2e", job("tick", "* * * * *", request={"url": app.url()})))
        )
        enter = " ".join(box.nsenter)
        config = tmp_path / "cronix.yaml"
        config.write_text(
            json.dumps(
                {
                    "backend": "systemd-timer",
                    "trigger_bin": CRONIX,
                    "spec_dir": str(box.path("/etc/cronix/jobs")),
                    "apply": {"lock_path": str(tmp_path / "apply.lock")},
                    "backends": {
                        "systemd-timer": {
                            "unit_dir": str(box.path("/etc/systemd/system")),
                            "systemctl_command": f"{enter} systemctl",
                            "journalctl_command": f"{enter} journalctl",
                            "credentials": {"cron-secret": ""},
                        }
                    },
                }
            )
        )
        env = {"HOME": str(tmp_path)}
        applied = run_cronix("apply", "--config", str(config), "--manifest", str(manifest),
                             "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert applied.returncode == 0, applied.stderr
        assert box.run("systemctl", "is-enabled", "cronix-e2e-tick-0.timer").stdout.strip() == "enabled"
        assert box.run("systemctl", "is-active", "cronix-e2e-tick-0.timer").stdout.strip() == "active"

        # The timer fires at the next minute; the trigger signs with the credential and succeeds.
        wait_until(lambda: any(r.verdict == "ok" for r in app.requests), timeout=90, interval=0.5)
        fired = next(r for r in app.requests if r.verdict == "ok")
        assert fired.header("X-Cron-Schedule-Name") == "tick"
        intended, actual = (
            int(str(fired.header("X-Cron-Fire-Time"))),
            int(str(fired.header("X-Cron-Fire-Time-Actual"))),
        )
        assert intended % 60 == 0 and intended <= actual  # the scheduled minute, from the timer's elapse time
        wait_until(
            lambda: (
                "inactive"
                in box.run("systemctl", "is-active", "cronix-e2e-tick-0.service", check=False).stdout
            ),
            timeout=30,
        )
        result = box.run("systemctl", "show", "cronix-e2e-tick-0.service", "--property=Result", "--value")
        assert result.stdout.strip() == "success"

        # History: the run log inside the container, and journald through journalctl -u.
        run_log = str(box.path("/var/log/cronix/runs.jsonl"))
        history = run_cronix("history", "e2e.tick", "--config", str(config), "--run-log", run_log,
                             "--backend", "systemd-timer", "-o", "json", env=env)  # fmt: skip
        assert history.returncode == 0, history.stderr
        runs = json.loads(history.stdout)["entries"]
        assert runs and runs[0]["status"] == "ok"
        journal = run_cronix("history", "e2e.tick", "--config", str(config), "--run-log", "", "--no-journald",
                             "--backend", "systemd-timer", "-o", "json", env=env)  # fmt: skip
        assert journal.returncode == 0, journal.stderr
        assert [(r["run_id"], r["source"]) for r in json.loads(journal.stdout)["entries"]][:1] == [
            (runs[0]["run_id"], "journald")
        ]

        # A second apply changes nothing: no file written, no daemon-reload.
        unit = box.path("/etc/systemd/system/cronix-e2e-tick-0.timer")
        before, reloads = unit.stat(), _reloads(box)
        again = run_cronix("apply", "--config", str(config), "--manifest", str(manifest),
                           "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert again.returncode == 0, again.stderr
        assert "Apply: noop" in again.stdout
        assert _reloads(box) == reloads
        after = unit.stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)

        # A declared pause (D-721): the units stay, the timer is disabled and stopped; resuming
        # enables and starts it again.
        paused = tmp_path / "paused.json"
        paused.write_text(
            json.dumps(
                manifest_doc("e2e", job("tick", "* * * * *", enabled=False, request={"url": app.url()}))
            )
        )
        pausing = run_cronix("apply", "--config", str(config), "--manifest", str(paused),
                             "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert pausing.returncode == 0, pausing.stderr
        assert unit.exists()
        timer = "cronix-e2e-tick-0.timer"
        assert box.run("systemctl", "is-enabled", timer, check=False).stdout.strip() == "disabled"
        assert box.run("systemctl", "is-active", timer, check=False).stdout.strip() == "inactive"
        listed = run_cronix("list", "--config", str(config), "-o", "json", env=env)
        assert [e["paused"] for e in json.loads(listed.stdout)["entries"]] == [True]
        resuming = run_cronix("apply", "--config", str(config), "--manifest", str(manifest),
                              "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert resuming.returncode == 0, resuming.stderr
        assert box.run("systemctl", "is-enabled", timer).stdout.strip() == "enabled"
        assert box.run("systemctl", "is-active", timer).stdout.strip() == "active"
        reloads = _reloads(box)

        # Replacing the job disables the old timer by its exact name and reloads once.
        empty = tmp_path / "empty.json"
        empty.write_text(
            json.dumps(manifest_doc("e2e", job("other", "0 0 1 1 *", request={"url": app.url()})))
        )
        removed = run_cronix("apply", "--config", str(config), "--manifest", str(empty),
                             "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert removed.returncode == 0, removed.stderr
        assert not unit.exists()
        stamp, count = _reloads(box)
        assert stamp != reloads[0] and count == reloads[1] + 1  # exactly one reload for the change
        state = box.run("systemctl", "is-active", "cronix-e2e-tick-0.timer", check=False).stdout.strip()
        assert state == "inactive"

        # A failure after systemd saw part of the change says so, and the next apply finishes it:
        # with a file where timers.target.wants should be, systemctl enable cannot link the timer.
        wants = box.path("/etc/systemd/system/timers.target.wants")
        wants.rename(wants.with_name("wants.saved"))
        wants.write_text("not a directory\n")
        late = tmp_path / "late.json"
        late.write_text(json.dumps(manifest_doc("e2e", job("late", "0 0 1 1 *", request={"url": app.url()}))))
        failed = run_cronix("apply", "--config", str(config), "--manifest", str(late),
                            "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert failed.returncode == 1
        assert "not enabled — run apply again" in failed.stderr and "nothing was changed" not in failed.stderr
        wants.unlink()
        wants.with_name("wants.saved").rename(wants)
        fixed = run_cronix("apply", "--config", str(config), "--manifest", str(late),
                           "--secret-ref", "credential:cron-secret", env=env)  # fmt: skip
        assert fixed.returncode == 0, fixed.stderr
        assert box.run("systemctl", "is-enabled", "cronix-e2e-late-0.timer").stdout.strip() == "enabled"
