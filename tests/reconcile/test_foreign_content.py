"""Property: foreign crontab content survives any sequence of applies, byte for byte."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronix.backends.base import HostContext
from cronix.backends.crontab import CrontabBackend, CrontabOptions
from cronix.backends.crontab_format import BEGIN, END, MARKER_PREFIX
from cronix.protocol.manifest import load_manifest_object
from cronix.reconcile import apply_plan, compute_plan

_LINES = st.one_of(
    st.just(""),
    st.just("# a comment"),
    st.sampled_from(
        ["MAILTO=ops@example.com", "SHELL=/bin/bash", "PATH=/usr/bin:/bin", "CRON_TZ=Europe/Paris"]
    ),
    st.sampled_from(
        ["@reboot /usr/bin/warmup", "@daily   /usr/bin/rotate  # nightly", "*/5 * * * * root run"]
    ),
    st.sampled_from(["0 * * * * /usr/local/bin/cronix trigger billing.ping", "   ", "\t# indented"]),
    st.text(alphabet=st.characters(blacklist_characters="\n", blacklist_categories=["Cs"]), max_size=40),
)
_ENDINGS = st.sampled_from(["\n", "\r\n"])
_SCHEDULES = st.sampled_from(
    ["@hourly", "@daily", "*/5 * * * *", "0 9 * * mon-fri", "@every 15m", "30 2 1 * *"]
)


@st.composite
def foreign_content(draw: st.DrawFn) -> str:
    lines = draw(st.lists(st.tuples(_LINES, _ENDINGS), max_size=12))
    text = "".join(line + end for line, end in lines)
    if text and draw(st.booleans()):
        text = text.rstrip("\r\n")  # no trailing newline
    return text


@st.composite
def manifests(draw: st.DrawFn) -> dict[str, object]:
    names = draw(
        st.lists(st.sampled_from(["ping", "pong", "report", "sync"]), min_size=1, max_size=4, unique=True)
    )
    jobs = [
        {
            "name": n,
            "schedules": draw(st.lists(_SCHEDULES, min_size=1, max_size=3)),
            "request": {"url": f"https://billing.example.com/{n}"},
        }
        for n in names
    ]
    return {"version": 1, "app": "billing", "jobs": jobs}


def _without_block(data: bytes) -> bytes:
    out, inside = [], False
    for line in data.split(b"\n"):
        bare = line.decode("utf-8", "surrogateescape")
        if bare == BEGIN:
            inside = True
        elif bare == END and inside:
            inside = False
        elif not inside:
            out.append(line)
    return b"\n".join(out)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(foreign=foreign_content(), sequence=st.lists(manifests(), min_size=1, max_size=4))
def test_foreign_lines_survive_every_apply(foreign: str, sequence: list[dict[str, object]]) -> None:
    lines = foreign.replace("\r\n", "\n").split("\n")
    if any(line.rstrip("\r") in (BEGIN, END) or line.startswith(MARKER_PREFIX.rstrip()) for line in lines):
        return  # not foreign content
    original = foreign.encode("utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "crontab"
        path.write_bytes(original)
        backend = CrontabBackend(
            CrontabOptions(path=str(path)), HostContext(trigger_bin="/usr/local/bin/cronix")
        )
        for doc in sequence:
            manifest = load_manifest_object(doc)
            apply_plan(compute_plan(backend, manifest), backend)
            data = path.read_bytes()
            assert _without_block(data) == original
            assert compute_plan(backend, manifest).noop
            installed = {(e.job, e.index) for e in backend.list_entries()}
            assert installed == {(j.name, i) for j in manifest.jobs for i in range(len(j.schedules))}
        for job in {e.job for e in backend.list_entries()}:
            backend.delete("billing", job)
        assert path.read_bytes() == original
