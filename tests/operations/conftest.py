"""Fixtures for the operations tests: the throwaway scratch type, and the echo plugin configured
in a real cronix.yaml (pinned, in a private plugin directory)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.operations.scratch_backend import register_scratch, unregister_scratch
from tests.plugins.helpers import ECHO, sha256_pin
from tests.reconcile.conftest import manifest_doc


@pytest.fixture
def scratch() -> Iterator[str]:
    register_scratch()
    yield "scratch"
    unregister_scratch()


def write_config(tmp: Path, **doc: Any) -> Path:
    path = tmp / "cronix.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return path


def write_manifest(tmp: Path, app: str, *jobs: dict[str, Any]) -> Path:
    path = tmp / f"{app}.json"
    path.write_text(json.dumps(manifest_doc(app, *jobs)))
    return path


@pytest.fixture
def echo_config(tmp_path: Path) -> dict[str, Any]:
    """cronix.yaml settings under which ``--backend echo`` runs the real, pinned echo plugin."""
    plugin_dir = tmp_path / "plugins"
    plugin_dir.mkdir(mode=0o755)
    target = plugin_dir / "cronix-backend-echo"
    shutil.copy2(ECHO, target)
    target.chmod(0o755)
    return {
        "plugins": {
            "dirs": [str(plugin_dir)],
            "pins": {"echo": sha256_pin(target)},
            "config": {"echo": {"state_path": str(tmp_path / "echo-state.json")}},
        }
    }
