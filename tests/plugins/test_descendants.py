"""No process a plugin started outlives it (issue 16.8): not one that called setsid(2), not
one double-forked away from it, not after cronix itself was killed with SIGKILL.

The hostile plugin ``tests/plugins/hostile/cronix-backend-setsid`` starts both kinds and
writes their pids to a file. The host contains a plugin in a cgroup where cgroup v2 lets
it, else walks the process tree from /proc; both are tested here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronix.plugins.containment import CONTAINMENT_ENV, cgroup_parent, sweep_stale_cgroups
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.process import PluginProcess
from tests.plugins.helpers import REPO, install_hostile, make_config, private_cgroup, sha256_pin
from tests.support.cli import run_cronix
from tests.support.procs import wait_until

NO_CGROUP = "cgroup v2 is not mounted writable for this user here (the tree fallback still runs)"
CONTAINMENTS = [
    pytest.param("cgroup", marks=pytest.mark.skipif(cgroup_parent() is None, reason=NO_CGROUP)),
    "tree",
]


def _live(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie (init may be slow to reap, or never)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _escapees(pidfile: Path) -> list[int]:
    wait_until(pidfile.exists, timeout=15)
    return [int(line) for line in pidfile.read_text().split()]


@pytest.fixture
def setsid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Path, Path]]:
    """The hostile plugin installed in a 0755 directory, and its pid file; leftovers are killed."""
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    pidfile = tmp_path / "escapees"
    monkeypatch.setenv("CRONIX_PLUGIN_SETSID_PIDS", str(pidfile))
    yield install_hostile("setsid", plugins), pidfile
    if pidfile.exists():  # never leave a sleep 600 behind, even when the test failed
        for pid in _escapees(pidfile):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("mode", ["stubborn", "quitter"])
@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_stopping_a_plugin_ends_every_descendant(
    setsid: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, containment: str, mode: str
) -> None:
    """stubborn ignores SIGTERM (the host kills it); quitter exits on SIGTERM, orphaning both."""
    plugin, pidfile = setsid
    monkeypatch.setenv(CONTAINMENT_ENV, containment)
    monkeypatch.setenv("CRONIX_PLUGIN_SETSID_MODE", mode)
    process = PluginProcess(PluginIdentity("setsid", str(plugin)))
    assert process.containment == containment
    escapees = _escapees(pidfile)
    assert all(_live(pid) for pid in escapees)
    assert all(os.getsid(pid) != process.pid for pid in escapees)  # out of the plugin's session
    process.stop(grace=0)
    wait_until(lambda: not any(_live(pid) for pid in [process.pid, *escapees]), timeout=5)
    if process.cgroup is not None:
        assert not os.path.exists(process.cgroup)


def test_auto_uses_a_cgroup_where_it_can(setsid: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    plugin, pidfile = setsid
    monkeypatch.setenv("CRONIX_PLUGIN_SETSID_MODE", "stubborn")
    process = PluginProcess(PluginIdentity("setsid", str(plugin)))
    try:
        assert process.containment == ("tree" if cgroup_parent() is None else "cgroup")
        _escapees(pidfile)
    finally:
        process.stop(grace=0)


def test_plugins_list_leaves_nothing_behind(tmp_path: Path, setsid: tuple[Path, Path]) -> None:
    plugin, pidfile = setsid
    _, config = make_config(tmp_path, dirs=[plugin.parent], pins={"setsid": sha256_pin(plugin)})
    proc = run_cronix("plugins", "list", "--config", str(config), env={"HOME": str(tmp_path)})
    assert proc.returncode == 0, proc.stderr
    assert "setsid" in proc.stdout
    escapees = _escapees(pidfile)
    wait_until(lambda: not any(_live(pid) for pid in escapees), timeout=5)


HUNG_HOST = """
import sys, threading, time
sys.path.insert(0, {repo!r})
from cronix.config import load_config
from cronix.plugins.host import open_plugin_backend
backend = open_plugin_backend("setsid", load_config({config!r}), {{"state_path": {state!r}, "hang_on": "List"}})
threading.Thread(target=backend.list_entries, daemon=True).start()
while "hanging in List" not in backend.process.stderr_tail():
    time.sleep(0.02)
