"""Issue 14's smaller items: "did you mean" for a mistyped command, a prune prompt that
lists what it deletes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from tests.cli.test_plan_output import _apply_flags
from tests.reconcile.conftest import BIN, cronix_argv, job, manifest_doc
from tests.support.cli import assert_one_line_error, run_cronix
from tests.support.terminal import run_on_pty


def test_a_mistyped_command_gets_a_suggestion() -> None:
    assert_one_line_error(run_cronix("lsit"), 2, "No such command 'lsit'. Did you mean 'list'?")
    assert_one_line_error(run_cronix("aply"), 2, "Did you mean 'apply'?")
    unknown = run_cronix("frobnicate")
    assert_one_line_error(unknown, 2, "No such command 'frobnicate'.")
    assert "Did you mean" not in unknown.stderr


def test_the_prune_prompt_lists_every_job_and_entry_it_deletes(tmp_path: Path) -> None:
    m = tmp_path / "m.json"
    m.write_text(
        json.dumps(manifest_doc("billing", job("ping", "@hourly"), job("report", "0 9 * * 1", "0 6 * * 6")))
    )
    flags = _apply_flags(tmp_path)
    assert subprocess.run(cronix_argv("apply", "--manifest", str(m), *flags), check=False).returncode == 0
    at = flags.index("--secret-ref")
    rc, shown = run_on_pty(cronix_argv("prune", *flags[:at], *flags[at + 2 :]), answer=b"n\n")
    assert rc == 2
    assert "  - billing.ping" in shown
    assert "  - billing.report" in shown
    assert f"entry 0  0 9 * * 1 {BIN} trigger billing.report" in shown
    assert f"entry 1  0 6 * * 6 {BIN} trigger billing.report" in shown
    assert shown.index("billing.report") < shown.index("This will delete 3 cronix-owned entries")
