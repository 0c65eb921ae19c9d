"""Property: whatever a vercel.json holds, any sequence of applies keeps every key and entry cronix does not own.

Random documents (any JSON values under unknown keys, foreign ``crons`` entries — some
under the trigger prefix, unmarked) meet random sequences of manifests of two apps,
applied by the real reconciler to a real file. After every apply: the unknown keys keep
their values and order, the foreign entries are all there in their order, the owned
entries are exactly the current manifests' schedules (no duplicates), and applying the
same manifest again writes nothing.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cronix.backends.base import HostContext
from cronix.backends.vercel import VercelBackend, VercelOptions
from cronix.protocol.manifest import load_manifest_object
from cronix.reconcile import reconcile

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8,
)
TOP = st.dictionaries(st.text(max_size=8).filter(lambda k: k != "crons"), JSON, max_size=4)
FOREIGN = st.lists(
    st.one_of(
        st.fixed_dictionaries({"path": st.sampled_from(["/api/cleanup", "/api/a?b=1", "/api/v1/scheduled/zz-manual"]),
                               "schedule": st.sampled_from(["0 3 * * *", "5 4 * * *"])}),
        JSON,  # anything at all: cronix does not own it, so it must survive
    ),
    max_size=4,
)  # fmt: skip
JOBS = st.dictionaries(
    st.sampled_from(["report", "ping", "sync"]),
    st.lists(
        st.sampled_from(["0 1 * * *", "*/15 * * * *", "30 6 * * 1-5", "0 0 1 * *"]), min_size=1, max_size=3
    ),
    max_size=3,
)
STEPS = st.lists(st.tuples(st.sampled_from(["web", "worker"]), JOBS), min_size=1, max_size=5)


def _manifest(app: str, jobs: dict[str, list[str]]) -> Any:
    if not jobs:
        jobs = {"idle": ["0 0 1 1 *"]}
    return load_manifest_object(
        {
            "version": 1,
            "app": app,
            "jobs": [
                {"name": n, "schedules": s, "request": {"url": f"https://x.example/api/v1/scheduled/{n}"}}
                for n, s in jobs.items()
            ],
        }
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(top=TOP, foreign=FOREIGN, steps=STEPS, crons_first=st.booleans())
def test_unowned_keys_and_entries_survive_any_sequence_of_applies(
    top: dict[str, Any], foreign: list[Any], steps: list[tuple[str, dict[str, list[str]]]], crons_first: bool
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vercel.json"
        original = {"crons": foreign, **top} if crons_first else {**top, "crons": foreign}
        path.write_text(json.dumps(original))
        backend = VercelBackend(VercelOptions(path=str(path)), HostContext())
        current: dict[str, dict[str, list[str]]] = {}
        for app, jobs in steps:
            manifest = _manifest(app, jobs)
            reconcile(manifest, backend, lock=None)
            current[app] = {j.name: list(j.schedules) for j in manifest.jobs}
            doc = json.loads(path.read_text())
            assert list(doc) == list(original)
            assert {k: v for k, v in doc.items() if k != "crons"} == top
            crons = doc["crons"]
            assert crons[: len(foreign)] == foreign
            owned = sorted((e["path"].split("?cronix=")[1].split(".")[0], e["path"].split("?")[0].rsplit("/", 1)[1],
                            e["schedule"]) for e in crons[len(foreign):])  # fmt: skip
            want = sorted((a, n, s) for a, js in current.items() for n, ss in js.items() for s in ss)
            assert owned == want
            before = path.stat().st_mtime_ns, path.read_bytes()
            again = reconcile(manifest, backend, lock=None)
            assert again.result is not None and again.result.noop
            assert (path.stat().st_mtime_ns, path.read_bytes()) == before
