"""Nothing from outside reaches the terminal raw (issue 16 item 3).

Manifest fields, plugin messages, an app's response headers and a server's error text can
carry ESC, BEL, CR/LF or bidi controls. Printed raw they retitle or recolour the terminal,
or forge a second ``cronix: …`` line. Every message and rendered field is escaped in one
place (``cronix.cli.render``); these tests drive the real CLI against real servers and the
real echo plugin.
"""

from __future__ import annotations

import ast
import http.server
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronix.cli.render import printable
from tests.plugins.helpers import ECHO, make_config, sha256_pin
from tests.reconcile.conftest import Host, job, manifest_doc
from tests.support.cli import CRONIX, run_cronix
from tests.support.httpserver import serving

HOSTILE = "\x1b]0;pwned\x07\x1b[2J\nzz\rcronix: ok, all good\u202e"
FORBIDDEN = ("\x1b", "\x07", "\r", "\u202e", "\x00")
CLI = Path(__file__).resolve().parents[2] / "src" / "cronix" / "cli"


def _clean(text: str) -> None:
    for ch in FORBIDDEN:
        assert ch not in text, (ch, text)
    for line in text.splitlines():
        assert not line.startswith("cronix: ok"), line


def test_printable_escapes_controls_visibly() -> None:
    assert printable("a\x1b[31mb\x07\n\t\u202e\x7f\x85é") == "a\\x1b[31mb\\x07\\n\\t\\u202e\\x7f\\x85é"


def test_validate_never_prints_control_characters_from_the_manifest(tmp_path: Path) -> None:
    doc = manifest_doc("billing", job("ping", "@hourly", tz=HOSTILE))
    doc["jobs"][0][HOSTILE] = 1  # an unknown key, echoed in its issue's path and message
    doc["jobs"][0]["schedules"] = [f"0 0 * * {HOSTILE}"]
    path = tmp_path / "m.json"
    path.write_text(json.dumps(doc))
    proc = run_cronix("validate", str(path))
    assert proc.returncode == 1
    _clean(proc.stdout + proc.stderr)
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("cronix: error: ")
    assert all(line.startswith("  ") for line in lines[1:]), lines  # one line per issue, nothing forged
    assert len(lines) == 4  # header + unknown key + schedule + timezone
    assert "\\x1b]0;pwned\\x07" in proc.stderr


