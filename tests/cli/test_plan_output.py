"""Plans and drift show changes, not hashes (issue 14 item 5).

A terraform-style body per job that changes (old → new per field, from the spec files the
last apply wrote; the installed entries when the change is a hand edit), a summary line
in which skips are not operations, drift with its own header and words, colour only on a
terminal (NO_COLOR honoured), and an apply that lists what it deletes and asks on a
terminal (``--yes`` and non-terminals proceed). Real crontab files, the real CLI, a pty.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.reconcile.conftest import BIN, REF, Host, cronix_argv, job, manifest_doc
from tests.support.terminal import run_on_pty

FIRST = (
    job("ping", "@hourly"),
    job("report", "0 9 * * *", "0 6 * * sat"),
    job("old", "0 9 * * 1"),
)
SECOND = (
    job("ping", "@hourly"),
    job(
        "report",
        "30 9 * * *",
        request={"url": "https://billing.example.com/r", "headers": {"X-Team": "data"}},
    ),
    job("new", "*/5 * * * *", request={"url": "https://billing.example.com/n", "method": "PUT"}),
)


def _flags(host: Host) -> list[str]:
    return [*host.backend_flags(), "--spec-dir", str(host.spec_dir), "--secret-ref", REF]


def _applied(host: Host) -> Path:
    first = host.manifest("billing", *FIRST, name="first.json")
    assert host.apply(first, "--secret-ref", REF).code == 0
    return host.manifest("billing", *SECOND, name="second.json")


def test_plan_shows_each_change_and_a_summary(host: Host) -> None:
    second = _applied(host)
    out = host.run("plan", "--manifest", str(second), *_flags(host)).out
    lines = out.splitlines()
    assert lines[0] == "Plan for billing on crontab:"
    assert "  + billing.new  (new job)" in lines
    assert '      schedules/0  "*/5 * * * *"' in lines
    assert "      request      PUT https://billing.example.com/n" in lines
    assert "  ~ billing.report  (changed in the manifest)" in lines
    body = [line.split() for line in lines]
    assert ["schedules/0", '"0', "9", "*", "*", '*"', "→", '"30', "9", "*", "*", '*"'] in body
    assert ["schedules/1", '"0', "6", "*", "*", 'sat"', "→", "(none)"] in body
    assert ["request/url", '"https://billing.example.com/api/v1/scheduled/report"', "→",
            '"https://billing.example.com/r"'] in body  # fmt: skip
    assert ["request/headers/X-Team", "(none)", "→", '"data"'] in body
    assert "  - billing.old  (not in the manifest)" in lines
    assert f"      entry 0  0 9 * * 1 {BIN} trigger billing.old" in lines
    assert lines[-1] == "Plan: 1 to create, 1 to update, 1 to delete; 1 in sync."
    assert "ping" not in out  # in sync: counted, not listed
    assert "b4d36b09" not in out  # no hashes in the table


def test_a_plan_without_changes_says_so(host: Host) -> None:
    first = host.manifest("billing", *FIRST)
    assert host.apply(first).code == 0
    assert host.run("plan", "--manifest", str(first), *_flags(host)).out == (
        "No changes: billing on crontab matches the manifest (3 in sync).\n"
    )
    assert host.run("drift", "--manifest", str(first), *_flags(host)).out == (
        "No drift: billing on crontab matches the manifest (3 in sync).\n"
    )


def test_drift_has_its_own_header_and_shows_a_hand_edit(host: Host) -> None:
    first = host.manifest("billing", *FIRST)
    assert host.apply(first).code == 0
    host.crontab.write_text(host.crontab.read_text().replace("0 9 * * * ", "0 10 * * * "))
    out = host.run("drift", "--manifest", str(first), *_flags(host)).out.splitlines()
    assert out[0] == "Drift for billing on crontab:"
    assert "  ~ billing.report  (edited by hand)" in out
    assert f"      entry 0  0 10 * * * {BIN} trigger billing.report" in out
    assert "      apply rewrites the entries from the manifest" in out
    assert out[-1] == "Drift: 0 missing, 1 changed, 0 not in the manifest; 2 in sync."


def test_json_ops_carry_changes_and_entries_additively(host: Host) -> None:
    second = _applied(host)
    doc = host.run("plan", "--manifest", str(second), *_flags(host), "-o", "json").json()
    ops = {op["job"]: op for op in doc["ops"]}
    assert set(ops["report"]) >= {
        "action",
        "app",
        "job",
        "reason",
        "old_hashes",
        "new_hashes",
        "changes",
        "entries",
    }
    assert {"field": "schedules/0", "old": "0 9 * * *", "new": "30 9 * * *"} in ops["report"]["changes"]
    assert {"field": "schedules/1", "old": "0 6 * * sat", "new": None} in ops["report"]["changes"]
    assert ops["ping"]["changes"] == []
    assert ops["new"]["entries"] == []
    assert {"field": "request/method", "old": None, "new": "PUT"} in ops["new"]["changes"]
    assert ops["old"]["entries"][0]["raw"] == f"0 9 * * 1 {BIN} trigger billing.old"
    assert doc["summary"] == {"create": 1, "update": 1, "delete": 1, "skip": 1}


def test_without_a_record_an_update_shows_the_installed_entries(host: Host) -> None:
    second = _applied(host)
    for spec in host.spec_dir.iterdir():
        spec.unlink()
    out = host.run("plan", "--manifest", str(second), *_flags(host)).out.splitlines()
    assert f"      entry 0  0 9 * * * {BIN} trigger billing.report" in out
    assert "      no record of what was applied; apply rewrites the entries from the manifest" in out


def _write(path: Path, *jobs: dict[str, object]) -> Path:
    path.write_text(json.dumps(manifest_doc("billing", *jobs)))
    return path


def _apply_flags(tmp: Path) -> list[str]:
    return ["--crontab-path", str(tmp / "crontab"), "--trigger-bin", BIN, "--secret-ref", REF,
            "--spec-dir", str(tmp / "jobs"), "--lock-path", str(tmp / "lock")]  # fmt: skip


def _apply_first(tmp: Path) -> None:
    first = _write(tmp / "first.json", *FIRST)
    applied = subprocess.run(cronix_argv("apply", "--manifest", str(first), *_apply_flags(tmp)), check=False)
    assert applied.returncode == 0


def test_plan_is_coloured_on_a_terminal_unless_no_color(tmp_path: Path) -> None:
    m = _write(tmp_path / "m.json", *FIRST)
    argv = cronix_argv("plan", "--manifest", str(m), *_apply_flags(tmp_path)[:6])
    rc, shown = run_on_pty(argv)
    assert rc == 0
    assert "\x1b[32m  + billing.old  (new job)" in shown
    rc, plain = run_on_pty(argv, env={"NO_COLOR": "1"})
    assert rc == 0 and "\x1b[" not in plain and "  + billing.old  (new job)" in plain


def test_apply_lists_what_it_deletes_and_asks_on_a_terminal(tmp_path: Path) -> None:
    _apply_first(tmp_path)
    before = (tmp_path / "crontab").read_text()
    smaller = _write(tmp_path / "smaller.json", FIRST[0], FIRST[1])
    argv = cronix_argv("apply", "--manifest", str(smaller), *_apply_flags(tmp_path))
    rc, shown = run_on_pty(argv, answer=b"n\n")
    assert rc == 2, shown
    assert "This apply deletes 1 job:" in shown
    assert "  - billing.old  (not in the manifest) on crontab" in shown
    assert f"entry 0  0 9 * * 1 {BIN} trigger billing.old" in shown
    assert "apply: aborted, nothing was changed" in shown
    assert (tmp_path / "crontab").read_text() == before
    rc, shown = run_on_pty([*argv, "--yes"])
    assert rc == 0 and "This apply deletes" not in shown
    assert "trigger billing.old" not in (tmp_path / "crontab").read_text()


def test_apply_off_a_terminal_does_not_ask(tmp_path: Path) -> None:
    _apply_first(tmp_path)
    smaller = _write(tmp_path / "smaller.json", FIRST[0])
    proc = subprocess.run(
        cronix_argv("apply", "--manifest", str(smaller), *_apply_flags(tmp_path)),
        stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "deleted=2" in proc.stdout
