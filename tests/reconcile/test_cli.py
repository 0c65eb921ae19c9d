"""The reconciler commands through the real CLI entry point: outputs, JSON schema, exit codes."""

from __future__ import annotations

import json

from cronix.cli.configdoc import config_markdown, starter_config
from cronix.config import parse_config
from tests.reconcile.conftest import BIN, REPO, Host, job

PING = job("ping", "@hourly")


def test_unknown_backend_is_a_usage_error(host: Host) -> None:
    result = host.run("list", "--backend", "nope")
    assert result.code == 2
    assert result.err.startswith(
        "cronix: error: unknown backend 'nope': not built in (crontab, kubernetes, aws-scheduler, systemd-timer, vercel) and no plugin cronix-backend-nope in "
    )


def test_bad_backend_option_in_config_names_the_key_path(host: Host) -> None:
    cfg = host.root / "cronix.yaml"
    cfg.write_text("backends:\n  crontab:\n    format: sideways\n    colour: blue\n")
    result = host.run("list", "--config", str(cfg))
    assert result.code == 2
    assert "backends.crontab.format: must be one of auto, system, user, got 'sideways'" in result.err
    assert "backends.crontab.colour: unknown key" in result.err
    assert result.err.count("\n") == 1


def test_missing_manifest_file_is_exit_2_and_invalid_manifest_exit_1(host: Host) -> None:
    missing = host.run("plan", "--manifest", str(host.root / "nope.json"), *host.backend_flags())
    assert missing.code == 2
    assert "no such file" in missing.err
    bad = host.root / "bad.json"
    bad.write_text('{"version": 1, "app": "Billing", "jobs": []}')
    invalid = host.run("plan", "--manifest", str(bad), *host.backend_flags())
    assert invalid.code == 1
    assert "manifest invalid" in invalid.err
    assert "Traceback" not in invalid.err


def test_no_manifest_anywhere_is_a_usage_error(host: Host) -> None:
    result = host.run("plan", *host.backend_flags())
    assert result.code == 2
    assert "no manifest" in result.err


def test_list_and_show_json_use_lowercase_keys(host: Host) -> None:
    m = host.manifest("billing", job("ping", "@hourly", "0 9 * * 1"))
    assert host.apply(m).code == 0
    listed = host.run("list", *host.backend_flags(), "-o", "json").json()
    assert listed["backend"] == "crontab"
    assert listed["entries"][1] == {
        "app": "billing",
        "job": "ping",
        "index": 1,
        "hash": listed["entries"][1]["hash"],
        "raw": f"0 9 * * 1 {BIN} trigger billing.ping",
        "paused": False,  # D-721: crontab can tell
        "schedule": None,  # no --spec-dir: the job is not recorded where list looked
        "timezone": None,
        "next_fire_time": None,
    }
    shown = host.run(
        "show", "billing.ping", *host.backend_flags(), "--spec-dir", str(host.spec_dir), "-o", "json"
    )
    assert shown.code == 0, shown.err
    doc = shown.json()
    assert doc["found"] is True
    assert doc["in_sync"] is True  # from the recorded spec file
    assert [f["schedule"] for f in doc["next_fire_times"]] == ["@hourly", "0 9 * * 1"]
    assert all(len(f["times"]) == 3 for f in doc["next_fire_times"])
    assert doc["next_fire_times"][0]["times"][0].endswith(":00:00+00:00")
    table = host.run("show", "billing.ping", *host.plan_flags(), "--manifest", str(m))
    assert "DRIFT in-sync" in " ".join(table.out.split())
    assert "NEXT @hourly" in table.out
    missing = host.run("show", "billing.nope", *host.backend_flags())
    assert missing.code == 1
    assert missing.err.startswith("cronix: error: billing.nope is not installed on crontab")
    declared = host.run(
        "show",
        "billing.nope",
        *host.backend_flags(),
        "--manifest",
        str(host.manifest("billing", job("nope"))),
    )
    assert declared.code == 0
    assert "STATUS not installed" in " ".join(declared.out.split())
    assert host.run("show", "billing", *host.backend_flags()).code == 2


def test_tables_are_plain_without_a_terminal_or_with_no_color(host: Host, monkeypatch: object) -> None:
    assert host.apply(host.manifest("billing", PING)).code == 0
    out = host.run("list", *host.backend_flags()).out
    assert "\x1b[" not in out
    assert out.splitlines()[0].split() == ["APP", "JOB", "IDX", "SCHEDULE", "TIMEZONE", "NEXT", "HASH"]


def test_verify_ownership_finds_duplicates_orphans_and_bad_hashes(host: Host) -> None:
    m = host.manifest("billing", PING)
    assert host.apply(m).code == 0
    clean = host.run(
        "verify-ownership", *host.backend_flags(), "--spec-dir", str(host.spec_dir), "-o", "json"
    )
    assert clean.code == 0, clean.out
    assert clean.json()["ok"] is True
    text = host.crontab.read_text()
    dup = (
        f"0 * * * * {BIN} trigger billing.ping\n"
        "# cronix:owned app=billing job=ping hash=0000000000000000 idx=0\n"
    )
    host.crontab.write_text(text + dup + "# cronix:owned app=billing job=gone hash=ab idx=0\n")
    result = host.run(
        "verify-ownership", *host.backend_flags(), "--spec-dir", str(host.spec_dir), "-o", "json"
    )
    assert result.code == 5
    problems = [f["problem"] for f in result.json()["findings"]]
    assert any("ownership marker without its schedule line" in p for p in problems)
    assert "2 entries claim this identity" in problems
    assert "marker hash does not match the recorded job" in problems


