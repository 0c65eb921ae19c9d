"""The plugin SDK: metadata from the class, Configure once, gating, and error mapping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from cronix.backends.base import FireSpec, ManagedEntry, UnsupportedOperation
from cronix.plugins.errors import PluginConfigInvalid, PluginFailure, PluginIdentity
from cronix.plugins.host import launch_backend
from cronix.plugins.probe import PluginProbe
from cronix.plugins.proxy import PluginBackend
from tests.plugins.helpers import job, write_script

SAMPLE = """
from cronix.backends.base import Diagnostic, UnsupportedOperation
from cronix.errors import BackendError
from cronix.plugins import RpcFailure, serve

FAILURES = {
    "value": ValueError("bad request"),
    "backend": BackendError("api unreachable"),
    "boom": RuntimeError("boom"),
    "rpc": RpcFailure("RESOURCE_EXHAUSTED", "slow down", "THROTTLED"),
}


class Sample:
    name = "sample"
    version = "0.0.1"
    capabilities = frozenset({"adopt", "not-a-capability"})
    host_local = True  # a plugin class written for protocol 1.1: both traits

    def __init__(self, settings):
        if "bad" in settings:
            raise ValueError("bad must not be set")
        self.mode = settings.get("mode", "")

    def check(self):
        return [Diagnostic("warning", "disk nearly full", code="disk")]

    def validate(self, app, job):
        return [Diagnostic("error", f"{job.timezone} is not supported", path="timezone", code="timezone_unsupported")]

    def list_entries(self):
        if self.mode in FAILURES:
            raise FAILURES[self.mode]
        return []

    def create(self, app, job, hashes):
        raise UnsupportedOperation("read-only")

    update = create

    def delete(self, app, job):
        return None

    def verify_ownership(self, entry):
        return entry.job == "mine"

    def adopt(self, app, job, hashes, *, dry_run):
        raise UnsupportedOperation("adopt is not written yet")

    def history(self, query):
        raise AssertionError("never called: history is not advertised")

    def close(self):
        return None


serve(Sample)
"""


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("sample")
    return write_script(directory / "cronix-backend-sample", SAMPLE)


OpenSample = Callable[..., PluginBackend]


@pytest.fixture
def open_sample(sample: Path) -> Iterator[OpenSample]:
    opened: list[PluginBackend] = []

    def factory(**settings: str) -> PluginBackend:
        backend = launch_backend(PluginIdentity("sample", str(sample)), settings)
        opened.append(backend)
        return backend

    yield factory
    for backend in opened:
        backend.close()


def test_metadata_comes_from_the_class(open_sample: OpenSample) -> None:
    backend = open_sample()
    assert (backend.fires_on_host, backend.local_state) == (True, True)  # host_local, from a 1.1 class
    assert backend.fire_strategies == {"local-shim"}
    assert (backend.name, backend.version) == ("sample", "0.0.1")
    assert backend.capabilities == {"adopt"}  # unknown capability strings are dropped


def test_diagnostics_round_trip(open_sample: OpenSample) -> None:
    backend = open_sample()
    (warning,) = backend.check()
    assert (warning.severity, warning.message, warning.code) == ("warning", "disk nearly full", "disk")
    (error,) = backend.validate("ops", job("report", "0 6 * * 1", timezone="Asia/Tokyo"))
    assert (error.severity, error.path, error.code) == ("error", "timezone", "timezone_unsupported")
    assert error.message == "Asia/Tokyo is not supported"


@pytest.mark.parametrize(
    ("mode", "code", "category", "fragment"),
    [
        ("value", "INVALID_ARGUMENT", "invalid_request", "List failed: INVALID_ARGUMENT: bad request"),
        ("backend", "UNAVAILABLE", "unreachable", "List failed: UNAVAILABLE: api unreachable"),
        ("boom", "INTERNAL", "plugin_internal", "List failed: INTERNAL: RuntimeError: boom"),
        ("rpc", "RESOURCE_EXHAUSTED", "throttled", "List failed: RESOURCE_EXHAUSTED (THROTTLED): slow down"),
    ],
)
def test_exceptions_map_to_status_codes(
    open_sample: OpenSample, mode: str, code: str, category: str, fragment: str
) -> None:
    backend = open_sample(mode=mode)
    with pytest.raises(PluginFailure) as info:
        backend.list_entries()
    assert (info.value.code, info.value.category) == (code, category)
    assert fragment in str(info.value)
    # The plugin survives a failed call.
    assert backend.verify_ownership(ManagedEntry("ops", "mine", 0, "0" * 16)) is True


def test_an_uncaught_exception_leaves_its_traceback_in_the_stderr_tail(open_sample: OpenSample) -> None:
    backend = open_sample(mode="boom")
    with pytest.raises(PluginFailure) as info:
        backend.list_entries()
    backend.close()
    assert "RuntimeError: boom" in backend.process.stderr_tail()
    assert info.value.stderr_tail  # captured when the call failed


def test_unsupported_operations(open_sample: OpenSample) -> None:
    from cronix.backends.base import HistoryQuery

    backend = open_sample()
    report = job("report", "0 6 * * 1")
    with pytest.raises(UnsupportedOperation, match=r"plugin sample 0\.0\.1 does not support adopt"):
        backend.adopt("ops", report, ("0" * 16,), FireSpec.build("ops", report), dry_run=True)
    with pytest.raises(UnsupportedOperation, match="does not support history"):
        backend.history(HistoryQuery(app="ops", job="report"))
    with pytest.raises(PluginFailure, match="Create failed: UNIMPLEMENTED: read-only"):
        backend.create("ops", report, ("0" * 16,), FireSpec.build("ops", report))


def test_constructor_value_error_is_a_settings_diagnostic(open_sample: OpenSample) -> None:
    with pytest.raises(PluginConfigInvalid, match="rejected its settings: bad must not be set"):
        open_sample(bad="1")


def test_gating_before_configure_and_configure_once(sample: Path) -> None:
    probe = PluginProbe(str(sample))
    try:
        _, handshake = probe.handshake()
        probe.connect(handshake)
        meta = probe.metadata()
        assert meta["name"] == "sample"
        for rpc in ("List", "Validate", "Create", "Delete", "Health"):
            assert probe.status_before_configure(rpc) == "FAILED_PRECONDITION"
        assert probe.configure({}, meta) == []
        assert probe.configure_again({}) == "FAILED_PRECONDITION"
        assert probe.status_before_configure("List") == "OK"
        status, seconds = probe.shutdown()
        assert status == 0
        assert seconds < 5
    finally:
        probe.close()