def test_a_plugin_message_with_newlines_stays_one_line(tmp_path: Path) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir(mode=0o755)
    shutil.copy2(ECHO, plugins / "cronix-backend-echo")
    (plugins / "cronix-backend-echo").chmod(0o755)
    _, cfg = make_config(
        tmp_path,
        dirs=[plugins],
        pins={"echo": sha256_pin(plugins / "cronix-backend-echo")},
        settings={
            "echo": {"state_path": str(tmp_path / "s.json"), "fail_rpc": "List", "fail_message": HOSTILE}
        },
    )
    proc = run_cronix("list", "--config", str(cfg), "--backend", "echo", env={"HOME": str(tmp_path)})
    assert proc.returncode == 3, proc.stderr
    _clean(proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "\\x1b]0;pwned" in proc.stderr


class _Hostile(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # a redirect whose Location would retitle the terminal
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        location = "/next\x1b]0;pwned\x07\x1b[2J".encode("latin-1")
        self.wfile.write(b"HTTP/1.1 302 Found\r\nLocation: " + location + b"\r\nContent-Length: 0\r\n\r\n")

    def do_GET(self) -> None:  # a manifest fetch answered with NUL bytes and ESC in the reason
        self.wfile.write(
            b"HTTP/1.1 502 Bad\x00\x1b[2J Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_app() -> Iterator[http.server.HTTPServer]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hostile)
    with serving(server):
        yield server


def test_history_escapes_what_an_app_sent(host: Host, hostile_app: http.server.HTTPServer) -> None:
    port = hostile_app.server_address[1]
    doc = manifest_doc("billing", job("ping", "@hourly"))
    doc["jobs"][0]["request"]["url"] = f"http://127.0.0.1:{port}/ping"
    m = host.root / "m.json"
    m.write_text(json.dumps(doc))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    run_log = host.root / "runs.jsonl"
    fire = subprocess.run(
        [CRONIX, "trigger", "billing.ping", "--spec-dir", str(host.spec_dir), "--run-log", str(run_log),
         "--state-dir", "", "--lock-dir", str(host.root / "locks")],
        capture_output=True, text=True, timeout=60, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(host.root), "CRON_SECRET": "s3cret-for-tests"},
    )  # fmt: skip
    assert fire.returncode == 1, fire.stdout + fire.stderr
    assert "\x1b" in run_log.read_text(encoding="utf-8") or "\\u001b" in run_log.read_text()
    table = run_cronix("history", "billing.ping", "--run-log", str(run_log), "--no-journald")
    assert table.returncode == 0, table.stderr
    _clean(table.stdout)
    assert "\\x1b]0;pwned" in table.stdout
    as_json = run_cronix("history", "billing.ping", "--run-log", str(run_log), "--no-journald", "-o", "json")
    _clean(as_json.stdout)
    assert "\x1b" in json.loads(as_json.stdout)["entries"][0]["detail"]  # JSON keeps the value, escaped


def test_a_fetch_error_never_prints_nul_or_escape_bytes(hostile_app: http.server.HTTPServer) -> None:
    port = hostile_app.server_address[1]
    proc = run_cronix(
        "validate", f"http://127.0.0.1:{port}/.well-known/cron-manifest", "--secret-ref", "env:S",
        env={"S": "s3cret-for-tests"},
    )  # fmt: skip
    assert proc.returncode == 3, proc.stderr
    _clean(proc.stderr)
    assert "\\x00" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_json_output_escapes_del_c1_and_bidi_controls(tmp_path: Path) -> None:
    import io
    from contextlib import redirect_stdout

    from cronix.cli.render import emit_json

    buf = io.StringIO()
    with redirect_stdout(buf):
        emit_json({"x": "a\x7fb\x9bc\u202ed\x1b"})
    text = buf.getvalue()
    _clean(text)
    assert "\x7f" not in text and "\x9b" not in text
    assert json.loads(text) == {"x": "a\x7fb\x9bc\u202ed\x1b"}


def test_no_cli_module_prints_around_the_renderer() -> None:
    """Every line goes through cronix.cli.render."""
    offenders = []
    for path in sorted(CLI.rglob("*.py")):
        if path.name == "render.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in ("echo", "secho", "confirm", "prompt", "write")
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id in ("click", "sys")
            ) or (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"):
                offenders.append(f"{path.relative_to(CLI)}:{node.lineno}")
    assert offenders == []


def test_a_failing_vector_keeps_its_own_layout_and_escapes_the_adapters_text(tmp_path: Path) -> None:
    vectors = json.loads((CLI.parents[2] / "spec" / "vectors" / "manifest-vectors.json").read_text())
    vectors["vectors"] = vectors["vectors"][:1]
    (tmp_path / "v").mkdir()
    (tmp_path / "v" / "manifest-vectors.json").write_text(json.dumps(vectors))
    adapter = tmp_path / "adapter.sh"
    adapter.write_text("#!/bin/sh\nprintf 'x\\033]0;pwned\\007\\ncronix: ok'\n")
    adapter.chmod(0o755)
    proc = run_cronix("conformance", "run", "--vectors", str(tmp_path / "v"), "--adapter", str(adapter))
    assert proc.returncode == 1
    _clean(proc.stdout)
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("FAIL  manifest")
    assert lines[1].startswith("      expected ")
    assert lines[2].startswith("      got ")
    assert lines[3] == "1 total / 0 passed / 1 failed"