def test_prune_needs_confirmation_then_removes_only_cronix_entries(host: Host) -> None:
    host.crontab.write_text("5 5 * * * /usr/bin/backup\n")
    assert host.apply(host.manifest("billing", PING)).code == 0
    assert host.apply(host.manifest("other", job("x"))).code == 0
    refused = host.run("prune", *host.apply_flags())
    assert refused.code == 2
    assert "--yes" in refused.err
    pruned = host.run("prune", *host.apply_flags(), "--app", "billing", "--yes", "-o", "json")
    assert pruned.code == 0
    assert pruned.json() == {"backend": "crontab", "pruned": 1, "jobs": [{"app": "billing", "job": "ping"}]}
    assert not (host.spec_dir / "billing.ping.json").exists()
    assert (host.spec_dir / "other.x.json").exists()
    assert host.run("prune", *host.apply_flags(), "--yes").code == 0
    assert host.crontab.read_text() == "5 5 * * * /usr/bin/backup\n"


def test_global_status_reports_every_configured_backend(host: Host) -> None:
    other = host.root / "other-crontab"
    cfg = host.root / "cronix.yaml"
    cfg.write_text(
        f"spec_dir: {host.spec_dir}\n"
        "backends:\n"
        f"  crontab:\n    path: {host.crontab}\n"
        f"  second:\n    type: crontab\n    path: {other}\n"
        "  broken:\n    type: crontab\n    format: nope\n"
    )
    assert host.apply(host.manifest("billing", PING, job("pong", "@daily"))).code == 0
    host.crontab.write_text(host.crontab.read_text().replace("0 0 * * *", "1 0 * * *"))
    result = host.run("global-status", "--config", str(cfg), "-o", "json")
    assert result.code == 5, result.err  # the edited entry is drift (as verify-ownership)
    assert "global-status: 1 backend(s) drifted: crontab" in result.err
    rows = {r["name"]: r for r in result.json()["backends"]}
    assert (rows["crontab"]["owned"], rows["crontab"]["in_sync"], rows["crontab"]["drifted"]) == (2, 1, 1)
    assert (rows["second"]["owned"], rows["second"]["error"]) == (0, None)
    assert "backends.broken.format" in rows["broken"]["error"]
    assert host.run("global-status", "--config", str(cfg), "--strict").code == 3


def test_config_file_drives_apply(host: Host) -> None:
    m = host.manifest("billing", PING)
    cfg = host.root / "cronix.yaml"
    cfg.write_text(
        f"spec_dir: {host.spec_dir}\n"
        f"apply:\n  lock_path: {host.root / 'apply.lock'}\n"
        f"manifest_sources:\n  - app: billing\n    url: file://{m}\n    secret_refs: [env:CRON_SECRET]\n"
        f"backends:\n  crontab:\n    path: {host.crontab}\n    format: system\n    run_as: daemon\n"
    )
    result = host.run("apply", "--config", str(cfg))
    assert result.code == 0, result.err
    assert f"0 * * * * daemon {BIN} trigger billing.ping" in host.crontab.read_text()
    assert json.loads((host.spec_dir / "billing.ping.json").read_text())["secret_refs"] == ["env:CRON_SECRET"]
    # a flag overrides the file
    flagged = host.run("plan", "--config", str(cfg), "--crontab-run-as", "root", "-o", "json")
    assert flagged.json()["ops"][0]["action"] == "update"
    wrong = host.root / "wrong.yaml"
    wrong.write_text(f"manifest_sources:\n  - app: other\n    url: file://{m}\n")
    mismatch = host.run("plan", "--config", str(wrong), *host.backend_flags())
    assert mismatch.code == 2
    assert 'declares app "billing"' in mismatch.err


def test_init_writes_a_starter_config_that_loads(host: Host) -> None:
    dest = host.root / "etc" / "cronix.yaml"
    result = host.run("init", "--config", str(dest), "--app", "billing", "--secret-ref", "env:CRON_SECRET")
    assert result.code == 0
    config = parse_config(dest.read_text())
    assert config.manifest_sources[0].app == "billing"
    assert config.manifest_sources[0].secret_refs == ("env:CRON_SECRET",)
    assert dest.stat().st_mode & 0o777 == 0o600
    assert host.run("init", "--config", str(dest)).code == 2
    assert parse_config(starter_config()).backend == "crontab"
    for line in starter_config().splitlines():
        assert line == "" or line.lstrip().startswith("#") or ":" in line


def test_committed_config_doc_matches_the_schema() -> None:
    committed = (REPO / "docs" / "config.md").read_text()
    assert committed == config_markdown(), (
        "docs/config.md is stale: python -m cronix.cli.configdoc > docs/config.md"
    )
    for key in ("backends.crontab.cron_tz", "apply.lock_timeout_seconds", "manifest_sources[].secret_refs"):
        assert f"`{key}`" in committed


def test_json_schema_doc_lists_every_reconciler_command() -> None:
    doc = (REPO / "docs" / "cli-json.md").read_text()
    for command in (
        "plan",
        "apply",
        "drift",
        "list",
        "show",
        "prune",
        "global-status",
        "adopt",
        "verify-ownership",
    ):
        assert f"## `cronix {command}" in doc


def test_library_layers_stay_light() -> None:
    """The reconciler, the crontab backend and the sources load no CLI, YAML or HTTP stack."""
    import subprocess
    import sys

    code = (
        "import sys, cronix.reconcile, cronix.backends.crontab, cronix.sources;"
        "print(sorted(m for m in ('click', 'yaml', 'http.client', 'ssl', 'rich') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
