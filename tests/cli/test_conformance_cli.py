"""``cronix conformance run`` and ``cronix conformance-adapter`` as real subprocesses."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from tests.support.cli import CRONIX, assert_one_line_error, run_cronix

VECTORS = Path(__file__).resolve().parents[2] / "spec" / "vectors"


@pytest.mark.slow
def test_every_vector_passes_through_the_real_adapter() -> None:
    proc = run_cronix("conformance", "run", "--vectors", str(VECTORS), timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:]
    lines = proc.stdout.splitlines()
    total = sum(
        len(json.loads((VECTORS / name).read_bytes())["vectors"])
        for name in ("manifest-vectors.json", "auth-vectors.json", "fire-jwt-vectors.json")
    )
    assert lines[-1] == f"{total} total / {total} passed / 0 failed"
    assert sum(line.startswith("PASS  ") for line in lines) == total


def _mini_vectors(tmp_path: Path) -> Path:
    d = tmp_path / "vectors"
    d.mkdir()
    (d / "manifest-vectors.json").write_text(
        json.dumps(
            {
                "version": 1,
                "vectors": [
                    {
                        "name": "ok",
                        "valid": True,
                        "input": {
                            "version": 1,
                            "app": "a",
                            "jobs": [
                                {"name": "j", "schedule": "@hourly", "request": {"url": "https://h/?a=1&b=2"}}
                            ],
                        },
                        "expected": '{"version":1,"app":"a","jobs":[{"name":"j","schedules":["@hourly"],"timezone":"UTC","request":{"method":"POST","url":"https://h/?a=1\\u0026b=2","headers":{},"body":""},"policy":{"concurrency":"Forbid","concurrency_scope":"host","timeout_seconds":60,"retries":{"max_attempts":3,"min_seconds":1,"max_seconds":60}},"auth":{"secret_refs":[]}}]}',
                    },
                    {"name": "bad", "valid": False, "input": {"version": 2}, "errorPaths": ["version"]},
                ],
            }
        )
    )
    return d


def _adapter(tmp_path: Path, body: str) -> str:
    script = tmp_path / "adapter.py"
    script.write_text(body)
    return f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"


# An adapter in the style of the TypeScript SDK: same JSON, but no HTML escaping of "&".
NON_ESCAPING = f"""
import json, subprocess, sys
out = subprocess.run([{CRONIX!r}, "conformance-adapter", sys.argv[1]], input=sys.stdin.buffer.read(), capture_output=True).stdout
sys.stdout.write(out.decode().replace("\\\\u0026", "&"))
"""


def test_byte_exactness_is_required_unless_lenient(tmp_path: Path) -> None:
    vectors = _mini_vectors(tmp_path)
    adapter = _adapter(tmp_path, NON_ESCAPING)
    strict = run_cronix("conformance", "run", "--vectors", str(vectors), "--adapter", adapter)
    assert strict.returncode == 1
    assert strict.stdout.splitlines()[0].startswith("FAIL  manifest    ok")
    assert strict.stdout.splitlines()[-1] == "2 total / 1 passed / 1 failed"
    assert strict.stderr.strip() == "cronix: error: 1 of 2 vectors failed"
    lenient = run_cronix(
        "conformance", "run", "--vectors", str(vectors), "--adapter", adapter, "--lenient-json"
    )
    assert lenient.returncode == 0, lenient.stdout
    assert "JSON-equivalent, not byte-identical" in lenient.stdout


def test_a_crashing_adapter_fails_each_vector(tmp_path: Path) -> None:
    vectors = _mini_vectors(tmp_path)
    adapter = _adapter(tmp_path, "import sys; sys.stderr.write('boom\\n'); sys.exit(3)")
    proc = run_cronix("conformance", "run", "--vectors", str(vectors), "--adapter", adapter)
    assert proc.returncode == 1
    assert "adapter exited 3: boom" in proc.stdout


def test_missing_vectors_directory_is_a_usage_error(tmp_path: Path) -> None:
    assert_one_line_error(
        run_cronix("conformance", "run", "--vectors", str(tmp_path / "nope")), 2, "does not exist"
    )
    assert_one_line_error(run_cronix("conformance", "run", "--vectors", str(tmp_path)), 2, "no vector files")


def test_adapter_contract_over_stdin_and_stdout() -> None:
    signed = run_cronix(
        "conformance-adapter",
        "auth-sign",
        stdin=json.dumps(
            {"secret": "k", "method": "post", "path": "/p", "bodyB64": "", "timestamp": 5}
        ).encode(),
    )
    assert signed.returncode == 0
    assert signed.stdout.startswith("t=5,v1=")
    verified = run_cronix(
        "conformance-adapter",
        "auth-verify",
        stdin=json.dumps(
            {
                "secrets": ["x", "k"],
                "method": "POST",
                "path": "/p",
                "bodyB64": "",
                "header": signed.stdout,
                "now": 5,
                "maxSkewSeconds": 0,
            }
        ).encode(),
    )
    assert json.loads(verified.stdout) == {"ok": True, "secret_index": 1}
    invalid = run_cronix("conformance-adapter", "manifest-canonicalize", stdin=b"[]")
    assert invalid.returncode == 0
    assert json.loads(invalid.stdout) == {"error": {"paths": [""]}}


def test_adapter_misuse_exits_2() -> None:
    assert run_cronix("conformance-adapter", "bogus", stdin=b"{}").returncode == 2
    assert run_cronix("conformance-adapter", "auth-sign", stdin=b"not json").returncode == 2
    assert run_cronix("conformance-adapter").returncode == 2
    helped = run_cronix("conformance-adapter", "--help")
    assert helped.returncode == 0
    assert "manifest-canonicalize" in helped.stdout
