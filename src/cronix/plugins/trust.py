"""SHA-256 pins: which plugin bytes the operator allows to run.

The operator pins each plugin in cronix.yaml (``plugins.pins.<name>``); cronix checks the
resolved executable before running anything and compares in constant time. A pin has one
of two forms (spec/DECISIONS.md D-420):

``sha256:<hex>``
    the executable's bytes. Enough for a self-contained binary or script.
``sha256:<hex>;record=sha256:<hex>``
    also the RECORD of the Python distribution that installed it as an entry point
    (:mod:`cronix.plugins.record`): a console script is a launcher of a few lines, and
    what it imports is what runs. At load every file RECORD lists is hashed again and must
    match; a changed RECORD (an upgrade) or a changed file refuses to run.

``cronix plugins pin --write`` writes the second form whenever a distribution lists the
executable. The first form keeps working for such a plugin, with a warning that it
covers only the launcher. ``trust: strict`` (the default) refuses unpinned and mismatched
plugins; ``warn`` runs unpinned ones with a warning but still refuses a mismatch.
Refusals exit 4 and name both pins, so an operator who upgraded on purpose can re-pin with
one command. A pin in another form never matches. Signatures (cosign) and sandboxing are
deferred (D-401).
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

    from cronix.plugins.record import Installed

__all__ = ["PIN_PATTERN", "PinStatus", "PinVerdict", "check_pin", "current_pin", "enforce_pin", "file_digest"]

PIN_PATTERN = re.compile(r"sha256:[0-9a-f]{64}(?:;record=sha256:[0-9a-f]{64})?")
_RECORD = ";record="
PinStatus = Literal["pinned", "unpinned", "mismatch"]
_log = logging.getLogger("cronix.plugins")


@dataclass(frozen=True, slots=True)
class PinVerdict:
    status: PinStatus
    #: The pin of the plugin as it is now (what ``plugins pin --write`` would record).
    actual: str
    #: The configured pin, or "" when unpinned.
    expected: str = ""
    #: Why it is a mismatch.
    detail: str = ""
    #: What the configured pin covers: the executable alone, or its distribution too.
    covers: Literal["executable", "distribution"] = "executable"
    #: ``name version`` of the distribution that installed the executable, or "".
    distribution: str = ""
    #: A file differs from its RECORD (re-pinning would not help: reinstall).
    tampered: bool = False


def file_digest(path: str) -> str:
    """``sha256:<64 lowercase hex>`` of the file's bytes."""
    with open(path, "rb") as fh:
        return "sha256:" + hashlib.file_digest(fh, "sha256").hexdigest()


def current_pin(path: str) -> tuple[str, Installed | None]:
    """The pin of ``path`` as it is now, and the distribution that installed it (if any)."""
    from cronix.plugins.record import installed_distribution

    executable = file_digest(path)
    dist = installed_distribution(path)
    return (executable if dist is None else f"{executable}{_RECORD}{dist.record_digest}"), dist


def check_pin(name: str, path: str, pins: Mapping[str, str]) -> PinVerdict:
    """Compare ``path`` with the pin for ``name`` (reads files; runs nothing)."""
    actual, dist = current_pin(path)
    installed = "" if dist is None else str(dist)
    expected = pins.get(name, "")
    if not expected:
        return PinVerdict("unpinned", actual, distribution=installed)

    def mismatch(detail: str, *, tampered: bool = False) -> PinVerdict:
        return PinVerdict("mismatch", actual, expected, detail, distribution=installed, tampered=tampered)

    if PIN_PATTERN.fullmatch(expected) is None:
        return mismatch("the pin is not in a form this cronix knows")
    pinned_exe, _, pinned_record = expected.partition(_RECORD)
    if not hmac.compare_digest(pinned_exe, actual.partition(_RECORD)[0]):
        return mismatch("the executable changed")
    if not pinned_record:
        return PinVerdict("pinned", actual, expected, distribution=installed)
    if dist is None:
        return mismatch(
            "it was pinned with its distribution's RECORD, but no installed distribution lists it"
        )
    if not hmac.compare_digest(pinned_record, dist.record_digest):
        return mismatch(f"the RECORD of {dist} changed")
    problems = dist.problems()
    if problems:
        return mismatch("; ".join(problems), tampered=True)
    return PinVerdict("pinned", actual, expected, covers="distribution", distribution=installed)


def enforce_pin(name: str, path: str, pins: Mapping[str, str], trust: str) -> PinVerdict:
    """Raise :class:`PluginUntrusted` unless ``path`` may run under ``trust`` (strict|warn)."""
    verdict = check_pin(name, path, pins)
    if verdict.status == "mismatch" and verdict.tampered:
        raise PluginUntrusted(
            f"refusing plugin {name} at {path}: {verdict.detail}: its installed files changed after "
            f"installation; reinstall {verdict.distribution}, then check the pin again"
        )
    if verdict.status == "mismatch":
        raise PluginUntrusted(
            f"refusing plugin {name} at {path}: it does not match its pin ({verdict.detail}; "
            f"pinned {verdict.expected}, found {verdict.actual}); if you upgraded it on purpose, "
            f"re-pin with 'cronix plugins pin {name} --write'"
        )
    if verdict.status == "unpinned":
        if trust != "warn":
            raise PluginUntrusted(
                f"refusing plugin {name} at {path}: it is not pinned (found {verdict.actual}); "
                f"pin it with 'cronix plugins pin {name} --write', or set plugins.trust: warn"
            )
        _log.warning("running unpinned plugin %s at %s (%s)", name, path, verdict.actual)
    elif verdict.distribution and verdict.covers == "executable":
        _log.warning(
            "the pin of plugin %s covers only its launcher, not the code of %s it runs; "
            "re-pin with 'cronix plugins pin %s --write' to cover it",
            name,
            verdict.distribution,
            name,
        )
    return verdict
