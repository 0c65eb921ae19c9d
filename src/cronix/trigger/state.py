"""Per-job state: when the job last succeeded (``X-Cron-Previous-Success-Time``, D-205).

One small JSON file per job, ``<state_dir>/<app>.<job>.json``::

    {"app": "billing", "job": "ping", "last_success_time": 1730000000, "run_id": "0190…"}

written after every success through a temp file in the same directory and a rename, so a
crashed shim leaves the previous value, never half a file. There is no fsync: it would put
a disk flush on every fire, and the worst a power cut can do is leave a file the reader
treats as unknown. A missing or unreadable file means "unknown" and the header is
omitted; the state is per host. The reference defines the header but never sends it.
"""

from __future__ import annotations

import json
import os

__all__ = ["read_last_success", "state_path", "write_last_success"]


def state_path(state_dir: str, app: str, job: str) -> str:
    return os.path.join(state_dir, f"{app}.{job}.json")


def read_last_success(state_dir: str, app: str, job: str) -> int | None:
    from cronix.fileio import read_regular

    try:  # a regular file only: a FIFO planted here must not block the fire
        data, _ = read_regular(state_path(state_dir, app, job), 4096)
        doc = json.loads(data)
    except (OSError, ValueError, RecursionError):
        return None
    value = doc.get("last_success_time") if isinstance(doc, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def write_last_success(state_dir: str, app: str, job: str, when: int, run_id: str) -> None:
    """Record a success; raise :class:`OSError` when the directory is not writable."""
    from cronix.fileio import write_atomic

    doc = {"app": app, "job": job, "last_success_time": when, "run_id": run_id}
    data = json.dumps(doc, separators=(",", ":")).encode() + b"\n"
    # No fsync: losing the last success time in a power cut costs one header, not a fire.
    write_atomic(state_path(state_dir, app, job), data, mode=0o644, fsync=False)
