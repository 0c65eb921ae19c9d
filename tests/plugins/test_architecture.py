"""grpc stays inside cronix.plugins, and only loads when a plugin is launched or served."""

from __future__ import annotations

import ast
import json
import subprocess
import sys

from tests.plugins.helpers import REPO

SRC = REPO / "src" / "cronix"


def test_only_the_plugins_package_imports_grpc_or_protobuf() -> None:
    offenders = []
    for path in SRC.rglob("*.py"):
        if path.is_relative_to(SRC / "plugins"):
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.relative_to(SRC)}: {n}"
                for n in names
                if n.split(".")[0] in ("grpc", "grpc_health", "google")
            ]
    assert offenders == []


def test_discovery_trust_and_the_plugins_command_do_not_load_grpc() -> None:
    code = (
        "import sys, json, cronix.plugins, cronix.plugins.discovery, cronix.plugins.trust, "
        "cronix.plugins.handshake, cronix.plugins.host, cronix.plugins.process, cronix.plugins.echo, "
        "cronix.cli.commands.plugins, cronix.cli.commands.conformance;"
        "print(json.dumps([m for m in ('grpc', 'google.protobuf', 'grpc_health') if m in sys.modules]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(proc.stdout) == []


def test_public_api() -> None:
    import cronix.plugins
    from cronix.plugins.host import open_plugin_backend
    from cronix.plugins.sdk import serve

    assert cronix.plugins.open_plugin_backend is open_plugin_backend
    assert cronix.plugins.serve is serve
    assert {
        "crontab",
        "systemd-timer",
        "kubernetes",
        "aws-scheduler",
        "vercel",
        "memory",
    } == cronix.plugins.RESERVED_BACKEND_NAMES
