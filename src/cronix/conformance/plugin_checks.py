"""Protocol checks for one plugin executable, then the backend suite through it.

``cronix conformance plugin PATH`` runs, in order: the handshake grammar; grpc.health
SERVING for ``""`` and the service; GetMetadata (name equals the executable's suffix,
a version, protocol 1); every backend RPC before Configure rejected with
FAILED_PRECONDITION; Configure accepted (settings it rejects end the run with exit 2,
naming them: they are the caller's to fix), a second Configure rejected; the backend vectors
(:mod:`cronix.conformance.backend_suite`) through the host proxy; Shutdown ends the
process with status 0 within 5 s; and the plugin exits when the process that started it
is killed with SIGKILL. Any language's plugin can be graded this way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from cronix.conformance.backend_suite import Check, run_backend_suite
from cronix.errors import PluginError
from cronix.plugins.contract import PROTOCOL_VERSION, SERVICE_NAME
from cronix.plugins.errors import PluginConfigInvalid

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from cronix.conformance.backend_suite import BackendVectors, Seeder
    from cronix.plugins.probe import PluginProbe

__all__ = ["HANDSHAKE_GRAMMAR", "run_plugin_checks"]

#: The handshake line exactly as docs/plugins.md specifies it (newline-terminated).
HANDSHAKE_GRAMMAR = re.compile(r"CRONIX-PLUGIN-V1 /[^ \n]+( [^ =\n]+=[^ \n]*)*\n")
_GATED = ("List", "Validate", "Create", "Delete", "Health")
_SUITE = "plugin"


def run_plugin_checks(
    path: str, settings: Mapping[str, str], vectors: BackendVectors, *, seeder: Seeder | None = None
) -> Iterator[Check]:
    """Grade the plugin at ``path`` (configured with ``settings``); one Check per line."""
    from cronix.plugins.probe import PluginProbe, orphan_check

    probe = PluginProbe(path)
    try:
        yield from _steps(probe, settings, vectors, seeder)
    finally:
        probe.close()
    passed, detail = orphan_check(path)
    yield _verdict("exits when the process that started it is killed", passed, detail)


def _steps(
    probe: PluginProbe, settings: Mapping[str, str], vectors: BackendVectors, seeder: Seeder | None
) -> Iterator[Check]:
    name = "handshake: first stdout line matches the grammar"
    try:
        line, handshake = probe.handshake()
    except PluginError as exc:
        yield Check(_SUITE, name, "fail", str(exc))
        return
    yield _verdict(name, HANDSHAKE_GRAMMAR.fullmatch(line) is not None, f"got {line!r}")

    name = "grpc.health: '' and the Backend service are SERVING"
    try:
        probe.connect(handshake)
    except PluginError as exc:
        yield Check(_SUITE, name, "fail", str(exc))
        return
    statuses = {service or "''": probe.health(service) for service in ("", SERVICE_NAME)}
    yield _verdict(name, set(statuses.values()) == {"SERVING"}, f"got {statuses}")

    name = "GetMetadata: name, version, protocol"
    try:
        meta = probe.metadata()
    except PluginError as exc:
        yield Check(_SUITE, name, "fail", str(exc))
        return
    problems = []
    if meta["name"] != probe.name:
        problems.append(f"name {meta['name']!r} is not the executable's suffix {probe.name!r}")
    if not meta["version"]:
        problems.append("no version")
    if meta["protocol_version"] != PROTOCOL_VERSION:
        problems.append(f"protocol {meta['protocol_version']}, expected {PROTOCOL_VERSION}")
    yield _verdict(name, not problems, "; ".join(problems))

    name = "calls before Configure fail with FAILED_PRECONDITION"
    codes = {rpc: probe.status_before_configure(rpc) for rpc in _GATED}
    wrong = {rpc: code for rpc, code in codes.items() if code != "FAILED_PRECONDITION"}
    yield _verdict(name, not wrong, f"got {wrong}")

    name = "Configure accepts the settings"
    try:
        diagnostics = probe.configure(settings, meta)
    except PluginError as exc:
        yield Check(_SUITE, name, "fail", str(exc))
        return
    errors = [d.render() for d in diagnostics if d.severity == "error"]
    if errors:  # the settings given are wrong, not the plugin: nothing further can be graded
        raise PluginConfigInvalid.rejected(probe.process.identity, errors)
    yield _verdict(name, True, "")
    if probe.backend is None:
        return

    code = probe.configure_again(settings)
    yield _verdict(
        "a second Configure fails with FAILED_PRECONDITION", code == "FAILED_PRECONDITION", f"got {code}"
    )

    yield from run_backend_suite(probe.backend, vectors, seeder=seeder)

    status, seconds = probe.shutdown()
    yield _verdict(
        "Shutdown: exits with status 0 within 5 s",
        status == 0 and seconds <= 5.0,
        f"exit status {status} after {seconds:.2f} s",
    )


def _verdict(name: str, passed: bool, detail: str) -> Check:
    return Check(_SUITE, name, "pass" if passed else "fail", "" if passed else detail)
