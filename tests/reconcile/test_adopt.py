"""cronix adopt on crontab: candidates, divergence (exit 6), nothing to adopt (exit 7)."""

from __future__ import annotations

from tests.reconcile.conftest import BIN, REF, Host, job


def _adopt(host: Host, manifest_path: object, *extra: str) -> object:
    return host.run(
        "adopt", "billing.report", "--manifest", str(manifest_path), "--secret-ref", REF, *host.apply_flags(),
        *extra,
    )  # fmt: skip


def test_adopt_takes_over_matching_lines(host: Host) -> None:
    host.crontab.write_text(
        f"# ops\n0 2 * * MON {BIN} trigger billing.report\n30 6 * * * {BIN}  trigger billing.report\n"
    )
    m = host.manifest("billing", job("report", "0 2 * * 1", "@every 24h"))
    # "30 6 * * *" does not match "@every 24h" (0 0 * * *): diverged, nothing written
    diverged = _adopt(host, m, "--dry-run")
    assert diverged.code == 6
    assert "DIVERGED" in diverged.out
    assert 'line 3 (cron "30 6 * * *") invokes' in diverged.out
    assert "# cronix:owned" not in host.crontab.read_text()
    m2 = host.manifest("billing", job("report", "0 2 * * 1", "30 6 * * *"))
    dry = _adopt(host, m2, "--dry-run")
    assert dry.code == 0, dry.err
    assert dry.out.startswith("WOULD-ADOPT      billing.report  (2 entries")
    assert "# cronix:owned" not in host.crontab.read_text()
    adopted = _adopt(host, m2, "-o", "json")
    assert adopted.code == 0, adopted.err
    doc = adopted.json()
    assert doc["adopted"] is True
    assert [e["index"] for e in doc["entries"]] == [0, 1]
    text = host.crontab.read_text()
    assert text.startswith("# ops\n# BEGIN cronix-managed\n")
    assert f"0 2 * * 1 {BIN} trigger billing.report\n# cronix:owned app=billing job=report hash=" in text
    assert host.plan(m2, "-o", "json").json()["noop"] is True
    again = _adopt(host, m2)
    assert again.code == 0
    assert again.out.startswith("ALREADY-MANAGED")


def test_adopt_without_candidates_exits_7(host: Host) -> None:
    host.crontab.write_text("5 5 * * * /usr/bin/backup\n")
    result = _adopt(host, host.manifest("billing", job("report", "@daily")))
    assert result.code == 7
    assert result.out.startswith("NOT-FOUND")
    assert host.crontab.read_text() == "5 5 * * * /usr/bin/backup\n"


def test_adopt_json_mode_keeps_the_exit_code(host: Host) -> None:
    host.crontab.write_text(f"0 3 * * * {BIN} trigger billing.report\n")
    result = _adopt(host, host.manifest("billing", job("report", "@daily")), "-o", "json")
    assert result.code == 6
    assert result.json()["diverged"] is True
