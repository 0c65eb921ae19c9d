"""No plugin process outlives cronix — not even when cronix is killed with SIGKILL."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronix.plugins.contract import ENV_MAGIC_COOKIE, MAGIC_COOKIE
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.process import PluginProcess
from tests.plugins.helpers import (
    ECHO,
    REPO,
    kill_leftovers,
    make_config,
    private_cgroup,
    session_members,
    sha256_pin,
)
from tests.support.procs import wait_until

# The host first joins the test's own cgroup (when there is one), so that its plugin's
# cgroup is swept by nobody else while the plugin stops (tests/plugins/helpers.private_cgroup).
JOIN = """
import os
if {cgroup!r}:
    with open(os.path.join({cgroup!r}, "cgroup.procs"), "w") as fh:
        fh.write(str(os.getpid()))
"""

HOST = (
    JOIN
    + """
import sys, time
sys.path.insert(0, {repo!r})
from cronix.config import load_config
from cronix.plugins.host import open_plugin_backend
backend = open_plugin_backend("echo", load_config({config!r}), {{"state_path": {state!r}}})
backend.list_entries()
print(backend.process.pid, backend.process.socket_dir, flush=True)
time.sleep(300)
"""
)

# The host is inside a call the plugin never answers (echo's hang_on=List) when it is killed.
HUNG_HOST = (
    JOIN
    + """
import sys, threading, time
sys.path.insert(0, {repo!r})
from cronix.config import load_config
from cronix.plugins.host import open_plugin_backend
backend = open_plugin_backend("echo", load_config({config!r}), {{"state_path": {state!r}, "hang_on": "List"}})
threading.Thread(target=backend.list_entries, daemon=True).start()
while "hanging in List" not in backend.process.stderr_tail():
    time.sleep(0.02)
print(backend.process.pid, backend.process.socket_dir, flush=True)
time.sleep(300)
"""
)


@pytest.fixture
def stack() -> Iterator[contextlib.ExitStack]:
    with contextlib.ExitStack() as exits:
        yield exits


@pytest.mark.parametrize("host", [HOST, HUNG_HOST], ids=["between-rpcs", "inside-a-hung-rpc"])
def test_plugin_exits_when_cronix_is_killed_with_sigkill(
    tmp_path: Path, plugin_dir: Path, host: str, stack: contextlib.ExitStack
) -> None:
    """Also when the RPC thread is stuck in the backend: the watchdog ends the process anyway,
    and removes its socket directory itself (no host is left to do it)."""
    _, config = make_config(
        tmp_path, dirs=[plugin_dir], pins={"echo": sha256_pin(plugin_dir / "cronix-backend-echo")}
    )
    cgroup = stack.enter_context(private_cgroup())
    code = host.format(repo=str(REPO), config=str(config), state=str(tmp_path / "state.json"), cgroup=cgroup)
    host = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert host.stdout is not None
    plugin_pid = 0
    try:
        pid, socket_dir = host.stdout.readline().split()
        plugin_pid = int(pid)
        # The plugin runs in a session of its own, so killing cronix's group cannot reach it.
        assert session_members(plugin_pid) == [plugin_pid]
        assert session_members(host.pid) == [host.pid]
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        started = time.monotonic()
        wait_until(lambda: session_members(plugin_pid) == [], timeout=10)
        assert time.monotonic() - started < 5
        # Nobody is left to remove the socket directory but the plugin itself.
        assert not os.path.exists(socket_dir)
    finally:
        host.stdout.close()
        if host.poll() is None:
            host.kill()
            host.wait()
        kill_leftovers(plugin_pid)


def test_plugin_exits_when_idle(tmp_path: Path) -> None:
    process = PluginProcess(PluginIdentity("echo", str(ECHO)), idle_timeout=1)
    try:
        process.wait_handshake(10)
        assert process.wait_exit(10) == 0
    finally:
        process.stop(grace=0)
    assert "idle for 1 s" in process.stderr_tail(1.0)


def test_sigterm_is_a_graceful_stop(tmp_path: Path) -> None:
    process = PluginProcess(PluginIdentity("echo", str(ECHO)))
    try:
        process.wait_handshake(10)
        os.kill(process.pid, signal.SIGTERM)
        assert process.wait_exit(10) == 0
    finally:
        process.stop(grace=0)


def test_a_plugin_started_by_hand_explains_itself() -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_MAGIC_COOKIE}
    proc = subprocess.run([str(ECHO)], capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "cronix-backend-echo is a cronix backend plugin" in proc.stderr
    assert "not meant to be run by hand" in proc.stderr


def test_a_plugin_without_a_socket_directory_says_so() -> None:
    env = {**os.environ, ENV_MAGIC_COOKIE: MAGIC_COOKIE, "CRONIX_PLUGIN_SOCKET_DIR": "/nonexistent/cx"}
    proc = subprocess.run([str(ECHO)], capture_output=True, text=True, env=env, timeout=30, check=False)
    assert proc.returncode == 1
    assert "CRONIX_PLUGIN_SOCKET_DIR is not set to an existing directory" in proc.stderr
