"""Secret references: one grammar, and a value given where a ref belongs is never kept or shown.

Issue 16 item 1: ``--secret-ref "$CRON_SECRET"`` (the value, not ``env:…``) used to be
written into every spec file and printed by every fire; ``RAW:x`` slipped past the
lowercase ``raw:`` guard. A ref must now match a known scheme; anything else is refused
with exit 2, and the refused text is never printed back.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cronix.protocol.manifest import parse_manifest
from cronix.protocol.specfile import render_spec_file
from cronix.secrets import (
    SCHEMES,
    SecretError,
    check_secret_refs,
    parse_secret_ref,
    redact,
    ref_problem,
    resolve_secrets,
)
from tests.reconcile.conftest import Host, job
from tests.support.cli import CRONIX, assert_one_line_error, run_cronix

SECRET = "s3cr3t-Value-9f8e7d"


@pytest.mark.parametrize(
    ("ref", "hint"),
    [
        (SECRET, "no scheme"),
        (f"RAW:{SECRET}", 'lowercase: write "raw:'),
        (f"Raw:{SECRET}", 'lowercase: write "raw:'),
        (f"ENV:{SECRET}", 'lowercase: write "env:'),
        (f"{SECRET}:tail", "unknown secret ref scheme"),
        (f"hunter2:{SECRET}", "unknown secret ref scheme"),
    ],
)
def test_a_ref_that_is_not_a_ref_is_refused_without_being_echoed(ref: str, hint: str) -> None:
    with pytest.raises(SecretError) as caught:
        parse_secret_ref(ref)
    message = str(caught.value)
    assert ref_problem(ref) == message
    assert hint in message
    assert SECRET not in message
    assert "hunter2" not in message
    assert redact(ref) == "<invalid secret ref>"


def test_an_empty_ref_is_refused_as_input_but_skipped_when_read_back() -> None:
    """An operator who types ``env:`` made a mistake; a spec file's ``env:`` resolves to nothing."""
    with pytest.raises(SecretError, match="nothing after the colon"):
        check_secret_refs(["env:X", "env:"], "--secret-ref")
    skipped: list[str] = []
    assert resolve_secrets(["raw:", "env:X"], environ={"X": "v"}, warn=skipped.append) == ["v"]
    assert len(skipped) == 1


def test_a_near_miss_gets_a_suggestion_naming_only_the_known_scheme() -> None:
    with pytest.raises(SecretError, match=r"did you mean env:\?"):
        parse_secret_ref("evn:CRON_SECRET")


def test_known_schemes_resolve_through_the_one_table(tmp_path: Path) -> None:
    secret_file = tmp_path / "s"
    secret_file.write_text(" from-file \n")
    assert set(SCHEMES) >= {"env", "file", "raw"}
    refs = ["env:MY_SECRET", f"file:{secret_file}", "raw:literal"]
    assert resolve_secrets(refs, environ={"MY_SECRET": "from-env"}) == ["from-env", "from-file", "literal"]
    assert [str(parse_secret_ref(r)) for r in refs] == ["env:MY_SECRET", f"file:{secret_file}", "raw:***"]
    assert redact("raw:literal") == "raw:***"
    assert redact("env:MY_SECRET") == "env:MY_SECRET"


@pytest.mark.parametrize("ref", [SECRET, f"RAW:{SECRET}", f"Raw:{SECRET}", f"xyz:{SECRET}"])
def test_apply_refuses_a_value_as_a_ref_and_writes_nothing(host: Host, ref: str) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    result = host.apply(m, "--secret-ref", ref)
    assert result.code == 2, result.err
    assert SECRET not in result.out + result.err
    assert result.err.count("\n") == 1 and result.err.startswith("cronix: error: --secret-ref #1: ")
    assert not host.crontab.exists()
    assert not host.spec_dir.exists()


def test_the_position_of_the_bad_ref_is_named(host: Host) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    result = host.apply(m, "--secret-ref", f"env:CRON_SECRET,{SECRET}")
    assert result.code == 2
    assert "--secret-ref #2: " in result.err
    assert SECRET not in result.err


def test_plan_and_validate_refuse_it_too(host: Host) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    plan = host.plan(m, "--secret-ref", SECRET)
    assert plan.code == 2 and SECRET not in plan.err
    validate = host.run("validate", str(m), "--secret-ref", f"RAW:{SECRET}")
    assert validate.code == 2 and SECRET not in validate.err


