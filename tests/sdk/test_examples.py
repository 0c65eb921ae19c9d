"""The example apps and the demo, run the way their READMEs say."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sdk.signer import cron_headers, http_ok, http_sender
from tests.support.procs import free_port, running, wait_until

REPO = Path(__file__).resolve().parents[2]
SECRET = "example-secret-" + "x" * 16

EXAMPLES = {
    "fastapi_app": ("shop", ["nightly-report", "reconcile-payments"]),
    "flask_app": ("blog", ["publish-scheduled", "purge-drafts"]),
}


@pytest.fixture(params=sorted(EXAMPLES))
def example(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, int, Path]]:
    name: str = request.param
    port = free_port()
    log = tmp_path / "app.log"
    env = {**os.environ, "CRON_SECRET": f"{SECRET},old-secret-0123456789"}
    argv = [sys.executable, str(REPO / "examples" / name / "app.py"), "--port", str(port)]
    with running(argv, ready=lambda: http_ok(port, "/healthz"), log=log, env=env, timeout=30):
        yield name, port, log


def test_example_app_serves_verified_jobs(example: tuple[str, int, Path]) -> None:
    name, port, log = example
    app, jobs = EXAMPLES[name]
    send = http_sender(f"http://127.0.0.1:{port}")
    manifest = send("GET", "/.well-known/cron-manifest", b"", cron_headers(SECRET, "GET",
                    "/.well-known/cron-manifest", b"", run_id="m"))  # fmt: skip
    assert manifest.status == 200
    assert manifest.json()["app"] == app
    assert [j["request"]["url"] for j in manifest.json()["jobs"]] == [
        f"http://127.0.0.1:{port}/api/v1/scheduled/{job}" for job in jobs
    ]
    for job in jobs:
        target = f"/api/v1/scheduled/{job}"
        run_id = f"run-{job}"
        reply = send("POST", target, b"", cron_headers(SECRET, "POST", target, b"", run_id=run_id))
        assert reply.status == 200, reply.body
        line = f"{job} ran: run_id={run_id}"
        wait_until(lambda line=line: line in log.read_text(errors="replace"), timeout=10)
        rotated = send(
            "POST", target, b"", cron_headers("old-secret-0123456789", "POST", target, b"", run_id="r2")
        )
        assert rotated.status == 200
    unsigned = send("POST", "/api/v1/scheduled/anything", b"", {})
    assert (unsigned.status, unsigned.code) == (401, "MissingSignature")
    assert SECRET not in log.read_text(errors="replace")


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_manifest_is_valid_for_cronix_validate(name: str, tmp_path: Path) -> None:
    script = REPO / "examples" / name / "app.py"
    base = "https://app.example.com/prefix"
    out = subprocess.run(
        [sys.executable, str(script), "--base-url", base, "--manifest"], capture_output=True, check=True
    ).stdout
    path = tmp_path / "manifest.json"
    path.write_bytes(out)
    cronix = Path(sys.executable).parent / "cronix"
    checked = subprocess.run([str(cronix), "validate", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr
    assert f"OK  app={EXAMPLES[name][0]} jobs=2" in checked.stdout
    assert f"{base}/api/v1/scheduled/" in out.decode()


def test_example_refuses_to_serve_without_a_secret() -> None:
    env = {k: v for k, v in os.environ.items() if k != "CRON_SECRET"}
    script = REPO / "examples" / "fastapi_app" / "app.py"
    done = subprocess.run(
        [sys.executable, str(script), "--port", "1"], capture_output=True, text=True, env=env
    )
    assert done.returncode == 1
    assert (
        done.stderr.strip() == "app.py: CRON_SECRET is not set; export the secret cronix signs with and rerun"
    )


@pytest.mark.slow
def test_demo_runs_end_to_end_without_printing_the_secret() -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "examples" / "demo.py")], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    for step in (
        "Step 1. Validate",
        "Step 3. Validate the app's manifest URL",
        "Step 5. Plan, then apply",
        "Step 7. Fire one job",
        "Step 8. Show that the handler ran",
        "Step 9. Apply again",
        "Step 10. Stop",
    ):
        assert step in done.stdout
    ran = re.search(r"reconcile-payments ran: run_id=([0-9a-f-]{36}) attempt=1", done.stdout)
    assert ran, done.stdout
    # the run the handler logged is the one cronix trigger fired and cronix history shows
    assert re.search(rf'"msg":"trigger: success".*"run_id":"{ran[1]}"', done.stdout)
    assert re.search(rf"{ran[1]}\s+1\s+ok\s+200\s+runlog", done.stdout)
    assert "Apply: backend=crontab created=2" in done.stdout
    assert "Apply: noop (nothing to change)" in done.stdout
    assert "demo OK" in done.stdout
    assert not re.search(r"[0-9a-f]{64}", done.stdout + done.stderr)  # the generated secret's shape


def test_the_vercel_example_app_declares_the_example_manifest() -> None:
    """``examples/vercel/app.py`` is the app of ``examples/vercel/manifest.json`` (docs/vercel.md uses both)."""
    code = (
        "import runpy, sys; ns = runpy.run_path(sys.argv[1]); "
        "sys.stdout.buffer.write(ns['cron'].manifest_json())"
    )
    env = {**os.environ, "CRON_SECRET": SECRET}
    env.pop("REDIS_URL", None)
    script = str(REPO / "examples" / "vercel" / "app.py")
    served = subprocess.run([sys.executable, "-c", code, script], capture_output=True, check=True, env=env)
    from cronix.protocol.manifest import canonical_json, load_manifest_object

    doc = json.loads((REPO / "examples" / "vercel" / "manifest.json").read_text())
    expected = canonical_json(load_manifest_object(doc))
    assert served.stdout.decode() == expected