print(backend.process.pid, flush=True)
time.sleep(300)
"""


@pytest.mark.parametrize("containment", CONTAINMENTS)
def test_a_plugin_ends_its_descendants_when_cronix_is_killed(
    tmp_path: Path, setsid: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, containment: str
) -> None:
    """SIGKILL of cronix while the plugin is inside a hung RPC: the SDK's watchdog ends it all."""
    plugin, pidfile = setsid
    monkeypatch.setenv(CONTAINMENT_ENV, containment)
    _, config = make_config(tmp_path, dirs=[plugin.parent], pins={"setsid": sha256_pin(plugin)})
    code = HUNG_HOST.format(repo=str(REPO), config=str(config), state=str(tmp_path / "state.json"))
    host = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert host.stdout is not None
    plugin_pid = 0
    try:
        plugin_pid = int(host.stdout.readline())
        escapees = _escapees(pidfile)
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        wait_until(lambda: not any(_live(pid) for pid in [plugin_pid, *escapees]), timeout=10)
    finally:
        host.stdout.close()
        if host.poll() is None:
            host.kill()
            host.wait()
        if plugin_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(plugin_pid, signal.SIGKILL)
        sweep_stale_cgroups()  # the killed host could not remove its plugin's (now empty) cgroup


STUBBORN_HOST = """
import sys, time
sys.path.insert(0, {repo!r})
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.process import PluginProcess
process = PluginProcess(PluginIdentity("setsid", {path!r}))
print(process.pid, process.cgroup, flush=True)
time.sleep(300)
"""


@pytest.mark.skipif(cgroup_parent() is None, reason=NO_CGROUP)
def test_the_next_launch_ends_what_a_killed_cronix_left_in_its_cgroup(
    setsid: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plugin without a watchdog survives SIGKILL of cronix; its cgroup still holds it all."""
    plugin, pidfile = setsid
    monkeypatch.setenv("CRONIX_PLUGIN_SETSID_MODE", "stubborn")
    code = STUBBORN_HOST.format(repo=str(REPO), path=str(plugin))
    host = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, start_new_session=True)
    assert host.stdout is not None
    plugin_pid = 0
    try:
        pid, cgroup = host.stdout.readline().split()
        plugin_pid = int(pid)
        escapees = _escapees(pidfile)
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        assert all(_live(p) for p in [plugin_pid, *escapees])  # nothing ended them yet
        sweep_stale_cgroups(grace=0.5)  # stubborn ignores the SIGTERM: killed after the grace
        wait_until(lambda: not any(_live(p) for p in [plugin_pid, *escapees]), timeout=5)
        assert not os.path.exists(cgroup)
    finally:
        host.stdout.close()
        if host.poll() is None:
            host.kill()
            host.wait()
        if plugin_pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(plugin_pid, signal.SIGKILL)


# A process in a stale cgroup (its "host" is a pid that does not exist) that ends by itself
# on SIGTERM after some cleanup — as the SDK's orderly stop does — or ignores SIGTERM.
STALE_MEMBER = """
import os, signal, sys, time
def stop(*_):
    time.sleep(0.3)                        # the orderly stop: the socket directory goes last
    os.rmdir(sys.argv[1])
    os._exit(0)
signal.signal(signal.SIGTERM, stop if sys.argv[2] == "orderly" else signal.SIG_IGN)
with open(os.path.join(sys.argv[3], "cgroup.procs"), "w") as fh:
    fh.write(str(os.getpid()))
print("in", flush=True)
time.sleep(60)
"""


@pytest.mark.skipif(cgroup_parent() is None, reason=NO_CGROUP)
@pytest.mark.parametrize("kind", ["orderly", "stubborn"])
def test_a_stale_cgroup_sweep_lets_a_stopping_plugin_finish(tmp_path: Path, kind: str) -> None:
    """The next launch used to SIGKILL a killed host's plugin in the middle of its own stop,
    leaving its socket directory behind (the flaky ``test_orphans`` case): it now asks first."""
    with private_cgroup() as parent:
        assert parent is not None
        cgroup = os.path.join(parent, f"cronix-plugin-{2**22 + 1}-1-1")  # its owner does not exist
        os.mkdir(cgroup)
        socket_dir = tmp_path / "cx-socket"
        socket_dir.mkdir()
        argv = [sys.executable, "-c", STALE_MEMBER, str(socket_dir), kind, cgroup]
        member = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        try:
            assert member.stdout is not None and member.stdout.readline() == "in\n"
            sweep_stale_cgroups(parent, grace=0.3 if kind == "stubborn" else 10)
            assert member.wait(5) == (0 if kind == "orderly" else -signal.SIGKILL)
            assert socket_dir.exists() == (kind == "stubborn")  # the orderly one finished its cleanup
            assert not os.path.exists(cgroup)
        finally:
            if member.poll() is None:
                member.kill()
                member.wait()
            if member.stdout is not None:
                member.stdout.close()
            with contextlib.suppress(OSError):
                os.rmdir(cgroup)
