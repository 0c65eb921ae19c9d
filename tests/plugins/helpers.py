"""Helpers for the plugin tests: configs, process tables, throw-away plugin scripts."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from cronix.backends.base import FireSpec
from cronix.config import Config, load_config
from cronix.protocol.manifest import Job, load_manifest_object
from tests.support.procs import wait_until

REPO = Path(__file__).resolve().parents[2]
ECHO = Path(sys.executable).with_name("cronix-backend-echo")
HOSTILE = Path(__file__).resolve().parent / "hostile"


def sha256_pin(path: Path) -> str:
    """The pin of a file, computed here with hashlib (not with cronix)."""
    return "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()


def make_config(
    tmp: Path,
    *,
    dirs: list[Path] | None = None,
    pins: dict[str, str] | None = None,
    trust: str = "strict",
    settings: dict[str, dict[str, str]] | None = None,
    **top: object,
) -> tuple[Config, Path]:
    """A real cronix.yaml written to ``tmp`` and loaded with the real loader."""
    doc = {
        "plugins": {
            "trust": trust,
            "dirs": [str(d) for d in dirs or []],
            "pins": pins or {},
            "config": settings or {},
        },
        **top,
    }
    path = tmp / "cronix.yaml"
    path.write_text(yaml.safe_dump(doc), encoding="utf-8")
    return load_config(str(path)), path


def job(name: str, *schedules: str, timezone: str = "UTC") -> Job:
    raw = {
        "name": name,
        "schedules": list(schedules),
        "timezone": timezone,
        "request": {"url": f"https://app.example.com/api/v1/scheduled/{name}"},
    }
    return load_manifest_object({"version": 1, "app": "tests", "jobs": [raw]}).jobs[0]


def session_members(sid: int) -> list[int]:
    """Pids of live (non-zombie) processes whose session id is ``sid`` (from /proc)."""
    members = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        # after the command: state ppid pgrp session ...
        if fields[0] != "Z" and int(fields[3]) == sid:
            members.append(int(entry))
    return members


def kill_leftovers(*sids: int) -> None:
    """SIGKILL whatever still runs in these sessions, so a failing test leaves nothing behind."""
    import signal

    for sid in sids:
        for pid in session_members(sid) if sid else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def install_hostile(kind: str, directory: Path, name: str | None = None) -> Path:
    """Copy ``tests/plugins/hostile/cronix-backend-<kind>`` into ``directory`` (as ``name``).

    The copy's shebang is the interpreter running the tests, which has cronix installed.
    """
    body = (HOSTILE / f"cronix-backend-{kind}").read_text(encoding="utf-8").split("\n", 1)[1]
    target = directory / f"cronix-backend-{name or kind}"
    target.write_text(f"#!{sys.executable}\n{body}", encoding="utf-8")
    target.chmod(0o755)
    return target


def pip_install_tamper(tmp: Path, *, append: str = "") -> tuple[Path, Path]:
    """Install ``tests/plugins/dists/tamperplug`` with the real pip into the venv ``tmp/venv``.

    The venv is made on first use and sees this one's packages (cronix, grpc) through a
    ``.pth``; pip writes the launcher ``bin/cronix-backend-tamper`` and the RECORD. Called
    again it reinstalls over it (an upgrade), with ``append`` added to the module's source.
    Offline: no index; the setuptools installed here builds it. Returns (the launcher, the
    installed module it imports).
    """
    import shutil
    import subprocess
    import sysconfig

    venv = tmp / "venv"
    if not venv.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
        site = next((venv / "lib").glob("python3*/site-packages"))
        outer = sysconfig.get_paths()["purelib"]
        (site / "outer.pth").write_text(f"import site; site.addsitedir({outer!r})\n", encoding="utf-8")
    site = next((venv / "lib").glob("python3*/site-packages"))
    source = tmp / "tamperplug-src"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(REPO / "tests" / "plugins" / "dists" / "tamperplug", source)
    with (source / "tamperplug.py").open("a", encoding="utf-8") as fh:
        fh.write(append)
    subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps", "--no-index",
         "--no-build-isolation", "--no-cache-dir", "--disable-pip-version-check", "--force-reinstall",
         str(source)],
        check=True, timeout=300, env={**os.environ, "HOME": str(tmp)},
    )  # fmt: skip
    return venv / "bin" / "cronix-backend-tamper", site / "tamperplug.py"


def peak_rss_kib() -> int:
    """This process's peak resident set size (``VmHWM`` in /proc/self/status), in KiB."""
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM:"))


def write_script(path: Path, body: str) -> Path:
    """An executable Python script run by this interpreter (with the repo importable)."""
    code = f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(REPO)!r})\n" + textwrap.dedent(body)
    path.write_text(code, encoding="utf-8")
    path.chmod(0o755)
    return path


def rpc_log(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The RPC names the echo plugin logged (relayed through cronix.plugin.echo), in order."""
    return [
        r.getMessage().split("rpc ", 1)[1].split(" ")[0]
        for r in caplog.records
        if r.name == "cronix.plugin.echo" and "] rpc " in r.getMessage()
    ]


def wait_for_rpc(caplog: pytest.LogCaptureFixture, rpc: str, count: int = 1) -> None:
    """Stderr is relayed by a thread: wait until ``rpc`` was logged ``count`` times."""
    wait_until(lambda: rpc_log(caplog).count(rpc) >= count, timeout=10)


def store_jobs(state_path: Path, app: str, *jobs: Job) -> None:
    """Write owned entries into an echo state file directly (in-process, no plugin)."""
    from cronix.plugins.echo import EchoBackend
    from cronix.protocol.ownership import ownership_hashes

    backend = EchoBackend({"state_path": str(state_path)})
    for item in jobs:
        backend.create(app, item, ownership_hashes(item), FireSpec.build(app, item))


@contextlib.contextmanager
def private_cgroup() -> Iterator[str | None]:
    """A fresh cgroup below this process's own, for a host whose plugins' cgroups must not be
    swept by anyone else; ``None`` where cgroup v2 is not writable (the tree fallback runs).

    Every cronix that launches a plugin sweeps the stale plugin cgroups beside its own, and
    on a shared machine that is the root cgroup of every session: a test's killed host left
    its plugin there, stopping, to be killed by some other session's launch. A host that
    moves itself in here has its plugins' cgroups created in here, where only it sweeps.
    """
    from cronix.plugins.containment import cgroup_parent, sweep_stale_cgroups

    parent = cgroup_parent()
    if parent is None:
        yield None
        return
    path = os.path.join(parent, f"cronix-test-{os.getpid()}-{next(_cgroups)}")
    os.mkdir(path)
    try:
        yield path
    finally:
        sweep_stale_cgroups(path, grace=0)
        wait_until(lambda: _cgroup_empty(path), timeout=5)
        os.rmdir(path)


def _cgroup_empty(path: str) -> bool:
    with open(os.path.join(path, "cgroup.procs"), encoding="ascii") as fh:
        return not fh.read().strip()


_cgroups = itertools.count(1)
