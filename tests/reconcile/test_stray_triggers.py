"""A hand edit that leads to double firing is found and can be taken over (issue 14 item 4).

The scenario of the issue, exactly: delete the ``# cronix:owned … job=purge-trash`` marker
inside the block (and add a foreign line there), re-apply. apply created a new owned entry
and moved the unmarked ``* * * * * … cronix trigger notes.purge-trash`` line outside the
block, so the job fired twice every minute, while ``drift``, ``verify-ownership`` and
``global-status`` said all was well. Now every line that runs ``cronix trigger`` for a
managed job without being its entry is warned about by ``plan``/``apply``, is drift (exit 5)
with its line number, and ``adopt`` takes it over. Real files and the real CLI (in-process).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.reconcile.conftest import BIN, REF, Host, job

PURGE = job("purge-trash", "* * * * *")
DIGEST = job("morning-digest", "30 7 * * *")


def _lines_running(host: Host, target: str) -> list[int]:
    return [
        n
        for n, line in enumerate(host.crontab.read_text().splitlines(), 1)
        if line.endswith(f"trigger {target}") and not line.startswith("#")
    ]


def _status(host: Host) -> dict[str, object]:
    cfg = host.root / "cronix.yaml"
    cfg.write_text(f"spec_dir: {host.spec_dir}\nbackends:\n  crontab:\n    path: {host.crontab}\n")
    result = host.run("global-status", "--config", str(cfg), "-o", "json")
    row: dict[str, object] = result.json()["backends"][0]
    drifted = bool(row["drifted"] or row["stray"])
    assert result.code == (5 if drifted else 0), result.err  # exit 5 exactly when drifted
    return row


def _broken(host: Host) -> Path:
    """The issue's steps: apply, delete the marker line inside the block, add a foreign line there."""
    m = host.manifest("notes", PURGE, DIGEST)
    assert host.apply(m).code == 0
    text = host.crontab.read_text()
    text = "\n".join(line for line in text.split("\n") if "job=purge-trash" not in line)
    host.crontab.write_text(
        text.replace("# END cronix-managed", "0 3 * * * root /bin/true\n# END cronix-managed")
    )
    return m


def test_the_issue_scenario_is_reported_everywhere(host: Host) -> None:
    m = _broken(host)
    plan = host.plan(m)
    assert plan.code == 0
    assert "runs cronix trigger notes.purge-trash but is not its owned entry" in plan.err
    assert "cronix adopt notes.purge-trash" in plan.err
    applied = host.apply(m)  # creates the entry again, as before; but says what it leaves
    assert applied.code == 0
    assert "fires twice" in applied.err
    end = host.crontab.read_text().splitlines().index("# END cronix-managed") + 1
    (stray,) = [n for n in _lines_running(host, "notes.purge-trash") if n > end]  # moved out
    assert len(_lines_running(host, "notes.purge-trash")) == 2  # the double firing the issue saw
    drift = host.drift(m, "--exit-on-drift")
    assert drift.code == 5
    assert f"{host.crontab}:{stray} runs cronix trigger notes.purge-trash" in drift.err
    assert "notes.purge-trash" in drift.err.splitlines()[-1]  # the drift summary names the job
    assert "notes.morning-digest" not in drift.err.splitlines()[-1]
    as_json = host.drift(m, "-o", "json").json()
    assert as_json["strays"] == [
        {
            "app": "notes",
            "job": "purge-trash",
            "where": f"{host.crontab}:{stray}",
            "raw": f"* * * * * {BIN} trigger notes.purge-trash",
        }
    ]
    audit = host.run("verify-ownership", *host.plan_flags())
    assert audit.code == 5
    assert f"notes.purge-trash: {host.crontab}:{stray} also runs it" in audit.out
    row = _status(host)
    assert row["stray"] == 1 and row["drifted"] == 0
    status_table = host.run("global-status", "--config", str(host.root / "cronix.yaml"))
    assert "DRIFTED" in status_table.out


def test_adopt_takes_the_stray_line_over_and_the_job_fires_once(host: Host) -> None:
    m = _broken(host)
    assert host.apply(m).code == 0
    adopt = host.run(
        "adopt", "notes.purge-trash", "--manifest", str(m), "--secret-ref", REF, *host.apply_flags()
    )
    assert adopt.code == 0, adopt.out + adopt.err
    assert len(_lines_running(host, "notes.purge-trash")) == 1
    assert "0 3 * * * root /bin/true\n" in host.crontab.read_text()  # the foreign line stays
    assert host.drift(m, "--exit-on-drift").code == 0
    assert host.run("verify-ownership", *host.plan_flags()).code == 0
    assert _status(host)["stray"] == 0


def test_adopt_before_the_re_apply_also_works(host: Host) -> None:
    """Right after the hand edit the job has no entry; the stray line is its only one."""
    m = _broken(host)
    plan = host.plan(m, "-o", "json").json()
    assert [(op["action"], op["job"]) for op in plan["ops"] if op["action"] != "skip"] == [
        ("create", "purge-trash")
    ]
    assert [s["job"] for s in plan["strays"]] == ["purge-trash"]
    adopt = host.run(
        "adopt", "notes.purge-trash", "--manifest", str(m), "--secret-ref", REF, *host.apply_flags()
    )
    assert adopt.code == 0, adopt.out
    assert host.plan(m, "-o", "json").json()["noop"] is True
    assert len(_lines_running(host, "notes.purge-trash")) == 1


def test_a_line_running_another_copy_of_cronix_is_a_stray_too(host: Host) -> None:
    m = host.manifest("notes", PURGE)
    assert host.apply(m).code == 0
    host.crontab.write_text(
        host.crontab.read_text()
        + "*/5 * * * * root /opt/old/cronix trigger notes.purge-trash >/dev/null 2>&1\n"
    )
    drift = host.drift(m, "--exit-on-drift", "-o", "json")
    assert drift.code == 5
    assert [s["raw"] for s in drift.json()["strays"]] == [
        "*/5 * * * * root /opt/old/cronix trigger notes.purge-trash >/dev/null 2>&1"
    ]


def test_lines_for_jobs_cronix_does_not_manage_are_left_alone(host: Host) -> None:
    """An operator's own ``cronix trigger`` line for a job of no manifest is not cronix's business."""
    host.crontab.write_text(
        f"0 4 * * * {BIN} trigger other.nightly\n# cronix trigger notes.purge-trash (a comment)\n"
        f"CRON_NOTE={BIN} trigger notes.purge-trash\n"
    )
    m = host.manifest("notes", PURGE)
    assert host.apply(m).code == 0
    drift = host.drift(m, "--exit-on-drift", "-o", "json")
    assert drift.code == 0, json.dumps(drift.json())
    assert drift.json()["strays"] == []
    assert host.run("verify-ownership", *host.plan_flags()).code == 0
