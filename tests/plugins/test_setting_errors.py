"""Bad plugin settings and protocol misuse are one-line errors with their own exit code,
never an internal error (issue 16.19)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cronix.backends.base import FireSpec, HistoryQuery
from cronix.errors import EXIT_USAGE
from cronix.plugins.errors import PluginFailure, PluginIdentity
from cronix.plugins.host import launch_backend
from cronix.protocol.ownership import ownership_hashes
from tests.plugins.helpers import ECHO, install_hostile, job, write_script
from tests.support.cli import assert_one_line_error, run_cronix

ACME = """
from cronix.plugins.echo import EchoBackend
from cronix.plugins.sdk import serve

class Acme(EchoBackend):
    name = "acme"

    def __init__(self, settings, host=None):
        if "region" not in settings:
            raise ValueError("region is required: the ACME region to schedule in")
        super().__init__({k: v for k, v in settings.items() if k != "region"}, host)

serve(Acme)
"""


def test_conformance_of_echo_without_state_path_names_the_setting(tmp_path: Path) -> None:
    proc = run_cronix("conformance", "plugin", str(ECHO), cwd=tmp_path)
    assert_one_line_error(proc, EXIT_USAGE, "plugin echo", "state_path is required", "--backend-config")
    assert "internal error" not in proc.stderr


def test_conformance_of_a_plugin_that_rejects_its_settings_is_a_config_error(tmp_path: Path) -> None:
    plugin = write_script(tmp_path / "cronix-backend-acme", ACME)
    proc = run_cronix(
        "conformance",
        "plugin",
        str(plugin),
        "--backend-config",
        f"state_path={tmp_path}/s.json",
        cwd=tmp_path,
    )
    assert_one_line_error(
        proc, EXIT_USAGE, "plugin acme 1.0.0 rejected its settings: region is required", "--backend-config"
    )
    assert "Configure accepts the settings" not in proc.stdout  # not graded: nothing could run


def test_hashes_that_do_not_fit_the_schedules_are_an_invalid_request(tmp_path: Path) -> None:
    item = job("two", "0 1 * * *", "0 2 * * *")
    backend = launch_backend(PluginIdentity("echo", str(ECHO)), {"state_path": str(tmp_path / "s.json")})
    try:
        with pytest.raises(PluginFailure) as info:
            backend.create("ops", item, ownership_hashes(item)[:1], FireSpec.build("ops", item))
        assert info.value.category == "invalid_request"
        assert "1 hashes for 2 schedules" in str(info.value)
    finally:
        backend.close()


def test_a_timestamp_no_datetime_can_hold_is_a_malformed_reply(tmp_path: Path) -> None:
    from tests.plugins.helpers import store_jobs

    state = tmp_path / "s.json"
    store_jobs(state, "ops", job("report", "0 6 * * 1"))
    doc = state.read_text().replace(
        '"runs": []',
        '"runs": [{"app": "ops", "job": "report", "run_id": "r1", '
        f'"status": "ok", "started_at": "{datetime.now(UTC).isoformat()}"}}]',
    )
    state.write_text(doc)
    plugin = install_hostile("badtime", tmp_path)
    backend = launch_backend(PluginIdentity("badtime", str(plugin)), {"state_path": str(state)})
    try:
        with pytest.raises(PluginFailure) as info:
            backend.history(HistoryQuery(app="ops", job="report"))
        assert info.value.category == "malformed"
        assert "History returned a malformed entry" in str(info.value)
    finally:
        backend.close()
