"""The checked-in gRPC stubs are exactly what the pinned generator makes from the proto."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.plugins.helpers import REPO

STUBS = REPO / "src" / "cronix" / "plugins" / "v1"
FILES = ("backend_pb2.py", "backend_pb2.pyi", "backend_pb2_grpc.py")


def test_regenerated_stubs_match_the_checked_in_ones(tmp_path: Path) -> None:
    subprocess.run(
        [str(REPO / "scripts" / "gen_plugin_stubs.sh"), str(tmp_path)],
        check=True,
        env={"PYTHON": sys.executable, "PATH": "/usr/bin:/bin"},
        capture_output=True,
    )
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (STUBS / name).read_bytes(), (
            f"{name} is stale: run scripts/gen_plugin_stubs.sh"
        )


def test_the_service_is_the_one_the_docs_name() -> None:
    from cronix.plugins.contract import SERVICE_NAME
    from cronix.plugins.v1 import backend_pb2

    service = backend_pb2.DESCRIPTOR.services_by_name["Backend"]
    assert service.full_name == SERVICE_NAME == "cronix.plugin.v1.Backend"
    assert [m.name for m in service.methods] == [
        "GetMetadata",
        "Configure",
        "Validate",
        "ValidateMany",
        "List",
        "Create",
        "Update",
        "Delete",
        "Adopt",
        "History",
        "VerifyOwnership",
        "VerifyOwnershipMany",
        "Health",
        "Shutdown",
    ]


def test_the_generator_is_pinned_to_the_runtime_floor() -> None:
    import tomllib

    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    (tools,) = project["dependency-groups"]["codegen"]
    floor = next(
        d for d in project["project"]["optional-dependencies"]["plugins"] if d.startswith("grpcio>=")
    )
    assert tools == "grpcio-tools==" + floor.removeprefix("grpcio>=")
    generated = (STUBS / "backend_pb2_grpc.py").read_text()
    assert f"GRPC_GENERATED_VERSION = '{floor.removeprefix('grpcio>=')}'" in generated
