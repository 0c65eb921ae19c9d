"""A plugin cannot grow cronix's memory through its output (issue 16.9).

The hostile plugin ``tests/plugins/hostile/cronix-backend-chatty`` writes one stderr line
without end; cronix relays the head of a line, drops the rest, and keeps a bounded tail.
Memory is measured as the peak RSS of a real host process (``VmHWM`` from /proc).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cronix.plugins.errors import PluginIdentity
from cronix.plugins.process import MAX_LINE_BYTES, PluginProcess
from tests.plugins.helpers import REPO, install_hostile, make_config, sha256_pin
from tests.support.cli import CRONIX
from tests.support.procs import wait_until

FLOOD = 96 * 1024 * 1024

HOST = """
import json, sys, time
sys.path.insert(0, {repo!r})
from cronix.plugins.errors import PluginIdentity
from cronix.plugins.host import launch_backend
from tests.plugins.helpers import peak_rss_kib
backend = launch_backend(PluginIdentity("chatty", {path!r}), {{"state_path": {state!r}}})
backend.list_entries()
deadline = time.monotonic() + 60
while "flood done" not in backend.process.stderr_tail() and time.monotonic() < deadline:
    time.sleep(0.05)
tail = backend.process.stderr_tail()
backend.close()
print(json.dumps({{"peak_kib": peak_rss_kib(), "tail": tail}}))
"""


def _host_run(tmp_path: Path, plugin: Path, flood: int) -> dict[str, Any]:
    code = HOST.format(repo=str(REPO), path=str(plugin), state=str(tmp_path / f"state-{flood}.json"))
    env = {**os.environ, "CRONIX_PLUGIN_CHATTY_FLOOD": str(flood)}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def test_an_endless_stderr_line_does_not_grow_the_host(tmp_path: Path) -> None:
    plugin = install_hostile("chatty", tmp_path)
    quiet = _host_run(tmp_path, plugin, 0)
    flooded = _host_run(tmp_path, plugin, FLOOD)
    assert "flood done" in str(flooded["tail"])
    grown_kib = flooded["peak_kib"] - quiet["peak_kib"]
    # Holding the line would cost at least its 96 MiB; a bounded relay costs next to nothing.
    assert grown_kib < 16 * 1024, f"peak RSS grew by {grown_kib} KiB for a {FLOOD >> 20} MiB line"


def test_the_relayed_line_and_the_tail_are_capped(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    plugin = install_hostile("chatty", tmp_path)
    os.environ["CRONIX_PLUGIN_CHATTY_FLOOD"] = str(1024 * 1024)
    try:
        with caplog.at_level(logging.INFO, logger="cronix.plugin.chatty"):
            process = PluginProcess(PluginIdentity("chatty", str(plugin)))
            try:
                process.wait_handshake(10)
                wait_until(lambda: "flood done" in process.stderr_tail(), timeout=30)
            finally:
                process.stop(grace=0)
    finally:
        del os.environ["CRONIX_PLUGIN_CHATTY_FLOOD"]
    long_lines = [r.getMessage() for r in caplog.records if "xxxx" in r.getMessage()]
    assert len(long_lines) == 1
    assert len(long_lines[0]) < MAX_LINE_BYTES + 200
    assert long_lines[0].endswith(f"[line longer than {MAX_LINE_BYTES} bytes; the rest was dropped]")
    assert len(process.stderr_tail()) <= 301


@pytest.mark.slow
def test_plugins_list_over_many_endless_plugins(tmp_path: Path) -> None:
    """Every copy floods stderr without end, for a second before it even serves, while
    ``plugins list`` asks each for its version (before the fix: a MemoryError in the relay
    thread at the 2 GiB cap, 223 MiB peak even without the delay)."""
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    names = [f"chatty-{i}" for i in range(4)]
    pins = {n: sha256_pin(install_hostile("chatty", plugins, n)) for n in names}
    _, config = make_config(tmp_path, dirs=[plugins], pins=pins)
    # Measure the peak RSS of cronix and its plugins (RUSAGE_CHILDREN of a wrapper), under
    # an address-space cap so that a regression fails fast instead of exhausting the machine.
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "cap = 2 << 30\n"
        "limit = lambda: resource.setrlimit(resource.RLIMIT_AS, (cap, cap))\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True, preexec_fn=limit)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps({'rc': p.returncode, 'out': p.stdout, 'err': p.stderr, 'peak_kib': peak}))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRONIX_")}
    env.update({f"CRONIX_PLUGIN_{n.upper().replace('-', '_')}_DELAY": "1" for n in names})
    proc = subprocess.run(
        [sys.executable, "-c", wrapper, CRONIX, "plugins", "list", "--config", str(config), "-o", "json"],
        capture_output=True,
        text=True,
        env={**env, "HOME": str(tmp_path)},
        timeout=300,
        check=False,
    )
    result = json.loads(proc.stdout)
    assert result["rc"] == 0, result["err"][-2000:]
    assert "Traceback" not in result["err"], result["err"][-2000:]  # e.g. a relay thread's MemoryError
    rows = {r["name"]: r for r in json.loads(result["out"])["plugins"]}
    assert {n: rows[n]["version"] for n in names} == dict.fromkeys(names, "1.0.0")
    assert result["peak_kib"] < 128 * 1024, result["peak_kib"]  # 45 MiB measured