def test_cronix_yaml_refs_are_checked_without_echo(host: Host) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    cfg = host.root / "cronix.yaml"
    cfg.write_text(f"manifest_sources:\n  - app: billing\n    url: {m}\n    secret_refs: [{SECRET}]\n")
    result = host.run("plan", "--config", str(cfg), *host.backend_flags())
    assert result.code == 2
    assert "manifest_sources" in result.err and "secret_refs" in result.err
    assert SECRET not in result.err


def test_init_refuses_a_value_as_a_ref(tmp_path: Path) -> None:
    dest = tmp_path / "cronix.yaml"
    proc = run_cronix("init", "--config", str(dest), "--secret-ref", SECRET)
    assert_one_line_error(proc, 2, "--secret-ref #1")
    assert SECRET not in proc.stderr
    assert not dest.exists()


def test_a_spec_file_with_a_bad_ref_fails_the_fire_without_printing_it(tmp_path: Path) -> None:
    """A spec file written by an older cronix (or by hand): the trigger refuses, prints no secret."""
    manifest = parse_manifest(
        json.dumps(
            {"version": 1, "app": "billing", "jobs": [job("ping", "@hourly")]},
        )
    )
    specs = tmp_path / "jobs"
    specs.mkdir()
    run_log = tmp_path / "runs.jsonl"
    (specs / "billing.ping.json").write_text(render_spec_file("billing", manifest.jobs[0], [f"RAW:{SECRET}"]))
    proc = subprocess.run(
        [CRONIX, "trigger", "billing.ping", "--spec-dir", str(specs), "--run-log", str(run_log),
         "--state-dir", "", "--lock-dir", str(tmp_path / "locks")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert SECRET not in proc.stdout + proc.stderr
    assert SECRET not in run_log.read_text()
    assert "<invalid secret ref>" in proc.stdout or "lowercase" in proc.stdout


def test_init_creates_a_secret_file_and_leads_with_its_file_ref(host: Host) -> None:
    """Issue 14 item 1: the starter config's ref must work where cron runs the trigger."""
    m = host.manifest("billing", job("ping", "@hourly"))
    cfg, secret = host.root / "cronix.yaml", host.root / "etc" / "secret"
    proc = run_cronix("init", "--config", str(cfg), "--app", "billing", "--manifest-url", str(m),
                      "--create-secret-file", str(secret))  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    value = secret.read_text()
    assert len(value) == 65 and value.endswith("\n") and int(value, 16) > 0  # 32 random bytes, hex
    assert secret.stat().st_mode & 0o777 == 0o600
    assert value.strip() not in proc.stdout + proc.stderr  # never printed
    assert f"wrote {secret} (mode 0600" in proc.stdout
    assert f'      - "file:{secret}"' in cfg.read_text()
    assert resolve_secrets([f"file:{secret}"], environ={}) == [value.strip()]
    # The config it wrote plans with that ref, and no env: diagnostic (nothing to fix).
    plan = host.run("plan", "--config", str(cfg), *host.backend_flags())
    assert plan.code == 0, plan.err
    assert "env:" not in plan.err


def test_init_never_replaces_a_secret_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("the secret apps already use\n")
    proc = run_cronix("init", "--config", str(tmp_path / "c.yaml"), "--create-secret-file", str(secret))
    assert_one_line_error(proc, 2, f"--create-secret-file: {secret} already exists; init never replaces")
    assert secret.read_text() == "the secret apps already use\n"
    assert not (tmp_path / "c.yaml").exists()
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "elsewhere")  # dangling: still refused, nothing created through it
    proc = run_cronix("init", "--config", str(tmp_path / "c.yaml"), "--create-secret-file", str(link))
    assert proc.returncode == 2
    assert not (tmp_path / "elsewhere").exists()


def test_the_starter_config_leads_with_a_file_ref(tmp_path: Path) -> None:
    proc = run_cronix("init", "--config", str(tmp_path / "c.yaml"))
    assert proc.returncode == 0, proc.stderr
    text = (tmp_path / "c.yaml").read_text()
    assert "#     - file:/etc/cronix/secret" in text
    assert "env:CRON_SECRET" not in text
