"""``cronix plugins list|pin|check`` and ``cronix conformance backend|plugin``, run as an operator would."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.plugins.helpers import ECHO, make_config, sha256_pin, write_script
from tests.support.cli import assert_one_line_error, run_cronix


@pytest.fixture
def layout(tmp_path: Path, plugin_dir: Path) -> dict[str, Path]:
    """Two plugin dirs: the first has echo, the second a shadowed echo, a built-in name,
    an unsafe plugin and an unpinned one."""
    second = tmp_path / "second"
    second.mkdir(mode=0o755)
    write_script(second / "cronix-backend-echo", "print('shadowed')\n")
    write_script(second / "cronix-backend-crontab", "print('never')\n")
    unsafe = write_script(second / "cronix-backend-loose", "print('never')\n")
    unsafe.chmod(0o777)
    write_script(second / "cronix-backend-acme", "open('/dev/null')\n")
    return {"first": plugin_dir, "second": second}


def _env(tmp_path: Path, layout: dict[str, Path]) -> dict[str, str]:
    pins = {"echo": sha256_pin(layout["first"] / "cronix-backend-echo")}
    _, path = make_config(tmp_path, dirs=[layout["first"], layout["second"]], pins=pins)
    return {"CRONIX_CONFIG": str(path), "HOME": str(tmp_path / "home")}


def test_plugins_list_json(tmp_path: Path, layout: dict[str, Path]) -> None:
    proc = run_cronix("plugins", "list", "-o", "json", env=_env(tmp_path, layout))
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["dirs"][:2] == [str(layout["first"]), str(layout["second"])]
    rows = {(r["name"], r["path"]): r for r in doc["plugins"]}
    echo = rows[("echo", str(layout["first"] / "cronix-backend-echo"))]
    assert (echo["status"], echo["pin"], echo["version"]) == ("active", "pinned", "1.0.0")
    assert echo["sha256"] == sha256_pin(layout["first"] / "cronix-backend-echo")
    shadowed = rows[("echo", str(layout["second"] / "cronix-backend-echo"))]
    assert (shadowed["status"], shadowed["detail"]) == ("shadowed", echo["path"])
    assert rows[("crontab", str(layout["second"] / "cronix-backend-crontab"))]["status"] == "builtin"
    loose = rows[("loose", str(layout["second"] / "cronix-backend-loose"))]
    assert loose["status"] == "unsafe"
    assert "group- or world-writable" in loose["detail"]
    acme = rows[("acme", str(layout["second"] / "cronix-backend-acme"))]
    # Unpinned under strict trust: listed with its hash, but never run to ask its version.
    assert (acme["status"], acme["pin"], acme["version"]) == ("active", "unpinned", "")


def test_plugins_list_table(tmp_path: Path, layout: dict[str, Path]) -> None:
    proc = run_cronix("plugins", "list", env={**_env(tmp_path, layout), "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "PIN", "STATUS", "PATH"]
    echo = next(line for line in lines if line.startswith("echo") and "1.0.0" in line)
    assert "pinned" in echo
    assert "active" in echo
    assert any("shadowed by" in line for line in lines)
    assert any("never used: built-in name" in line for line in lines)
    assert any(line.startswith("loose") and "refused:" in line for line in lines)


def test_plugins_pin_prints_and_records(tmp_path: Path, plugin_dir: Path, state_path: Path) -> None:
    config = tmp_path / "conf" / "cronix.yaml"
    env = {"CRONIX_PLUGIN_DIR": str(plugin_dir), "CRONIX_CONFIG": str(config), "HOME": str(tmp_path)}
    pin = sha256_pin(plugin_dir / "cronix-backend-echo")
    printed = run_cronix("plugins", "pin", "echo", env=env)
    assert printed.returncode == 2  # the named config file does not exist yet
    written = run_cronix("plugins", "pin", "echo", "--write", env=env)
    assert written.returncode == 0, written.stderr
    assert written.stdout.strip() == pin
    assert str(config) in written.stderr
    assert oct(config.stat().st_mode & 0o777) == oct(0o600)
    # The recorded pin is what lets the plugin run under strict trust.
    check = run_cronix("plugins", "check", "echo", "--backend-config", f"state_path={state_path}", env=env)
    assert check.returncode == 0, check.stderr
    assert "plugin echo 1.0.0" in check.stdout
    assert run_cronix("plugins", "pin", "echo", env=env).stdout.strip() == pin


def test_plugins_pin_refuses_to_drop_comments(tmp_path: Path, plugin_dir: Path) -> None:
    config = tmp_path / "cronix.yaml"
    config.write_text("# my notes\nlog_level: info\n")
    env = {"CRONIX_PLUGIN_DIR": str(plugin_dir), "CRONIX_CONFIG": str(config)}
    proc = run_cronix("plugins", "pin", "echo", "--write", env=env)
    assert_one_line_error(proc, 2, "has comments that rewriting it would lose", 'echo: "sha256:')
    assert config.read_text() == "# my notes\nlog_level: info\n"


def test_plugins_pin_unknown_and_unsafe(tmp_path: Path, layout: dict[str, Path]) -> None:
    env = _env(tmp_path, layout)
    assert_one_line_error(run_cronix("plugins", "pin", "nope", env=env), 2, "unknown backend 'nope'")
    assert_one_line_error(run_cronix("plugins", "pin", "loose", env=env), 4, "refusing plugin loose")


def test_plugins_check_json(tmp_path: Path, layout: dict[str, Path], state_path: Path) -> None:
    proc = run_cronix(
        "plugins",
        "check",
        "echo",
        "-o",
        "json",
        "--backend-config",
        f"state_path={state_path}",
        env=_env(tmp_path, layout),
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert (doc["name"], doc["version"], doc["ok"], doc["entries"]) == ("echo", "1.0.0", True, 0)
    assert doc["capabilities"] == ["adopt", "drift-detection", "every", "history", "timezones"]


def test_plugins_check_reports_prerequisite_errors(tmp_path: Path, layout: dict[str, Path]) -> None:
    proc = run_cronix(
        "plugins",
        "check",
        "echo",
        "--backend-config",
        f"state_path={tmp_path}/missing/dir/state.json",
        env=_env(tmp_path, layout),
    )
    assert proc.returncode == 3
    assert "state directory" in proc.stderr
    assert "does not exist" in proc.stderr


def test_config_settings_are_merged_under_flags(tmp_path: Path, plugin_dir: Path, state_path: Path) -> None:
    pins = {"echo": sha256_pin(plugin_dir / "cronix-backend-echo")}
    settings = {"echo": {"state_path": str(state_path), "fail_rpc": "List"}}
    _, path = make_config(tmp_path, dirs=[plugin_dir], pins=pins, settings=settings)
    env = {"CRONIX_CONFIG": str(path)}
    failing = run_cronix("plugins", "check", "echo", env=env)
    assert_one_line_error(failing, 3, "List failed: UNAVAILABLE: injected failure of List")
    fixed = run_cronix("plugins", "check", "echo", "--backend-config", "fail_rpc=", env=env)
    assert fixed.returncode == 0, fixed.stderr


def test_conformance_backend_echo_passes(tmp_path: Path, layout: dict[str, Path]) -> None:
    proc = run_cronix(
        "conformance",
        "backend",
        "--backend",
        "echo",
        "--backend-config",
        "state_path={tmp}/state.json",
        env=_env(tmp_path, layout),
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert all(line.startswith("PASS") for line in lines[:-1]), proc.stdout
    assert lines[-1] == "13 total / 13 passed / 0 failed / 0 skipped"
    assert "foreign entries are never listed or touched" in proc.stdout
    assert "adopt: dry run, adopt, already managed, divergence, no candidate" in proc.stdout


def test_conformance_plugin_echo_passes(tmp_path: Path) -> None:
    proc = run_cronix(
        "conformance",
        "plugin",
        str(ECHO),
        "--backend-config",
        "state_path={tmp}/state.json",
        cwd=str(tmp_path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[-1] == "21 total / 21 passed / 0 failed / 0 skipped"
    for check in (
        "handshake: first stdout line matches the grammar",
        "grpc.health: '' and the Backend service are SERVING",
        "calls before Configure fail with FAILED_PRECONDITION",
        "a second Configure fails with FAILED_PRECONDITION",
        "Shutdown: exits with status 0 within 5 s",
        "exits when the process that started it is killed",
    ):
        assert f"PASS  plugin    {check}" in lines


def test_conformance_plugin_grades_a_broken_plugin(tmp_path: Path) -> None:
    """A plugin that talks on stdout before its handshake fails the first check."""
    wrapper = write_script(
        tmp_path / "cronix-backend-echo",
        f"import os\nos.environ['CRONIX_PLUGIN_ECHO_FAULT'] = 'noise'\nos.execv({str(ECHO)!r}, [{str(ECHO)!r}])\n",
    )
    proc = run_cronix("conformance", "plugin", str(wrapper), "--backend-config", "state_path={tmp}/s.json")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[0].startswith("FAIL  plugin    handshake")
    assert "exits when the process that started it is killed" in proc.stdout
    assert "cronix: error: " in proc.stderr


def test_conformance_backend_unknown_plugin(tmp_path: Path) -> None:
    proc = run_cronix(
        "conformance",
        "backend",
        "--backend",
        "nope",
        env={"HOME": str(tmp_path), "CRONIX_PLUGIN_DIR": str(tmp_path)},
    )
    assert_one_line_error(proc, 2, "unknown backend 'nope'")


def test_conformance_bad_backend_config(tmp_path: Path) -> None:
    proc = run_cronix("conformance", "plugin", str(ECHO), "--backend-config", "novalue")
    assert_one_line_error(proc, 2, "--backend-config expects KEY=VALUE, got 'novalue'")
