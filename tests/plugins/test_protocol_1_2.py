"""Plugin protocol 1.2 (D-410): the FireSpec reaches the plugin, traits and strategies come back,
and every 1.0/1.1 combination keeps working.

The plugin side is the real echo plugin process; an older host is played by calling the
generated gRPC stub directly with a request that has no ``fire`` (exactly what a 1.1 host
sends), an older plugin by metadata with ``protocol_minor`` below 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from cronix.backends.base import FireSpec
from cronix.plugins import convert
from cronix.plugins.proxy import PluginBackend
from cronix.plugins.v1 import backend_pb2 as pb
from cronix.plugins.v1 import backend_pb2_grpc
from cronix.protocol.ownership import ownership_hashes
from cronix.protocol.specfile import parse_spec_file
from tests.plugins.helpers import job

OpenEcho = Callable[..., PluginBackend]


def _fires(state_path: Path) -> list[dict[str, str]]:
    doc = json.loads(state_path.read_text())
    return [e["fire"] for e in doc["entries"] if e.get("marker")]


def test_the_fire_spec_reaches_the_plugin_per_schedule(open_echo: OpenEcho, state_path: Path) -> None:
    backend = open_echo()
    nightly = job("nightly", "30 2 * * *", "0 14 * * 6", timezone="Europe/Berlin")
    fire = FireSpec.build("billing", nightly, ("file:/etc/cronix/secret",), "managed-jwt")
    backend.create("billing", nightly, ownership_hashes(nightly), fire)
    fires = _fires(state_path)
    assert [f["strategy"] for f in fires] == ["managed-jwt", "managed-jwt"]
    specs = [parse_spec_file(f["spec"]) for f in fires]
    assert [s.schedule_index for s in specs] == [0, 1]
    assert {s.secret_refs for s in specs} == {("file:/etc/cronix/secret",)}
    assert {s.job.to_json() == nightly.to_json() for s in specs} == {True}


def test_a_1_1_host_sends_no_fire_spec_and_the_plugin_builds_one(
    open_echo: OpenEcho, state_path: Path
) -> None:
    backend = open_echo()
    report = job("report", "0 6 * * *")
    stub = backend_pb2_grpc.BackendStub(backend._channel)
    stub.Create(
        pb.MutateRequest(app="ops", job=convert.job_to_proto(report), hashes=list(ownership_hashes(report))),
        timeout=10,
    )
    (fire,) = _fires(state_path)
    assert fire["strategy"] == "local-shim"
    spec = parse_spec_file(fire["spec"])
    assert (spec.app, spec.job.name, spec.secret_refs) == ("ops", "report", None)


def test_a_1_2_plugin_declares_traits_and_strategies(open_echo: OpenEcho) -> None:
    backend = open_echo()
    assert backend.protocol_minor == 2
    assert (backend.fires_on_host, backend.local_state) == (False, False)
    assert backend.fire_strategies == {"local-shim", "managed-jwt"}


def test_a_1_1_plugins_host_local_means_both_traits() -> None:
    old = pb.GetMetadataResponse(name="x", version="1", protocol_version=1, protocol_minor=1, host_local=True)
    assert convert.traits_from_metadata(old) == (frozenset({"local-shim"}), True, True)
    remote = pb.GetMetadataResponse(name="x", version="1", protocol_version=1, protocol_minor=0)
    assert convert.traits_from_metadata(remote) == (frozenset({"local-shim"}), False, False)
    # A 1.2 plugin's traits are read separately; host_local is then ignored.
    new = pb.GetMetadataResponse(
        name="x", version="1", protocol_version=1, protocol_minor=2, host_local=True, fires_on_host=True
    )
    assert convert.traits_from_metadata(new) == (frozenset({"local-shim"}), True, False)


def test_host_context_round_trips_and_a_1_1_host_context_is_understood() -> None:
    from cronix.backends.base import HostContext

    host = HostContext(
        trigger_bin="/opt/cronix/bin/cronix", spec_dir="/srv/jobs", fire_strategy="managed-jwt"
    )
    assert convert.host_context_from_proto(convert.host_context_to_proto(host)) == host
    old = pb.HostContext(trigger_command="/usr/bin/cronix trigger", spec_dir="/etc/cronix/jobs")
    assert convert.host_context_from_proto(old) == HostContext("/usr/bin/cronix", "/etc/cronix/jobs")
    assert convert.host_context_from_proto(pb.HostContext()).trigger_command == "cronix trigger"


def test_a_raw_secret_ref_never_reaches_a_plugin(open_echo: OpenEcho, state_path: Path) -> None:
    import pytest

    from cronix.errors import UsageError

    backend = open_echo()
    report = job("report", "0 6 * * *")
    with pytest.raises(UsageError, match="raw: secret ref would be sent to the plugin"):
        backend.create(
            "ops", report, ownership_hashes(report), FireSpec.build("ops", report, ("Raw:hunter2",))
        )
    assert "hunter2" not in (state_path.read_text() if state_path.exists() else "")
