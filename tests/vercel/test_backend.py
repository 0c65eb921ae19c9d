"""The vercel backend on a real vercel.json under tmp, through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cronix.cli.app import main as cli_main
from tests.reconcile.conftest import Result, job, manifest_doc
from tests.support.cli import assert_one_line_error, run_cronix


class Project:
    """A Vercel project directory with a vercel.json; cronix commands run in-process against it."""

    def __init__(self, root: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.root, self.capsys = root, capsys
        self.file = root / "vercel.json"
        self.options: dict[str, Any] = {}

    def write(self, doc: Any, *, indent: int | None = 4) -> None:
        self.file.write_text(json.dumps(doc, indent=indent) + "\n")

    def doc(self) -> Any:
        return json.loads(self.file.read_text())

    def manifest(self, app: str, *jobs: dict[str, Any], name: str | None = None) -> Path:
        path = self.root / (name or f"{app}.json")
        path.write_text(json.dumps(manifest_doc(app, *jobs)))
        return path

    def run(self, *args: str) -> Result:
        config = self.root / "cronix.yaml"
        config.write_text(json.dumps({
            "backend": "vercel",
            "backends": {"vercel": {"path": str(self.file), **self.options}},
            "spec_dir": str(self.root / "jobs"),
            "apply": {"lock_path": str(self.root / "apply.lock")},
            "trigger": {"run_log": ""},
        }))  # fmt: skip
        self.capsys.readouterr()
        code = cli_main([args[0], "--config", str(config), *args[1:]])
        out = self.capsys.readouterr()
        return Result(code, out.out, out.err)

    def apply(self, manifest: Path) -> Result:
        return self.run("apply", "--manifest", str(manifest))

    def stamp(self) -> tuple[int, int, bytes]:
        st = self.file.stat()
        return st.st_ino, st.st_mtime_ns, self.file.read_bytes()


@pytest.fixture
def project(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.setenv("HOME", str(tmp_path))
    return Project(tmp_path, capsys)


ORIGINAL = {
    "buildCommand": "pnpm build",
    "crons": [
        {"path": "/api/cleanup", "schedule": "0 3 * * *"},
        {"path": "/api/v1/scheduled/legacy-thing", "schedule": "5 4 * * *"},
    ],
    "functions": {"api/*.js": {"maxDuration": 10}},
    "rewrites": [{"source": "/a&b", "destination": "/<c>"}],
}


def test_apply_owns_only_its_entries_and_keeps_everything_else(project: Project) -> None:
    project.write(ORIGINAL)
    m = project.manifest(
        "billing", job("report", "30 6 * * mon-fri", "0 12 1 jan,jul *"), job("ping", "*/15 * * * *")
    )
    assert project.apply(m).code == 0
    doc = project.doc()
    assert list(doc) == list(ORIGINAL)  # key order kept, crons where it was
    assert {k: v for k, v in doc.items() if k != "crons"} == {
        k: v for k, v in ORIGINAL.items() if k != "crons"
    }
    foreign, owned = doc["crons"][:2], doc["crons"][2:]
    assert foreign == ORIGINAL["crons"]
    assert [e["schedule"] for e in owned] == ["*/15 * * * *", "30 6 * * 1-5", "0 12 1 1,7 *"]  # numbers only
    assert all(
        e["path"].startswith(
            ("/api/v1/scheduled/ping?cronix=billing.0.", "/api/v1/scheduled/report?cronix=billing.")
        )
        for e in owned
    )
    text = project.file.read_text()
    assert text.endswith("}\n") and '\n  "buildCommand": "pnpm build",\n' in text  # 2-space indent
    assert not (project.root / "jobs").exists()  # Vercel calls the app: no trigger spec files


def test_a_second_apply_writes_nothing(project: Project) -> None:
    project.write(ORIGINAL)
    m = project.manifest("billing", job("report", "30 6 * * 1"))
    assert project.apply(m).code == 0
    before = project.stamp()
    again = project.apply(m)
    assert again.code == 0 and "Apply: noop" in again.out
    assert project.stamp() == before
    # Reformatting by hand is not a change: the value is the same, so nothing is rewritten.
    project.write(project.doc(), indent=8)
    reformatted = project.stamp()
    assert "Apply: noop" in project.apply(m).out
    assert project.stamp() == reformatted


def test_hand_edits_of_an_owned_entry_are_drift(project: Project) -> None:
    m = project.manifest("billing", job("report", "30 6 * * 1"))
    assert project.apply(m).code == 0
    assert project.run("drift", "--manifest", str(m), "--exit-on-drift").code == 0
    doc = project.doc()
    doc["crons"][0]["schedule"] = "0 9 * * 1"
    project.write(doc)
    drift = project.run("drift", "--manifest", str(m), "--exit-on-drift")
    assert drift.code == 5 and "  ~ billing.report  (edited by hand)" in drift.out
    assert project.apply(m).code == 0
    assert project.doc()["crons"][0]["schedule"] == "30 6 * * 1"


def test_apps_sharing_a_file_never_touch_each_other(project: Project) -> None:
    assert project.apply(project.manifest("web", job("report", "0 1 * * *"))).code == 0
    assert project.apply(project.manifest("worker", job("report", "0 2 * * *"))).code == 0
    assert project.apply(project.manifest("web", job("other", "0 3 * * *"), name="web2.json")).code == 0
    listed = project.run("list", "-o", "json").json()["entries"]
    assert sorted((e["app"], e["job"]) for e in listed) == [("web", "other"), ("worker", "report")]


@pytest.mark.parametrize(
    ("schedule", "tz", "fragment"),
    [
        ("@hourly", None, 'write its five fields "0 * * * *" instead'),
        ("@every 5m", None, 'Vercel has no "@every"'),
        ("0 9 * * *", "Europe/Berlin", "Vercel runs cron jobs in UTC only"),
        ("0 9 1 * 1", None, "restricts both the day of the month and the day of the week"),
    ],
)
def test_schedules_vercel_cannot_run_are_validation_errors(
    project: Project, schedule: str, tz: str | None, fragment: str
) -> None:
    project.write(ORIGINAL)
    before = project.stamp()
    result = project.run(
        "plan", "--manifest", str(project.manifest("billing", job("report", schedule, tz=tz)))
    )
    assert result.code == 1
    assert "backend vercel cannot run this manifest" in result.err and fragment in result.err
    assert project.apply(project.manifest("billing", job("report", schedule, tz=tz))).code == 1
    assert project.stamp() == before


def test_etc_utc_is_utc(project: Project) -> None:
    assert project.apply(project.manifest("billing", job("report", "0 9 * * *", tz="Etc/UTC"))).code == 0


def test_vercels_documented_limits(project: Project) -> None:
    project.options = {"plan": "hobby"}
    hourly = project.run("plan", "--manifest", str(project.manifest("a", job("x", "0 * * * *"))))
    assert hourly.code == 1 and "more than once a day" in hourly.err
    project.options = {}
    project.write({"crons": [{"path": f"/api/other-{i}", "schedule": "0 0 * * *"} for i in range(95)]})
    many = project.run(
        "plan", "--manifest", str(project.manifest("a", job("x", *[f"{i} 1 * * *" for i in range(6)])))
    )
    assert (
        many.code == 1
        and "would hold 101 cron jobs (95 of them not this app's); Vercel allows 100" in many.err
    )


def test_an_unowned_entry_at_a_jobs_path_is_refused(project: Project) -> None:
    project.write({"crons": [{"path": "/api/v1/scheduled/report", "schedule": "30 6 * * 1"}]})
    before = project.stamp()
    result = project.apply(project.manifest("billing", job("report", "30 6 * * 1")))
    assert result.code == 1 and "Vercel would call the job twice" in result.err
    assert project.stamp() == before


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b'{"crons": [', "invalid JSON at line 1 column 12"),
        (b'{"crons": 5}', '"crons" must be an array'),
        (b"[1, 2]", "the top level must be a JSON object"),
        (b'{"a": 1, "a": 2}', 'duplicate key "a"'),
        (b'{"a": 1e999}', "the number 1e999 is out of range"),
        (b'{"a": NaN}', "NaN is not JSON"),
    ],
)
def test_a_vercel_json_cronix_cannot_preserve_is_a_clear_error_and_stays_untouched(
    tmp_path: Path, content: bytes, fragment: str
) -> None:
    target = tmp_path / "vercel.json"
    target.write_bytes(content)
    before = target.stat().st_mtime_ns
    m = tmp_path / "m.json"
    m.write_text(json.dumps(manifest_doc("billing", job("report", "30 6 * * 1"))))
    proc = run_cronix(
        "apply", "--manifest", str(m), "--backend", "vercel", "--backend-config", f"path={target}",
        "--lock-path", str(tmp_path / "lock"), env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert_one_line_error(
        proc, 3, f"backend vercel is not usable: {target}: {fragment}", "cronix changed nothing"
    )
    assert target.read_bytes() == content and target.stat().st_mtime_ns == before


def test_list_show_prune_verify_and_status(project: Project) -> None:
    project.write(ORIGINAL)
    m = project.manifest("billing", job("report", "30 6 * * 1", "0 7 * * 2"))
    assert project.apply(m).code == 0
    shown = project.run("show", "billing.report", "--manifest", str(m), "-o", "json").json()
    assert shown["found"] and shown["in_sync"] and len(shown["entries"]) == 2
    assert project.run("verify-ownership", "--manifest", str(m)).code == 0
    status = project.run("global-status", "-o", "json").json()["backends"][0]
    assert (status["type"], status["owned"], status["error"]) == ("vercel", 2, None)
    history = project.run("history", "billing.report", "--backend", "vercel", "--no-journald", "-o", "json")
    assert history.code == 0 and history.json()["entries"] == []
    assert project.run("prune", "--yes").code == 0
    assert project.doc() == ORIGINAL


def test_the_backend_conformance_suite_passes(tmp_path: Path) -> None:
    proc = run_cronix(
        "conformance", "backend", "--backend", "vercel", "--backend-config", "path={tmp}/vercel.json",
        env={"HOME": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 failed" in proc.stdout
    assert "PASS  backend   foreign entries are never listed or touched" in proc.stdout


def test_a_paused_job_is_omitted_and_resuming_adds_it_back(project: Project) -> None:
    """Issue 15 item 5 (D-721): vercel.json cannot hold a cron that does not run."""
    both = project.manifest("billing", job("a", "0 2 * * *"), job("b", "0 3 * * *"))
    assert project.apply(both).code == 0
    paused = project.manifest(
        "billing", job("a", "0 2 * * *", enabled=False), job("b", "0 3 * * *"), name="p.json"
    )
    plan = json.loads(project.run("plan", "--manifest", str(paused), "-o", "json").out)
    assert [(op["action"], op["job"]) for op in plan["ops"]] == [("delete", "a"), ("skip", "b")]
    assert project.apply(paused).code == 0
    assert [c["path"].split("?")[0] for c in project.doc()["crons"]] == ["/api/v1/scheduled/b"]
    again = json.loads(project.run("plan", "--manifest", str(paused), "-o", "json").out)
    assert again["noop"]
    assert project.apply(both).code == 0
    assert len(project.doc()["crons"]) == 2
