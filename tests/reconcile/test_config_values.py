"""Operator config values that end up in the crontab are validated before anything is written.

Issue 16 item 5: ``host_timezone: "UTC\\n* * * * * root touch pwned"`` with ``cron_tz: true``
wrote that job line inside the block. Every value rendered into the file (``host_timezone``,
``run_as``, ``trigger_bin``) or naming what is run or written (``path``, ``crontab_user``,
``crontab_command``, the top-level ``trigger_bin``, ``spec_dir``, ``apply.lock_path``) has a
rule; a bad value is one line, exit 2, and the crontab is not touched. Runs the real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from cronix.backends.registry import backend_type
from cronix.config import Config
from tests.reconcile.conftest import BIN, job, manifest_doc
from tests.support.cli import assert_one_line_error, run_cronix

INJECTED = "* * * * * root touch /tmp/pwned"


def _apply(tmp_path: Path, config: dict[str, Any], *extra: str) -> Any:
    (tmp_path / "cronix.yaml").write_text(yaml.safe_dump(config))
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps(manifest_doc("billing", job("ping", "@hourly"))))
    return run_cronix(
        "apply",
        "--config",
        str(tmp_path / "cronix.yaml"),
        "--manifest",
        str(manifest),
        "--secret-ref",
        "file:/etc/cronix/secret",
        "--spec-dir",
        str(tmp_path / "jobs"),
        "--lock-path",
        str(tmp_path / "lock"),
        *extra,
    )


def _crontab(tmp_path: Path, **options: Any) -> dict[str, Any]:
    return {"trigger_bin": BIN, "backends": {"crontab": {"path": str(tmp_path / "crontab"), **options}}}


def test_a_newline_in_host_timezone_never_reaches_the_crontab(tmp_path: Path) -> None:
    """The exact case of the issue."""
    (tmp_path / "crontab").write_text("MAILTO=ops\n")
    proc = _apply(tmp_path, _crontab(tmp_path, cron_tz=True, host_timezone=f"UTC\n{INJECTED}"))
    assert_one_line_error(proc, 2, "backends.crontab.host_timezone", "IANA time zone", "\\n")
    assert (tmp_path / "crontab").read_text() == "MAILTO=ops\n"
    assert not (tmp_path / "jobs").exists()


@pytest.mark.parametrize(
    ("key", "value", "rule"),
    [
        ("host_timezone", "Mars/Olympus", "IANA time zone"),
        ("run_as", f"root\n{INJECTED}", "a user name"),
        ("run_as", "root bin", "a user name"),
        ("trigger_bin", f"/usr/bin/cronix\n{INJECTED}", "an absolute path"),
        ("trigger_bin", "/opt/my cronix", "an absolute path"),
        ("trigger_bin", "/opt/100%/cronix", "an absolute path"),
        ("path", "/tmp/cron\x1b]0;x\x07tab", "control characters"),
        ("crontab_user", "ops\nroot", "a user name"),
        ("crontab_command", "crontab\n-r", "a program name"),
    ],
)
def test_every_rendered_crontab_option_has_a_rule(tmp_path: Path, key: str, value: str, rule: str) -> None:
    options: dict[str, Any] = {key: value}
    if key == "path":
        config: dict[str, Any] = {"trigger_bin": BIN, "backends": {"crontab": options}}
    else:
        config = _crontab(tmp_path, **options)
    proc = _apply(tmp_path, config)
    assert_one_line_error(proc, 2, f"backends.crontab.{key}", rule)
    assert not (tmp_path / "crontab").exists()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("trigger_bin", f"/usr/local/bin/cronix\n{INJECTED}"),
        ("trigger_bin", "cronix"),
        ("spec_dir", "/etc/cronix/jobs\n"),
    ],
)
def test_top_level_values_have_rules(tmp_path: Path, key: str, value: str) -> None:
    config = _crontab(tmp_path)
    config[key] = value
    proc = _apply(tmp_path, config)
    assert_one_line_error(proc, 2, key, "must be")
    assert not (tmp_path / "crontab").exists()


def test_the_trigger_bin_flag_has_the_same_rule(tmp_path: Path) -> None:
    proc = _apply(tmp_path, _crontab(tmp_path), "--trigger-bin", f"{BIN}\n{INJECTED}")
    assert_one_line_error(proc, 2, "--trigger-bin", "an absolute path")
    assert not (tmp_path / "crontab").exists()


def test_a_flag_value_is_checked_like_the_file(tmp_path: Path) -> None:
    proc = _apply(tmp_path, _crontab(tmp_path), "--crontab-run-as", "root;reboot")
    assert_one_line_error(proc, 2, "backends.crontab.run_as", "a user name")


def test_the_generated_docs_state_each_rule() -> None:
    """docs/config.md, cronix init and --help come from the same metadata."""
    kind = backend_type("crontab")
    assert kind is not None
    docs = {f.name: f.doc for f in kind.option_fields()}
    assert "Must be an IANA time zone name" in docs["host_timezone"]
    assert "Must be a user name" in docs["run_as"]
    assert "Must be an absolute path without blanks, % or control characters" in docs["trigger_bin"]
    import dataclasses

    top = {f.name: f.metadata["doc"] for f in dataclasses.fields(Config) if "doc" in f.metadata}
    assert "Must be an absolute path" in top["trigger_bin"]


def test_good_values_still_load(tmp_path: Path) -> None:
    proc = _apply(
        tmp_path,
        _crontab(tmp_path, host_timezone="Etc/UTC", run_as="www-data", crontab_command="/usr/bin/crontab"),
    )
    assert proc.returncode == 0, proc.stderr
    assert f"0 * * * * {BIN} trigger billing.ping" in (tmp_path / "crontab").read_text()
