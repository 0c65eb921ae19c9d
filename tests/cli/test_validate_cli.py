"""``cronix validate`` and the CLI skeleton, driven as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import CRONIX, assert_one_line_error, run_cronix

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "manifest.json"


def test_valid_manifest_prints_its_jobs() -> None:
    proc = run_cronix("validate", str(EXAMPLE))
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "OK  app=billing jobs=3"
    assert [line.split()[1] for line in lines[1:]] == ["heartbeat", "nightly-report", "reconcile-payments"]


def test_valid_manifest_as_json_and_with_next_fire_times() -> None:
    proc = run_cronix("validate", str(EXAMPLE), "-o", "json", "--next", "2")
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["ok"] is True
    assert doc["app"] == "billing"
    assert doc["jobs"] == 3
    nightly = doc["next_fire_times"]["nightly-report"]
    assert len(nightly) == 2  # one list per schedule
    assert all(len(times) == 2 for times in nightly)
    assert all(t.endswith(("+01:00", "+02:00")) for t in nightly[0])  # Europe/Berlin


def test_canonical_output_reparses_to_itself(tmp_path: Path) -> None:
    first = run_cronix("validate", "--canonical", str(EXAMPLE))
    assert first.returncode == 0, first.stderr
    canonical = tmp_path / "canonical.json"
    canonical.write_text(first.stdout.rstrip("\n"), encoding="utf-8")
    second = run_cronix("validate", "--canonical", f"file://{canonical}")
    assert second.stdout == first.stdout
    assert "\\u0026" in first.stdout  # Go-style escaping of & in the heartbeat query


def test_relative_path_and_stdin(tmp_path: Path) -> None:
    shutil.copy(EXAMPLE, tmp_path / "m.json")
    assert run_cronix("validate", "m.json", cwd=tmp_path).returncode == 0
    assert run_cronix("validate", "-", stdin=EXAMPLE.read_bytes()).returncode == 0


def test_invalid_manifest_lists_every_issue_with_path_and_code(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "version": 2,
                "app": "Bad",
                "jobs": [{"name": "x", "schedule": "61 * * * *", "request": {"url": "ftp://h"}}],
            }
        )
    )
    proc = run_cronix("validate", str(bad))
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0] == f"cronix: error: {bad}: manifest invalid (4 issues):"
    assert [line.split(":")[0].strip() for line in lines[1:]] == [
        "version",
        "app",
        "jobs/0/schedule",
        "jobs/0/request/url",
    ]
    assert lines[1].endswith("(invalid_value)")


def test_invalid_manifest_as_json_lists_issue_objects(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '{"version":1,"app":"a","jobs":[{"name":"j","schedule":"@hourly","request":{"url":"https://h/x"},"x":1}]}'
    )
    proc = run_cronix("validate", "-o", "json", str(bad))
    assert proc.returncode == 1
    assert json.loads(proc.stdout) == {
        "ok": False,
        "issues": [{"path": ["jobs", "0", "x"], "message": 'unknown field "x"', "code": "unrecognized_key"}],
    }


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"version": 1,', "invalid JSON at line 1"),
        (b"[1, 2]", "manifest must be a JSON object, got array"),
        (b"null", "manifest must be a JSON object, got null"),
        (b'{"app": "\xff"}', "not valid UTF-8 (invalid byte 0xff at offset 9)"),
        (b"\xef\xbb\xbf{}", "byte order mark"),
        (b'{"version":1} trailing', "unexpected data after the end of the JSON value"),
        (b"", "manifest is empty"),
        (b"[" * 10_000 + b"]" * 10_000, "nested too deeply"),
    ],
)
def test_bytes_that_are_not_a_manifest_get_one_line_and_exit_1(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(content)
    assert_one_line_error(run_cronix("validate", str(path)), 1, fragment)


def test_a_50_mb_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    with path.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    assert_one_line_error(run_cronix("validate", str(path)), 1, "larger than the limit of 10485760 bytes")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda p: p / "missing.json", "no such file"),
        (lambda p: p, "it is a directory"),
        (lambda p: f"file://{p}/missing.json", "no such file"),
        (lambda p: "ftp://example.com/m.json", "is not supported here"),
    ],
)
def test_sources_that_cannot_be_read_exit_2(tmp_path: Path, make: object, fragment: str) -> None:
    source = make(tmp_path)  # type: ignore[operator]
    assert_one_line_error(run_cronix("validate", str(source)), 2, fragment)


def test_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text("{}")
    path.chmod(0o600)
    tmp_path.chmod(0o755)
    argv = [CRONIX, "validate", str(path)]
    if os.geteuid() == 0:  # root reads any file: drop to nobody to make the mode matter
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
        probe = subprocess.run([*argv[:4], CRONIX, "version"], capture_output=True, check=False)
        if probe.returncode != 0:
            pytest.skip("user nobody cannot run the virtualenv here (checkout in a private directory)")
    else:
        path.chmod(0)
    proc = subprocess.run(argv, capture_output=True, text=True, check=False)
    assert_one_line_error(proc, 2, "permission denied")


def test_usage_errors_exit_2_with_one_line() -> None:
    assert_one_line_error(run_cronix("validate", "--bogus", "x"), 2, "No such option")
    assert_one_line_error(run_cronix("validate"), 2, "Missing argument")
    assert_one_line_error(run_cronix("no-such-command"), 2, "No such command")


def test_version_text_and_json() -> None:
    from cronix import __version__

    text = run_cronix("version")
    assert text.stdout.splitlines()[0] == f"cronix {__version__}"
    doc = json.loads(run_cronix("version", "-o", "json").stdout)
    assert doc["version"] == __version__
    assert set(doc) == {"version", "python", "target"}
    assert run_cronix("--version").stdout.strip() == f"cronix {__version__}"


def test_help_lists_the_commands() -> None:
    proc = run_cronix("--help")
    assert proc.returncode == 0
    for name in ("validate", "version", "completion", "conformance"):
        assert f"  {name} " in proc.stdout


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts(shell: str, tmp_path: Path) -> None:
    proc = run_cronix("completion", shell)
    assert proc.returncode == 0, proc.stderr
    assert "_CRONIX_COMPLETE" in proc.stdout
    if shell == "bash":
        script = tmp_path / "c.bash"
        script.write_text(proc.stdout)
        assert subprocess.run(["bash", "-n", str(script)], check=False).returncode == 0


def test_bash_completion_really_completes_commands() -> None:
    env = {"_CRONIX_COMPLETE": "bash_complete", "COMP_WORDS": "cronix val", "COMP_CWORD": "1"}
    proc = run_cronix(env=env)
    assert "plain,validate" in proc.stdout.splitlines()


def test_completion_rejects_unknown_shell() -> None:
    assert_one_line_error(run_cronix("completion", "powershell"), 2, "powershell")
