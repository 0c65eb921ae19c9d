"""Inputs a user can give that used to end in a traceback or "internal error" (issue 16 item 20).

Each is now one line with the documented exit code: a config nested too deeply, a config
that is a device or a FIFO, a ``--since`` before the year 1, a ``--lock-timeout`` of
``nan``/``inf``, and adapter input nested too deeply.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.reconcile.conftest import Host, job
from tests.support.cli import assert_one_line_error, run_cronix

DEEP = "a: " + "[" * 100_000 + "]" * 100_000 + "\n"


def test_a_deeply_nested_config_is_a_config_error(host: Host) -> None:
    cfg = host.root / "deep.yaml"
    cfg.write_text(DEEP)
    m = host.manifest("billing", job("ping"))
    proc = run_cronix("apply", "--config", str(cfg), "--manifest", str(m), *host.apply_flags())
    assert_one_line_error(proc, 2, "nested too deeply")
    assert not host.crontab.exists()


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_config_that_is_not_a_regular_file_is_refused_at_once(tmp_path: Path, kind: str) -> None:
    path = "/dev/zero"
    if kind == "fifo":
        path = str(tmp_path / "fifo")
        os.mkfifo(path)
    proc = run_cronix("list", "--config", path, timeout=20)
    assert_one_line_error(proc, 2, "not a regular file")


def test_a_huge_config_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "big.yaml"
    cfg.write_text("# " + "x" * (1024 * 1024 + 10) + "\n")
    assert_one_line_error(run_cronix("list", "--config", str(cfg)), 2, "larger than")


@pytest.mark.parametrize("since", ["99999999d", "999999999999w"])
def test_history_since_before_year_one_is_a_usage_error(tmp_path: Path, since: str) -> None:
    proc = run_cronix(
        "history", "billing.ping", "--since", since, "--run-log", str(tmp_path / "r"), "--no-journald"
    )
    assert_one_line_error(proc, 2, "--since")


@pytest.mark.parametrize("value", ["nan", "NaN", "inf", "-inf", "-1", "soon"])
def test_lock_timeout_must_be_finite_and_not_negative(host: Host, value: str) -> None:
    m = host.manifest("billing", job("ping"))
    proc = run_cronix("apply", "--manifest", str(m), *host.apply_flags(), "--lock-timeout", value)
    assert_one_line_error(proc, 2, "--lock-timeout")
    assert not host.crontab.exists()


@pytest.mark.parametrize("subcommand", ["auth-sign", "auth-verify"])
def test_adapter_input_nested_too_deeply_is_misuse(subcommand: str) -> None:
    stdin = ('{"secrets":' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    proc = run_cronix("conformance-adapter", subcommand, stdin=stdin)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        "cronix conformance-adapter: stdin is not usable JSON: nested too deeply"
    ]
