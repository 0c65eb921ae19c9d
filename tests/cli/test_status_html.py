"""``cronix status --html FILE`` (issue 15 item 2): a self-contained static page, rendered by a
real headless Chromium (Debian ``chromium``), whose DOM holds every job and its state.

Chromium runs with HOME and its profile under tmp and with background networking off; the page
forbids every fetch itself (Content-Security-Policy ``default-src 'none'``), so a rendering that
works proves nothing external is needed. Text from outside (a run log's host field) must arrive
as text, never as markup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from cronix.runlog import format_time
from tests.reconcile.conftest import Host, job

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="Debian package chromium is not installed (./run setup adds it)"
)
HOSTILE = '<img src=x onerror="alert(1)">web-1'


def _chromium(tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp / "chromium-home"
    home.mkdir(exist_ok=True)
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         f"--user-data-dir={tmp / 'chromium-profile'}", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "HOME": str(home)},
    )  # fmt: skip


class _Rows(HTMLParser):
    """The job rows of the rendered DOM: their data attributes and their cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict[str, str]] = []
        self.cells: list[list[str]] = []
        self.tags: list[str] = []
        self._in_jobs = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = {k: v or "" for k, v in attrs}
        if tag == "table":
            self._in_jobs = found.get("id") == "jobs"
        if tag == "tr" and self._in_jobs and "data-job" in found:
            self.rows.append(found)
            self.cells.append([])
        if tag == "td" and self._in_jobs:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None and self.cells:
            self.cells[-1].append("".join(self._cell))
            self._cell = None
        if tag == "table":
            self._in_jobs = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def test_the_status_page_renders_in_chromium_with_every_job_and_its_state(host: Host) -> None:
    m = host.manifest(
        "billing",
        job("ping", "*/5 * * * *"),
        job("report", "30 9 * * mon-fri", policy={"jitter_seconds": 30}),
        job("paused", "@hourly", enabled=False),
    )
    assert host.apply(m).code == 0
    host.crontab.write_text(host.crontab.read_text().replace("30 9 * * ", "31 9 * * "))
    started = datetime.now(UTC) - timedelta(minutes=3)
    record = {
        "v": 1, "app": "billing", "job": "ping", "run_id": "r1", "status": "ok", "outcome": "success",
        "exit_code": 0, "attempts": 1, "http_status": 200, "started_at": format_time(started),
        "finished_at": format_time(started + timedelta(milliseconds=84)), "fire_time": None,
        "duration_ms": 84, "host": HOSTILE, "detail": "",
    }  # fmt: skip
    run_log = host.root / "runs.jsonl"
    run_log.write_text(json.dumps(record) + "\n")
    page = host.root / "site" / "status.html"
    page.parent.mkdir()
    page.write_text("old page")
    flags = [*host.plan_flags(), "--no-journald", "--run-log", str(run_log)]
    result = host.run("status", *flags, "--html", str(page))
    assert result.code == 0, result.err
    assert result.out == f"status page of 3 job(s) written to {page}\n"
    assert sorted(os.listdir(page.parent)) == ["status.html"]  # replaced atomically, no temp left
    text = page.read_text()
    assert "<script" not in text and "src=" not in text.replace("src=x", "") and "href=" not in text
    assert "default-src 'none'" in text

    dom = _chromium(host.root, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = _Rows()
    parsed.feed(dom.stdout)
    rows = {r["data-job"]: r for r in parsed.rows}
    assert sorted(rows) == ["billing.paused", "billing.ping", "billing.report"]
    assert {k: (r["data-state"], r["data-pause"]) for k, r in rows.items()} == {
        "billing.paused": ("in-sync", "paused"),
        "billing.ping": ("in-sync", ""),
        "billing.report": ("drifted", ""),
    }
    cells = dict(zip([r["data-job"] for r in parsed.rows], parsed.cells, strict=True))
    assert "ok" in cells["billing.ping"] and "84ms" in cells["billing.ping"]
    assert HOSTILE in cells["billing.ping"]  # the host arrived as text
    assert "img" not in parsed.tags  # ... and never as an element
    assert "+0..30s" in cells["billing.report"] and "paused" in cells["billing.paused"]

    shot = host.root / "status.png"
    drawn = _chromium(
        host.root, "--window-size=1400,500", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri()
    )
    assert drawn.returncode == 0, drawn.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000


def test_a_page_that_cannot_be_written_is_a_one_line_error_that_leaves_nothing_behind(host: Host) -> None:
    assert host.apply(host.manifest("billing", job("ping"))).code == 0
    page = host.root / "site" / "status.html"
    page.mkdir(parents=True)  # a directory where the page should go: even root cannot replace it
    (page / "keep").write_text("old")
    result = host.run("status", *host.plan_flags(), "--no-journald", "--html", str(page))
    assert result.code == 2
    assert (
        result.err.startswith(f"cronix: error: --html: cannot write {page}: ") and result.err.count("\n") == 1
    )
    assert sorted(os.listdir(page.parent)) == ["status.html"] and (page / "keep").read_text() == "old"
