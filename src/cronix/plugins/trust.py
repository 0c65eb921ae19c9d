"""SHA-256 pins: which plugin bytes the operator allows to run.

The operator pins each plugin in cronix.yaml (``plugins.pins.<name>: "sha256:<hex>"``);
cronix hashes the resolved executable before running anything and compares in constant
time. ``trust: strict`` (the default) refuses unpinned and mismatched plugins; ``warn``
runs unpinned ones with a warning but still refuses a mismatch. Refusals exit 4 and name
both hashes, so an operator who upgraded on purpose can re-pin with one command.

The scheme prefix leaves room for other schemes; a pin with an unknown scheme never
matches. Signatures (cosign) and sandboxing are deferred (spec/DECISIONS.md D-401).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from cronix.plugins.errors import PluginUntrusted

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["PIN_PATTERN", "PinStatus", "PinVerdict", "check_pin", "enforce_pin", "file_digest"]

PIN_PATTERN = re.compile(r"sha256:[0-9a-f]{64}")
PinStatus = Literal["pinned", "unpinned", "mismatch"]
_log = logging.getLogger("cronix.plugins")


@dataclass(frozen=True, slots=True)
class PinVerdict:
    status: PinStatus
    #: ``sha256:<hex>`` of the file as it is now.
    actual: str
    #: The configured pin, or "" when unpinned.
    expected: str = ""


def file_digest(path: str) -> str:
    """``sha256:<64 lowercase hex>`` of the file's bytes."""
    with open(path, "rb") as fh:
        return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()


def check_pin(name: str, path: str, pins: Mapping[str, str]) -> PinVerdict:
    """Compare ``path`` with the pin for ``name`` (reads the file; runs nothing)."""
    actual = file_digest(path)
    expected = pins.get(name, "")
    if not expected:
        return PinVerdict("unpinned", actual)
    same = PIN_PATTERN.fullmatch(expected) is not None and hmac.compare_digest(expected, actual)
    return PinVerdict("pinned" if same else "mismatch", actual, expected)


def enforce_pin(name: str, path: str, pins: Mapping[str, str], trust: str) -> PinVerdict:
    """Raise :class:`PluginUntrusted` unless ``path`` may run under ``trust`` (strict|warn)."""
    verdict = check_pin(name, path, pins)
    if verdict.status == "mismatch":
        raise PluginUntrusted(
            f"refusing plugin {name} at {path}: it does not match its pin "
            f"(pinned {verdict.expected}, found {verdict.actual}); if you upgraded it on purpose, "
            f"re-pin with 'cronix plugins pin {name} --write'"
        )
    if verdict.status == "unpinned":
        if trust != "warn":
            raise PluginUntrusted(
                f"refusing plugin {name} at {path}: it is not pinned (found {verdict.actual}); "
                f"pin it with 'cronix plugins pin {name} --write', or set plugins.trust: warn"
            )
        _log.warning("running unpinned plugin %s at %s (%s)", name, path, verdict.actual)
    return verdict
