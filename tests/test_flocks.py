"""cronix.flocks: the one flock helper behind the apply lock and the trigger's locks.

Holders are other real processes: util-linux ``flock(1)`` (an independent implementation
of the same ``flock(2)`` family the Go reference uses — a ``lockf`` lock would not exclude
it) and a second Python interpreter using this module.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cronix.flocks import FileLock, Holder, LockFileError, holder_text, parse_holder
from tests.support.procs import require_binary, wait_until


@pytest.fixture
def flock_holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[bytes]]]:
    """``flock(1)`` holding ``tmp_path/held.lock`` (created by it) until killed."""
    path = tmp_path / "held.lock"
    # -o: only flock(1) itself holds the lock, not the sleep it runs (killed with its group).
    argv = [require_binary("flock", "util-linux"), "-o", "-x", str(path), "sleep", "60"]
    proc = subprocess.Popen(argv, start_new_session=True)
    try:
        wait_until(lambda: _held_by_someone(path))
        yield path, proc
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def _held_by_someone(path: Path) -> bool:
    if not path.exists():
        return False
    probe = FileLock(str(path))
    if probe.try_acquire():
        probe.release()
        return False
    return True


def test_a_holder_in_another_process_excludes_us_and_its_death_frees_the_lock(
    flock_holder: tuple[Path, subprocess.Popen[bytes]],
) -> None:
    path, proc = flock_holder
    lock = FileLock(str(path))
    assert lock.try_acquire() is False
    assert not lock.held
    proc.kill()  # flock(1) only; the kernel drops the flock of a killed holder
    proc.wait(timeout=10)
    assert lock.try_acquire() is True
    assert lock.held
    lock.release()
    lock.release()  # idempotent
    assert not lock.held


def test_we_exclude_a_holder_of_the_same_family(tmp_path: Path) -> None:
    path = tmp_path / "ours.lock"
    lock = FileLock(str(path))
    assert lock.try_acquire()
    try:
        blocked = subprocess.run(
            [require_binary("flock", "util-linux"), "-n", "-x", str(path), "true"], check=False, timeout=10
        )
        assert blocked.returncode == 1  # flock(1): "the lock could not be taken" with -n
    finally:
        lock.release()
    freed = subprocess.run([require_binary("flock", "util-linux"), "-n", "-x", str(path), "true"], timeout=10)
    assert freed.returncode == 0


def test_the_sidecar_records_the_holder_and_is_removed_on_release(tmp_path: Path) -> None:
    path, sidecar = tmp_path / "locks" / "billing.ping.lock", tmp_path / "locks" / "billing.ping.holder"
    lock = FileLock(str(path), holder_path=str(sidecar))
    assert lock.try_acquire()
    assert sidecar.read_text() == f"pid={os.getpid()}\nhost={socket.gethostname()}\n"
    assert oct(path.parent.stat().st_mode & 0o777) == "0o755"
    assert path.read_bytes() == b""  # with a sidecar, the lock file stays empty
    assert lock.holder() == Holder(os.getpid(), socket.gethostname())
    lock.release()
    assert not sidecar.exists()
    assert path.exists()  # never deleted: a waiting peer must not lock an unlinked inode


def test_without_a_sidecar_the_holder_is_recorded_in_the_lock_file(tmp_path: Path) -> None:
    path = tmp_path / "apply.lock"
    path.write_text("pid=999999\nhost=stale-and-longer-than-the-new-record\n")
    lock = FileLock(str(path))
    assert lock.try_acquire()
    assert path.read_text() == holder_text()
    other = FileLock(str(path))
    assert other.try_acquire() is False
    assert other.holder() == Holder(os.getpid(), socket.gethostname())
    lock.release()


HOLD = """
import sys, time
from cronix.flocks import FileLock
lock = FileLock(sys.argv[1])
assert lock.try_acquire()
print("held", flush=True)
time.sleep(float(sys.argv[2]))
"""


@contextlib.contextmanager
def _holding(path: Path, seconds: float) -> Iterator[subprocess.Popen[str]]:
    """Another interpreter holds ``path`` through this module for ``seconds`` (killed at the end)."""
    argv = [sys.executable, "-c", HOLD, str(path), str(seconds)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            assert proc.stdout.readline() == "held\n"
            yield proc
        finally:
            proc.kill()


def test_acquire_waits_for_the_holder_and_announces_the_wait_once(tmp_path: Path) -> None:
    path = tmp_path / "apply.lock"
    seen: list[Holder | None] = []
    lock = FileLock(str(path))
    with _holding(path, 0.5) as proc:
        assert lock.acquire(30, on_wait=seen.append)
        assert seen == [Holder(proc.pid, socket.gethostname())]
        lock.release()


def test_acquire_gives_up_at_the_timeout(tmp_path: Path) -> None:
    path = tmp_path / "apply.lock"
    lock = FileLock(str(path))
    with _holding(path, 30):
        started = time.monotonic()
        assert lock.acquire(0.3) is False
        assert time.monotonic() - started >= 0.3  # waited the whole timeout (the holder outlives it)
        calls: list[Holder | None] = []
        assert lock.acquire(0, on_wait=calls.append) is False  # 0: one try, nothing to announce
        assert calls == []
    assert not lock.held


def test_a_lock_file_that_cannot_be_opened_is_an_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "not-a-dir").write_text("")
    lock = FileLock(str(tmp_path / "not-a-dir" / "x.lock"))
    with pytest.raises(LockFileError) as caught:
        lock.try_acquire()
    assert caught.value.step == "open"
    assert str(caught.value) == f"open {tmp_path / 'not-a-dir' / 'x.lock'}: Not a directory"


def test_a_sidecar_that_cannot_be_removed_still_frees_the_lock(tmp_path: Path) -> None:
    path, sidecar = tmp_path / "j.lock", tmp_path / "j.holder"
    sidecar.mkdir()  # recording is best effort; removing a directory fails
    lock = FileLock(str(path), holder_path=str(sidecar))
    assert lock.try_acquire()
    with pytest.raises(IsADirectoryError):
        lock.release()
    assert not lock.held
    again = FileLock(str(path))
    assert again.try_acquire()
    again.release()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pid=42\nhost=web-1\n", Holder(42, "web-1")),
        ("host=web-1\npid= 42 \n", Holder(42, "web-1")),  # any order, values trimmed
        ("pid=1\npid=7\nhost=a\nhost=b", Holder(7, "b")),  # the last occurrence wins
        ("junk\npid=5\nuser=x\n", Holder(5, "")),  # lines without '=' and unknown keys skipped
        ("pid=abc\nhost=a\n", None),  # an unparsable pid makes the record unusable
        ("pid=0\nhost=a\n", None),
        ("host=a\n", None),
        ("", None),
    ],
)
def test_holder_records_parse_like_the_reference(text: str, expected: Holder | None) -> None:
    assert parse_holder(text) == expected
