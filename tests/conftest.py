"""Session-wide fixtures shared by every test area.

Area-specific fixtures live in ``tests/<area>/conftest.py``; real components (Redis,
HTTP servers, cron) are started from ``tests/support``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.redis_server import RedisServer, redis_server

# Property tests are deterministic by default so a CI run never fails on an example no
# earlier run met; HYPOTHESIS_PROFILE=explore searches fresh random examples instead.
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the whole session; tests use their own key prefixes or FLUSHDB."""
    with redis_server(tmp_path_factory.mktemp("redis")) as server:
        yield server


@pytest.fixture(autouse=True)
def _clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the operator's own cronix settings out of tests."""
    for name in ("CRONIX_CONFIG", "CRONIX_JOB_SPEC_DIR", "CRONIX_PLUGIN_DIR", "NO_COLOR", "CRONIX_DEBUG"):
        monkeypatch.delenv(name, raising=False)
