"""A pin covers what runs (issue 16.25): for a plugin pip installed as a console script —
a three-line launcher — also every file its distribution's RECORD lists.

The plugin here is ``tests/plugins/dists/tamperplug``, installed with the real pip into a
fresh venv per test; the tests then change its code the way an upgrade or an intruder
would, under an unchanged launcher.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import yaml

from cronix.config import _PIN as _CONFIG_PIN
from cronix.config import parse_config
from cronix.errors import EXIT_AUTH, ConfigError
from cronix.plugins.errors import PluginUntrusted
from cronix.plugins.host import open_plugin_backend
from cronix.plugins.trust import PIN_PATTERN, check_pin
from tests.plugins.helpers import ECHO, make_config, pip_install_tamper, sha256_pin
from tests.support.cli import run_cronix

MARKER_CODE = "\nimport pathlib; pathlib.Path({marker!r}).write_text('ran')\n"


@pytest.fixture
def tamper(tmp_path: Path) -> tuple[Path, Path]:
    return pip_install_tamper(tmp_path)


def _pin_with_cli(tmp_path: Path, launcher: Path) -> tuple[str, Path]:
    """``cronix plugins pin tamper --write``, as an operator runs it; (the pin, cronix.yaml)."""
    config = tmp_path / "cronix.yaml"
    config.write_text(yaml.safe_dump({"plugins": {"dirs": [str(launcher.parent)]}}), encoding="utf-8")
    proc = run_cronix(
        "plugins", "pin", "tamper", "--write", "--config", str(config), env={"HOME": str(tmp_path)}
    )
    assert proc.returncode == 0, proc.stderr
    pin = proc.stdout.strip()
    assert yaml.safe_load(config.read_text())["plugins"]["pins"]["tamper"] == pin
    return pin, config


def test_the_written_pin_covers_the_distribution_and_the_plugin_runs(
    tmp_path: Path, tamper: tuple[Path, Path]
) -> None:
    launcher, _ = tamper
    pin, config = _pin_with_cli(tmp_path, launcher)
    assert PIN_PATTERN.fullmatch(pin)
    executable, _, record = pin.partition(";record=")
    assert executable == sha256_pin(launcher)
    assert record.startswith("sha256:")
    proc = run_cronix(
        "plugins", "check", "tamper", "--config", str(config),
        "--backend-config", f"state_path={tmp_path}/state.json", env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "plugin tamper 1.0.0" in proc.stdout


def test_changed_code_under_an_unchanged_launcher_is_refused_before_it_runs(
    tmp_path: Path, tamper: tuple[Path, Path]
) -> None:
    launcher, module = tamper
    pin, _ = _pin_with_cli(tmp_path, launcher)
    marker = tmp_path / "executed"
    with module.open("a", encoding="utf-8") as fh:
        fh.write(MARKER_CODE.format(marker=str(marker)))
    config, _ = make_config(tmp_path, dirs=[launcher.parent], pins={"tamper": pin})
    assert sha256_pin(launcher) == pin.partition(";")[0]  # the launcher itself is untouched
    with pytest.raises(PluginUntrusted) as info:
        open_plugin_backend("tamper", config, {"state_path": str(tmp_path / "state.json")})
    assert info.value.exit_code == EXIT_AUTH
    message = str(info.value)
    assert str(module) in message
    assert "does not match the hash its RECORD lists" in message
    assert "reinstall cronix-backend-tamper 1.0.0" in message
    assert not marker.exists()


def test_an_upgrade_changes_the_record_and_asks_for_a_new_pin(
    tmp_path: Path, tamper: tuple[Path, Path]
) -> None:
    """A reinstall with other code writes a new RECORD: refused, and re-pinning is the way."""
    launcher, _ = tamper
    pin, _ = _pin_with_cli(tmp_path, launcher)
    pip_install_tamper(tmp_path, append="\n# 1.0.0 with a local fix\n")
    config, _ = make_config(tmp_path, dirs=[launcher.parent], pins={"tamper": pin})
    verdict = check_pin("tamper", str(launcher), config.plugins.pins)
    assert verdict.status == "mismatch"
    assert "the RECORD of cronix-backend-tamper 1.0.0 changed" in verdict.detail
    with pytest.raises(PluginUntrusted, match="re-pin with 'cronix plugins pin tamper --write'"):
        open_plugin_backend("tamper", config, {"state_path": str(tmp_path / "state.json")})
    new_pin, _ = _pin_with_cli(tmp_path, launcher)
    assert new_pin.partition(";")[0] == pin.partition(";")[0]  # same launcher bytes
    assert new_pin != pin


def test_a_pin_of_the_executable_alone_still_works_with_a_warning(
    tmp_path: Path, tamper: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    """Pins written before the RECORD form keep working (compatibility), and say what they miss."""
    launcher, _ = tamper
    verdict = check_pin("tamper", str(launcher), {"tamper": sha256_pin(launcher)})
    assert (verdict.status, verdict.covers) == ("pinned", "executable")
    assert verdict.actual.startswith(sha256_pin(launcher) + ";record=sha256:")  # what to re-pin with
    config, _ = make_config(tmp_path, dirs=[launcher.parent], pins={"tamper": sha256_pin(launcher)})
    with caplog.at_level(logging.WARNING, logger="cronix.plugins"):
        open_plugin_backend("tamper", config, {"state_path": str(tmp_path / "state.json")}).close()
    assert "covers only its launcher, not the code of cronix-backend-tamper 1.0.0" in caplog.text


def test_a_copied_launcher_is_pinned_by_its_bytes(plugin_dir: Path) -> None:
    """No RECORD lists a copy, so there is nothing more to pin (docs/plugins.md says so)."""
    copy = plugin_dir / "cronix-backend-echo"
    verdict = check_pin("echo", str(copy), {})
    assert (verdict.actual, verdict.covers) == (sha256_pin(copy), "executable")


def test_the_installed_echo_is_pinned_with_its_record() -> None:
    """cronix's own console script: its distribution (editable here) lists it in RECORD."""
    verdict = check_pin("echo", str(ECHO), {})
    assert verdict.actual.startswith(sha256_pin(ECHO) + ";record=sha256:")
    assert verdict.distribution.startswith("cronix ")


@pytest.mark.parametrize(
    ("pin", "ok"),
    [
        ("sha256:" + "a" * 64, True),
        ("sha256:" + "a" * 64 + ";record=sha256:" + "b" * 64, True),
        ("sha256:" + "a" * 64 + ";record=" + "b" * 64, False),
        ("sha256:" + "a" * 64 + ";record=sha256:" + "B" * 64, False),
        ("sha256:" + "a" * 64 + ";", False),
    ],
)
def test_the_config_accepts_both_pin_forms_and_nothing_else(pin: str, ok: bool) -> None:
    assert _CONFIG_PIN.pattern == PIN_PATTERN.pattern  # config cannot import the plugin layer
    text = yaml.safe_dump({"plugins": {"pins": {"acme": pin}}})
    assert (PIN_PATTERN.fullmatch(pin) is not None) is ok
    if ok:
        assert parse_config(text).plugins.pins["acme"] == pin
    else:
        with pytest.raises(ConfigError, match=r"plugins\.pins: acme: must be sha256:"):
            parse_config(text)
