"""Architecture rules that keep the hot paths fast and the core portable (DESIGN §4)."""

from __future__ import annotations

import ast
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src" / "cronix"
PROTOCOL_MODULES = sorted(p for p in (SRC / "protocol").glob("*.py"))


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("path", PROTOCOL_MODULES, ids=[p.stem for p in PROTOCOL_MODULES])
def test_protocol_imports_only_the_standard_library(path: Path) -> None:
    foreign = _imported_roots(path) - set(sys.stdlib_module_names) - {"cronix", "__future__"}
    assert not foreign, f"{path.name} imports {sorted(foreign)}"


@pytest.mark.parametrize("path", PROTOCOL_MODULES, ids=[p.stem for p in PROTOCOL_MODULES])
def test_protocol_stays_inside_the_protocol(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cronix"):
            assert node.module.startswith("cronix.protocol"), f"{path.name} imports {node.module}"


HEAVY = [
    "click",
    "rich",
    "yaml",
    "grpc",
    "kubernetes",
    "boto3",
    "redis",
    "opentelemetry",
    "jwt",
    "importlib.metadata",
]


def test_the_protocol_and_package_import_nothing_heavy() -> None:
    code = (
        "import sys, json, cronix, cronix.protocol.manifest, cronix.protocol.signing, "
        "cronix.protocol.firetimes, cronix.protocol.ownership, cronix.protocol.specfile, cronix.conformance.adapter;"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == []


@pytest.mark.parametrize("path", PROTOCOL_MODULES, ids=[p.stem for p in PROTOCOL_MODULES])
def test_public_names_are_declared_and_exist(path: Path) -> None:
    if path.stem.startswith("_"):
        return
    module = importlib.import_module(f"cronix.protocol.{path.stem}")
    names = getattr(module, "__all__", None)
    if path.stem == "__init__":
        assert names is None
        return
    assert names is not None, f"{path.name} has no __all__"
    assert len(set(names)) == len(names), f"{path.name}: duplicate names in __all__"  # order: ruff RUF022
    assert all(hasattr(module, n) for n in names)


def test_top_level_package_exports_only_the_version() -> None:
    import cronix

    assert cronix.__all__ == ["__version__"]
