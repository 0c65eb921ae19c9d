"""Discovery: search order, shadowing, built-in names, and refusing unsafe files."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cronix.errors import EXIT_AUTH, EXIT_USAGE
from cronix.plugins.discovery import SYSTEM_DIR, find_plugin, safety_problem, scan, search_dirs
from cronix.plugins.errors import PluginNotFound, PluginUntrusted


def _plugin(directory: Path, name: str, mode: int = 0o755) -> Path:
    directory.mkdir(mode=0o755, parents=True, exist_ok=True)
    path = directory / f"cronix-backend-{name}"
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(mode)
    return path


def test_search_order_config_then_env_then_home_then_system(tmp_path: Path) -> None:
    env = {"CRONIX_PLUGIN_DIR": f"{tmp_path}/e1{os.pathsep}{tmp_path}/e2", "HOME": str(tmp_path / "home")}
    dirs = search_dirs([str(tmp_path / "cfg")], environ=env)
    assert dirs == [
        str(tmp_path / "cfg"),
        str(tmp_path / "e1"),
        str(tmp_path / "e2"),
        str(tmp_path / "home" / ".cronix" / "plugins"),
        SYSTEM_DIR,
    ]


def test_duplicate_directories_are_searched_once(tmp_path: Path) -> None:
    env = {"CRONIX_PLUGIN_DIR": str(tmp_path / "d"), "HOME": str(tmp_path)}
    assert search_dirs([str(tmp_path / "d")], environ=env).count(str(tmp_path / "d")) == 1


def test_first_hit_wins_and_later_hits_are_shadowed(tmp_path: Path) -> None:
    first = _plugin(tmp_path / "a", "acme")
    second = _plugin(tmp_path / "b", "acme")
    found = scan([str(tmp_path / "a"), str(tmp_path / "b")])
    assert [(c.path, c.status) for c in found] == [(str(first), "active"), (str(second), "shadowed")]
    assert found[1].detail == str(first)
    assert find_plugin("acme", [str(tmp_path / "a"), str(tmp_path / "b")]).path == str(first)


def test_a_plugin_never_shadows_a_builtin(tmp_path: Path) -> None:
    _plugin(tmp_path / "a", "crontab")
    found = scan([str(tmp_path / "a")])
    assert [c.status for c in found] == ["builtin"]
    with pytest.raises(PluginNotFound, match="crontab is a built-in backend"):
        find_plugin("crontab", [str(tmp_path / "a")])


def test_invalid_names_are_listed_but_never_used(tmp_path: Path) -> None:
    _plugin(tmp_path / "a", "Bad_Name")
    assert [c.status for c in scan([str(tmp_path / "a")])] == ["invalid-name"]
    with pytest.raises(PluginNotFound, match="invalid plugin name"):
        find_plugin("Bad_Name", [str(tmp_path / "a")])


def test_not_found_names_every_directory(tmp_path: Path) -> None:
    with pytest.raises(PluginNotFound) as info:
        find_plugin("acme", [str(tmp_path / "x"), str(tmp_path / "y")])
    assert info.value.exit_code == EXIT_USAGE
    assert str(tmp_path / "x") in str(info.value)
    assert str(tmp_path / "y") in str(info.value)
    assert "cronix-backend-acme" in str(info.value)


@pytest.mark.parametrize("mode", [0o775, 0o757], ids=["group-writable", "world-writable"])
def test_writable_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = _plugin(tmp_path / "a", "acme", mode=mode)
    assert "group- or world-writable" in safety_problem(str(path))
    with pytest.raises(PluginUntrusted) as info:
        find_plugin("acme", [str(tmp_path / "a")])
    assert info.value.exit_code == EXIT_AUTH
    assert "refusing plugin acme" in str(info.value)


def test_file_in_a_writable_directory_is_refused(tmp_path: Path) -> None:
    path = _plugin(tmp_path / "a", "acme")
    (tmp_path / "a").chmod(0o777)
    assert "which is group- or world-writable" in safety_problem(str(path))
    assert [c.status for c in scan([str(tmp_path / "a")])] == ["unsafe"]


def test_symlink_target_in_a_writable_directory_is_refused(tmp_path: Path) -> None:
    target = _plugin(tmp_path / "loose", "acme")
    (tmp_path / "loose").chmod(0o1777)  # sticky does not make it safe
    (tmp_path / "safe").mkdir(mode=0o755)
    (tmp_path / "safe" / "cronix-backend-acme").symlink_to(target)
    problem = safety_problem(str(tmp_path / "safe" / "cronix-backend-acme"))
    assert str(tmp_path / "loose") in problem


def test_symlinks_resolve_to_what_is_run(tmp_path: Path) -> None:
    target = _plugin(tmp_path / "real", "acme")
    (tmp_path / "safe").mkdir(mode=0o755)
    (tmp_path / "safe" / "cronix-backend-acme").symlink_to(target)
    found = find_plugin("acme", [str(tmp_path / "safe")])
    assert found.resolved == str(target)


def test_not_executable_and_not_a_file(tmp_path: Path) -> None:
    path = _plugin(tmp_path / "a", "acme", mode=0o644)
    assert "not executable" in safety_problem(str(path))  # even root needs an x bit
    (tmp_path / "b" / "cronix-backend-dir").mkdir(parents=True)
    assert "not a regular file" in safety_problem(str(tmp_path / "b" / "cronix-backend-dir"))


def test_missing_directories_are_skipped(tmp_path: Path) -> None:
    assert scan([str(tmp_path / "nope")]) == []


def test_copy_of_echo_is_active(plugin_dir: Path) -> None:
    (found,) = scan([str(plugin_dir)])
    assert (found.name, found.status) == ("echo", "active")
    shutil.rmtree(plugin_dir)
    assert scan([str(plugin_dir)]) == []
