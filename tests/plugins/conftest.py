"""Fixtures for the plugin tests: the real echo plugin in a private plugin directory."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cronix.plugins.proxy import PluginBackend
from tests.plugins.helpers import ECHO, make_config, sha256_pin


@pytest.fixture(autouse=True)
def _no_plugin_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The operator's CRONIX_PLUGIN_* settings (timeouts, echo faults) stay out of tests."""
    import os

    for name in list(os.environ):
        if name.startswith("CRONIX_PLUGIN_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def echo_exe() -> Path:
    if not ECHO.exists():
        raise RuntimeError(f"{ECHO} is missing: run ./run setup (it installs the cronix-backend-echo script)")
    return ECHO


@pytest.fixture
def plugin_dir(tmp_path: Path, echo_exe: Path) -> Path:
    """A 0755 directory holding a copy of cronix-backend-echo."""
    directory = tmp_path / "plugins"
    directory.mkdir(mode=0o755)
    target = directory / "cronix-backend-echo"
    shutil.copy2(echo_exe, target)
    target.chmod(0o755)
    return directory


@pytest.fixture
def state_path(tmp_path: Path) -> Path:
    return tmp_path / "echo-state.json"


@pytest.fixture
def open_echo(tmp_path: Path, plugin_dir: Path, state_path: Path) -> Iterator[Callable[..., PluginBackend]]:
    """Open the pinned echo plugin through the real host path; closed after the test."""
    from cronix.plugins.host import open_plugin_backend

    opened: list[PluginBackend] = []

    def factory(**settings: str) -> PluginBackend:
        pins = {"echo": sha256_pin(plugin_dir / "cronix-backend-echo")}
        config, _ = make_config(tmp_path, dirs=[plugin_dir], pins=pins, trigger_bin="/opt/cronix/bin/cronix")
        backend = open_plugin_backend("echo", config, {"state_path": str(state_path), **settings})
        opened.append(backend)
        return backend

    yield factory
    for backend in opened:
        backend.close()
