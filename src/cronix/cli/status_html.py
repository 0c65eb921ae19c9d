"""``cronix status --html FILE``: one self-contained static page of the status.

No server, no script, no external asset (styles inline, no fonts or images fetched), so the
page can be copied anywhere — an artifact of a CI job, a file served by any web server, an
attachment. Every piece of text is HTML-escaped (job names are constrained, but URLs,
details and hosts come from outside). Rows carry ``data-job`` / ``data-state`` /
``data-pause`` attributes so a test or a script can read the page without scraping cells.
The file is replaced atomically (:func:`cronix.fileio.write_atomic`): a reader never sees
half a page.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from cronix.cli.status_columns import COLUMNS, MISSED_COLUMNS, clock

if TYPE_CHECKING:
    from cronix.operations.job_status import StatusReport

__all__ = ["render_page", "write_page"]

_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5em;color:#1b1f23;background:#fff}
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.5em 0 .4em}
p.meta{color:#57606a;margin:0 0 1em}
table{border-collapse:collapse;width:100%}
th,td{border-bottom:1px solid #d0d7de;padding:.35em .6em;text-align:left;vertical-align:top;
  white-space:nowrap}
td.wrap{white-space:normal;min-width:12em}
th{background:#f6f8fa;font-weight:600}
tr.in-sync td.col-state{color:#1a7f37}
tr.drifted td.col-state,tr.missing td.col-state,tr.undeclared td.col-state{color:#cf222e;font-weight:600}
tr.unverified td.col-state{color:#9a6700}
tr.paused{background:#f6f8fa;color:#57606a}
td.last-failed,td.has-missed,span.missed{color:#cf222e;font-weight:600}
td.last-ok{color:#1a7f37}
.summary span{display:inline-block;margin-right:1.2em}
.error{color:#cf222e}
"""

#: No network at all, even if someone adds a link later: the page is self-contained.
_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
#: Cells that read better wrapped (free text); the others stay on one line.
_WRAP = {"SCHEDULE", "DETAIL"}


def _cell_class(header: str, text: str) -> str:
    classes = [f"col-{header.lower()}"]
    if header in _WRAP:
        classes.append("wrap")
    if header == "LAST" and text:
        classes.append("last-ok" if text == "ok" else "last-failed")
    if header == "MISSED" and text:
        classes.append("has-missed")
    return " ".join(classes)


def render_page(report: StatusReport, *, title: str = "cronix status") -> str:
    """The page as text (UTF-8 when written)."""
    columns = [c for c in COLUMNS if c.header != "MISSED" or report.missed_since is not None]
    states: dict[str, int] = {}
    for job in report.jobs:
        states[job.state] = states.get(job.state, 0) + 1
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta http-equiv="Content-Security-Policy" content="{_POLICY}">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">generated <time id="generated">{escape(clock(report.generated_at))}</time>'
        + (f" · run log {escape(report.run_log)}" if report.run_log else "")
        + "</p>",
        '<p class="summary" id="summary">'
        + f"<span>{len(report.jobs)} job(s)</span>"
        + "".join(f"<span>{escape(k)}: {v}</span>" for k, v in sorted(states.items()))
        + (f'<span class="missed">missed: {len(report.missed)}</span>' if report.missed_since else "")
        + "</p>",
    ]
    for b in report.unreadable:
        out.append(
            f'<p class="error" data-backend="{escape(b.name)}">{escape(b.name)}: {escape(b.error or "")}</p>'
        )
    out.append('<table id="jobs"><thead><tr>')
    out += [f"<th>{escape(c.header)}</th>" for c in columns]
    out.append("</tr></thead><tbody>")
    for job in report.jobs:
        row_class = f"{job.state}{' paused' if job.declared_pause else ''}"
        out.append(
            f'<tr class="{escape(row_class)}" data-backend="{escape(job.backend)}" '
            f'data-job="{escape(job.target)}" data-state="{escape(job.state)}" '
            f'data-pause="{escape(job.pause)}">'
        )
        for c in columns:
            text = c.cell(job)
            out.append(f'<td class="{_cell_class(c.header, text)}">{escape(text or "-")}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    if report.missed_since is not None:
        out.append(f"<h2>Missed since {escape(clock(report.missed_since))}</h2>")
        if report.missed:
            out.append('<table id="missed"><thead><tr>')
            out += [f"<th>{escape(c.header)}</th>" for c in MISSED_COLUMNS]
            out.append("</tr></thead><tbody>")
            for m in report.missed:
                out.append(f'<tr data-fire-id="{escape(m.fire_id)}">')
                out += [f"<td>{escape(c.cell(m))}</td>" for c in MISSED_COLUMNS]
                out.append("</tr>")
            out.append("</tbody></table>")
        else:
            out.append('<p id="missed">none: every expected run has a successful record.</p>')
    out.append("</body></html>\n")
    return "\n".join(out)


def write_page(path: str, report: StatusReport) -> None:
    """Replace ``path`` with the page (a usage error when it cannot be written)."""
    from cronix.errors import UsageError
    from cronix.fileio import write_atomic

    try:
        write_atomic(path, render_page(report).encode("utf-8"), mode=0o644)
    except OSError as exc:
        raise UsageError(f"--html: cannot write {path}: {exc.strerror or exc}") from None
