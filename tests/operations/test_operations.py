"""The operations layer's own promises: one backend per command opened and closed once, every
manifest validated before any is applied, prune only through ownership checks, adopt from
the configured sources."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

from cronix.errors import BackendError, UsageError
from cronix.operations import Overrides, Workspace, adopt, apply_all, list_owned, prune
from cronix.reconcile import BackendInvalid
from tests.operations.conftest import write_config, write_manifest
from tests.plugins.helpers import rpc_log, wait_for_rpc
from tests.reconcile.conftest import BIN, REF, job


def _crontab_ws(tmp_path: Path, **config: Any) -> Workspace:
    path = write_config(tmp_path, trigger_bin=BIN, **config)
    return Workspace(
        Overrides(
            config_path=str(path),
            options={"crontab": {"path": str(tmp_path / "crontab")}},
            spec_dir=str(tmp_path / "jobs"),
            lock_path=str(tmp_path / "apply.lock"),
            secret_refs=(REF,),
        )
    )


def _sources(tmp_path: Path, *manifests: Path) -> list[dict[str, str]]:
    return [{"app": json.loads(m.read_text())["app"], "url": str(m), "secret_refs": [REF]} for m in manifests]


def test_every_manifest_is_validated_before_any_is_applied(tmp_path: Path) -> None:
    good = write_manifest(tmp_path, "billing", job("nightly", "0 1 * * *"))
    bad = write_manifest(tmp_path, "reports", job("often", "@every 7m"))
    ws = _crontab_ws(tmp_path, manifest_sources=_sources(tmp_path, good, bad))
    with pytest.raises(BackendInvalid, match=r"reports\.often schedules/0"):
        apply_all(ws)
    assert not (tmp_path / "crontab").exists()
    assert not (tmp_path / "jobs").exists()


def test_two_sources_of_one_app_are_refused(tmp_path: Path) -> None:
    one = write_manifest(tmp_path, "billing", job("nightly"))
    ws = _crontab_ws(tmp_path, manifest_sources=_sources(tmp_path, one, one))
    with pytest.raises(UsageError, match='app "billing" is declared by more than one manifest source'):
        apply_all(ws)


def test_several_sources_share_one_plugin_process(
    tmp_path: Path, echo_config: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    first = write_manifest(tmp_path, "billing", job("nightly"))
    second = write_manifest(tmp_path, "reports", job("weekly", "@weekly"))
    config = write_config(tmp_path, manifest_sources=_sources(tmp_path, first, second), **echo_config)
    outcomes = apply_all(Workspace(Overrides(config_path=str(config), backend="echo")))
    assert [o.result.created for o in outcomes if o.result] == [["nightly"], ["weekly"]]
    wait_for_rpc(caplog, "Create", 2)
    calls = rpc_log(caplog)
    assert calls.count("Configure") == 1 and calls.count("List") == 1


def test_the_backend_is_closed_exactly_once_even_when_the_operation_fails(tmp_path: Path) -> None:
    ws = Workspace(Overrides(backend="memory"))
    with ws.open_backend() as backend:
        pass
    assert backend.closed == 1  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError), ws.open_backend() as failing:
        raise RuntimeError("boom")
    assert failing.closed == 1  # type: ignore[attr-defined]


def test_prune_deletes_nothing_when_an_entry_is_no_longer_confirmed(
    tmp_path: Path, echo_config: dict[str, Any]
) -> None:
    manifest = write_manifest(tmp_path, "billing", job("nightly"), job("hourly"))
    config = write_config(tmp_path, **echo_config)
    ws = Workspace(
        Overrides(config_path=str(config), backend="echo", manifest=str(manifest), secret_refs=(REF,))
    )
    apply_all(ws)
    state = Path(echo_config["plugins"]["config"]["echo"]["state_path"])
    before = state.read_bytes()
    disowning = Workspace(
        Overrides(config_path=str(config), backend="echo", settings={"disown": "billing.nightly"})
    )
    with pytest.raises(BackendError, match=r"billing\.nightly is no longer confirmed.*nothing was deleted"):
        prune(disowning)
    assert state.read_bytes() == before
    assert len(prune(ws).jobs) == 2 and list_owned(ws).entries == []


def test_prune_asks_with_what_it_will_delete_and_a_refusal_deletes_nothing(tmp_path: Path) -> None:
    ws = _crontab_ws(tmp_path)
    manifest = write_manifest(tmp_path, "billing", job("nightly"))
    apply_all(Workspace(Overrides(**{**_fields(ws.overrides), "manifest": str(manifest)})))
    seen = []

    def refuse(plan: Any) -> bool:
        seen.append(plan.jobs)
        return False

    with pytest.raises(UsageError, match="prune: aborted, nothing was deleted"):
        prune(ws, confirm=refuse)
    assert seen == [[("billing", "nightly")]]
    assert len(list_owned(ws).entries) == 1


def test_adopt_finds_the_manifest_in_the_configured_sources(tmp_path: Path) -> None:
    manifest = write_manifest(tmp_path, "billing", job("nightly", "30 2 * * *"))
    ws = _crontab_ws(tmp_path, manifest_sources=_sources(tmp_path, manifest))
    (tmp_path / "crontab").write_text(f"30 2 * * * {BIN} trigger billing.nightly\n")
    adoption = adopt(ws, "billing.nightly")
    assert adoption.result.adopted and adoption.failure() is None
    assert "# cronix:owned app=billing job=nightly" in (tmp_path / "crontab").read_text()
    # The adopted entry runs cronix trigger, so its spec file is written too.
    assert (tmp_path / "jobs" / "billing.nightly.json").exists()
    with pytest.raises(UsageError, match="adopt needs the manifest of reports"):
        adopt(ws, "reports.weekly")


def _fields(overrides: Overrides) -> dict[str, Any]:
    from dataclasses import fields

    return {f.name: getattr(overrides, f.name) for f in fields(overrides)}


def test_a_broken_section_of_an_unused_backend_is_still_a_config_error(tmp_path: Path) -> None:
    from cronix.errors import ConfigError

    ws = _crontab_ws(tmp_path, backends={"spare": {"type": "crontab", "pathh": "/x"}})
    with pytest.raises(ConfigError, match=r"backends\.spare\.pathh: unknown key"):
        list_owned(ws)
