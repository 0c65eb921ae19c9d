"""``./run package-lambda``: the zip alone (stdlib + its contents) fires a job, as a Lambda would.

The package is built with the real script, unpacked the way Lambda unpacks it into
``/var/task``, and the handler is called in a fresh isolated interpreter (``python -I``)
whose only import path beyond the standard library is that directory — so a module
missing from the zip fails here, not at the first production fire. The app is a real
HTTP server that checks the signature independently.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

from cronix.protocol.manifest import parse_manifest
from cronix.protocol.specfile import render_spec_file
from tests.trigger.app_server import AppServer

ROOT = Path(__file__).resolve().parents[2]
SECRET = "packaged-secret-of-the-test"

PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from cronix.trigger.aws_lambda import handler
outcome = handler(json.loads(sys.stdin.read()), None)
heavy = sorted(m for m in ("boto3", "botocore", "yaml", "redis", "click", "cronix.cli", "cronix.backends", "cronix.sdk") if m in sys.modules)
print(json.dumps({"outcome": outcome, "heavy": heavy, "files": sorted({m.__file__.split("/task/")[0] for m in list(sys.modules.values()) if getattr(m, "__file__", None) and "cronix" in m.__name__})}))
"""


def build(tmp_path: Path, *args: str) -> Path:
    out = tmp_path / "cronix-lambda.zip"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "package_lambda.py"), "--out", str(out), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "handler cronix.trigger.aws_lambda.handler" in proc.stdout
    return out


def test_the_zip_alone_fires_a_job(tmp_path: Path) -> None:
    task = tmp_path / "task"
    with zipfile.ZipFile(build(tmp_path)) as zf:
        names = zf.namelist()
        zf.extractall(task)
    assert not [n for n in names if n.endswith((".so", ".pyc"))]  # pure Python: any architecture
    assert not [n for n in names if n.startswith(("cronix/cli/", "cronix/sdk/", "cronix/backends/"))]
    server = AppServer([SECRET])
    with server:
        doc = {
            "version": 1,
            "app": "billing",
            "jobs": [{"name": "ping", "schedule": "* * * * *", "request": {"url": server.url("/cron/ping")}}],
        }
        job = parse_manifest(json.dumps(doc)).jobs[0]
        event = render_spec_file("billing", job, ["env:CRON_SECRET"], indent=False)
        proc = subprocess.run(
            [sys.executable, "-I", "-c", PROBE, str(task)],
            input=event,
            capture_output=True,
            text=True,
            env={"CRON_SECRET": SECRET, "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
            timeout=60,
            check=False,
        )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    assert report["outcome"]["exit_code"] == 0 and report["outcome"]["status"] == 200
    assert report["heavy"] == []
    assert report["files"] == [str(tmp_path)]  # every cronix module came from the unpacked zip
    assert [r.verdict for r in server.requests] == ["ok"]


def test_a_config_and_redis_can_be_included(tmp_path: Path) -> None:
    config = tmp_path / "cronix.yaml"
    config.write_text("locks:\n  redis:\n    addr: redis.internal:6379\n")
    with zipfile.ZipFile(build(tmp_path, "--config", str(config), "--with-redis")) as zf:
        names = set(zf.namelist())
        assert zf.read("cronix.yaml") == config.read_bytes()
    assert "redis/__init__.py" in names and "yaml/__init__.py" in names


def test_the_zip_is_reproducible(tmp_path: Path) -> None:
    first = build(tmp_path).read_bytes()
    assert build(tmp_path).read_bytes() == first
