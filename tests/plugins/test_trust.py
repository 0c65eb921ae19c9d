"""SHA-256 pins: unpinned and mismatched plugins are refused before anything runs."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from cronix.errors import EXIT_AUTH
from cronix.plugins.errors import PluginUntrusted
from cronix.plugins.host import open_plugin_backend
from cronix.plugins.trust import check_pin, enforce_pin, file_digest
from tests.plugins.helpers import make_config, sha256_pin, write_script

OTHER = "sha256:" + "0" * 64


def test_digest_is_the_sha256_of_the_bytes(plugin_dir: Path) -> None:
    path = plugin_dir / "cronix-backend-echo"
    assert file_digest(str(path)) == sha256_pin(path)


def test_verdicts(plugin_dir: Path) -> None:
    path = str(plugin_dir / "cronix-backend-echo")
    good = sha256_pin(plugin_dir / "cronix-backend-echo")
    assert check_pin("echo", path, {"echo": good}).status == "pinned"
    assert check_pin("echo", path, {}).status == "unpinned"
    assert check_pin("echo", path, {"echo": OTHER}).status == "mismatch"
    # A scheme this cronix does not know never matches, even with the right hex.
    assert check_pin("echo", path, {"echo": "sha512:" + good.split(":")[1]}).status == "mismatch"
    assert check_pin("echo", path, {"echo": good.upper()}).status == "mismatch"


def test_strict_refuses_unpinned_and_names_the_hash(plugin_dir: Path) -> None:
    path = plugin_dir / "cronix-backend-echo"
    with pytest.raises(PluginUntrusted) as info:
        enforce_pin("echo", str(path), {}, "strict")
    assert info.value.exit_code == EXIT_AUTH
    assert sha256_pin(path) in str(info.value)
    assert "cronix plugins pin echo" in str(info.value)


def test_mismatch_is_refused_even_in_warn_mode_with_both_hashes(plugin_dir: Path) -> None:
    path = plugin_dir / "cronix-backend-echo"
    with pytest.raises(PluginUntrusted) as info:
        enforce_pin("echo", str(path), {"echo": OTHER}, "warn")
    message = str(info.value)
    assert OTHER in message
    assert sha256_pin(path) in message


def test_warn_runs_unpinned_with_a_warning(plugin_dir: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = plugin_dir / "cronix-backend-echo"
    with caplog.at_level(logging.WARNING, logger="cronix.plugins"):
        verdict = enforce_pin("echo", str(path), {}, "warn")
    assert verdict.status == "unpinned"
    assert "running unpinned plugin echo" in caplog.text


@pytest.mark.parametrize("pins", [{}, {"acme": OTHER}], ids=["unpinned", "mismatch"])
def test_refusal_happens_before_anything_is_executed(tmp_path: Path, pins: dict[str, str]) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    marker = tmp_path / "executed"
    write_script(plugins / "cronix-backend-acme", f"open({str(marker)!r}, 'w').write('ran')\n")
    config, _ = make_config(tmp_path, dirs=[plugins], pins=pins)
    with pytest.raises(PluginUntrusted):
        open_plugin_backend("acme", config, {})
    assert not marker.exists()


def test_a_changed_binary_no_longer_matches(tmp_path: Path, plugin_dir: Path, state_path: Path) -> None:
    path = plugin_dir / "cronix-backend-echo"
    pin = sha256_pin(path)
    path.write_bytes(path.read_bytes() + b"# tampered\n")
    config, _ = make_config(tmp_path, dirs=[plugin_dir], pins={"echo": pin})
    with pytest.raises(PluginUntrusted) as info:
        open_plugin_backend("echo", config, {"state_path": str(state_path)})
    assert pin in str(info.value)
    assert sha256_pin(path) in str(info.value)
