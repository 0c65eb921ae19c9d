"""``cronix trigger`` starts fast: a fresh interpreter firing a job loads nothing heavy."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.test_architecture import HEAVY as PACKAGE_HEAVY
from tests.trigger.app_server import AppServer
from tests.trigger.conftest import Host, write_spec

# The package-wide list (click, rich, yaml, grpc, kubernetes, boto3, redis, opentelemetry,
# jwt, importlib.metadata) plus what only the full CLI, the backends and the SDK load, and
# what an http:// fire does not need since it goes through cronix.httpio (http.client with
# email, ssl).
HEAVY = (
    *PACKAGE_HEAVY,
    "cronix.backends",
    "cronix.config",
    "cronix.cli.app",
    "cronix.plugins",
    "cronix.sdk",
    "http.client",
    "email",
    "ssl",
)
# The shared stdlib-only helpers the fire goes through (a Forbid job takes the flock).
SHARED = ("cronix.httpio", "cronix.flocks", "cronix.fileio", "cronix.protocol.triggerlog")

PROBE = """
import json, sys
from cronix.cli.entry import main
try:
    main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted(m for m in sys.modules if m in HEAVY or any(m.startswith(h + ".") for h in HEAVY))
used = [m for m in SHARED if m in sys.modules]
print(json.dumps({"code": code, "heavy": heavy, "used": used}), file=sys.stderr)
"""


def test_a_fire_imports_no_heavy_module(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    code = f"HEAVY = {HEAVY!r}\nSHARED = {SHARED!r}\n{PROBE}"
    argv = [sys.executable, "-c", code, *host.argv()[1:]]
    proc = subprocess.run(argv, env=host.env(), capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": [], "used": list(SHARED)}, proc.stdout + proc.stderr
    assert len(app.requests) == 1
    assert app.requests[0].verdict == "ok"


def test_built_in_defaults_are_cronix_configs_defaults() -> None:
    from cronix import config
    from cronix.trigger import cli

    assert config.DEFAULT_PATHS == cli.CONFIG_PATHS
    assert cli.settings(config.Config()) == cli.DEFAULTS


def test_a_fire_with_metrics_imports_no_heavy_module(host: Host, app: AppServer) -> None:
    """Metrics on (``--metrics-dir``): the metrics module and nothing heavy (no config, no YAML)."""
    write_spec(host.spec_dir, app.url())
    shared = (*SHARED, "cronix.trigger.metrics")
    code = f"HEAVY = {HEAVY!r}\nSHARED = {shared!r}\n{PROBE}"
    argv = [sys.executable, "-c", code, *host.argv()[1:], "--metrics-dir", str(host.root / "textfile")]
    proc = subprocess.run(argv, env=host.env(), capture_output=True, text=True, timeout=60, check=False)
    report = json.loads(proc.stderr.strip().splitlines()[-1])
    assert report == {"code": 0, "heavy": [], "used": list(shared)}, proc.stdout + proc.stderr
    assert (host.root / "textfile" / "cronix-billing.ping.prom").exists()


def test_a_fire_without_metrics_does_not_load_the_metrics_module(host: Host, app: AppServer) -> None:
    write_spec(host.spec_dir, app.url())
    code = f"HEAVY = ('cronix.trigger.metrics',)\nSHARED = ()\n{PROBE}"
    argv = [sys.executable, "-c", code, *host.argv()[1:]]
    proc = subprocess.run(argv, env=host.env(), capture_output=True, text=True, timeout=60, check=False)
    assert json.loads(proc.stderr.strip().splitlines()[-1]) == {"code": 0, "heavy": [], "used": []}
