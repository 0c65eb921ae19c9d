"""cronix.fileio.write_atomic: the one way cronix replaces a file others read."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cronix.fileio import remove_stale_temps, temp_prefix, write_atomic


def test_new_file_gets_the_mode_and_the_content(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file"
    write_atomic(str(target), b"hello\n", mode=0o640)
    assert target.read_bytes() == b"hello\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert [p.name for p in target.parent.iterdir()] == ["file"]  # no temp file left


def test_existing_mode_and_owner_are_kept_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "crontab"
    target.write_bytes(b"old\n")
    target.chmod(0o604)
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)
    write_atomic(str(target), b"new\n", mode=0o600, keep_mode_and_owner=True, sync_directory=True)
    st = target.stat()
    assert target.read_bytes() == b"new\n"
    assert stat.S_IMODE(st.st_mode) == 0o604
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)


def test_without_keep_the_given_mode_wins(tmp_path: Path) -> None:
    target = tmp_path / "spec.json"
    target.write_bytes(b"{}")
    target.chmod(0o666)
    write_atomic(str(target), b"[]", mode=0o640)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(IsADirectoryError):
        write_atomic(str(tmp_path / "blocker"), b"x")  # rename onto a directory fails
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocker", "file"]


def test_stale_temps_of_a_killed_writer_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "crontab"
    stale = tmp_path / f"{temp_prefix(str(target))}123-abcd"
    stale.write_bytes(b"half")
    other = tmp_path / ".unrelated"
    other.write_bytes(b"keep")
    remove_stale_temps(str(target))
    assert not stale.exists()
    assert other.exists()
