"""A symlinked crontab is written through to its target (issue 16 item 15).

An operator who keeps ``/etc/cron.d/cronix → /srv/cron/cronix`` expects the file at
``/srv/cron`` to change; a rename over the link replaced the link by a regular file and
left the target stale. Real files and the real CLI (in-process).
"""

from __future__ import annotations

import os
from pathlib import Path

from tests.reconcile.conftest import Host, job


def _flags_with(host: Host, path: Path) -> list[str]:
    flags = host.apply_flags()
    flags[flags.index("--crontab-path") + 1] = str(path)
    return flags


def test_the_link_stays_a_link_and_its_target_changes(host: Host) -> None:
    srv = host.root / "srv" / "cron"
    srv.mkdir(parents=True)
    target = srv / "cronix"
    target.write_bytes(b"MAILTO=ops\r\n17 3 * * * root /usr/bin/true\n")
    target.chmod(0o640)
    link = host.root / "cron.d-cronix"
    link.symlink_to(target)
    m = host.manifest("billing", job("ping", "@hourly"))
    result = host.run("apply", "--manifest", str(m), *_flags_with(host, link), "--secret-ref", "file:/s")
    assert result.code == 0, result.err
    assert link.is_symlink() and os.readlink(link) == str(target)
    text = target.read_bytes()
    assert text.startswith(b"MAILTO=ops\r\n17 3 * * * root /usr/bin/true\n# BEGIN cronix-managed\n")
    assert b"trigger billing.ping\n" in text
    assert target.stat().st_mode & 0o777 == 0o640  # the target keeps its mode
    assert not [p.name for p in srv.iterdir() if p.name != "cronix"]  # no temporary file left
    plan = host.run(
        "plan", "--manifest", str(m), *_flags_with(host, link)[:4], "--spec-dir", str(host.spec_dir),
        "--secret-ref", "file:/s",
    )  # fmt: skip
    assert plan.out.startswith("No changes:"), plan.out + plan.err


def test_a_relative_link_and_a_chain_of_links(host: Host) -> None:
    (host.root / "real").write_text("# mine\n")
    (host.root / "hop").symlink_to("real")
    link = host.root / "crontab-link"
    link.symlink_to("hop")
    m = host.manifest("billing", job("ping", "@hourly"))
    assert (
        host.run("apply", "--manifest", str(m), *_flags_with(host, link), "--secret-ref", "file:/s").code == 0
    )
    assert link.is_symlink() and (host.root / "hop").is_symlink()
    assert (host.root / "real").read_text().startswith("# mine\n# BEGIN cronix-managed\n")


def test_a_dangling_link_names_the_file_to_create(host: Host) -> None:
    link = host.root / "crontab-link"
    link.symlink_to(host.root / "later" / "cronix")
    m = host.manifest("billing", job("ping", "@hourly"))
    assert (
        host.run("apply", "--manifest", str(m), *_flags_with(host, link), "--secret-ref", "file:/s").code == 0
    )
    assert link.is_symlink()
    assert "trigger billing.ping" in (host.root / "later" / "cronix").read_text()


def test_a_link_loop_is_one_line_and_changes_nothing(host: Host) -> None:
    a, b = host.root / "a", host.root / "b"
    a.symlink_to(b)
    b.symlink_to(a)
    m = host.manifest("billing", job("ping", "@hourly"))
    result = host.run("apply", "--manifest", str(m), *_flags_with(host, a), "--secret-ref", "file:/s")
    assert result.code == 3
    assert "symlink loop" in result.err
    assert len(result.err.strip().splitlines()) == 1
    assert a.is_symlink() and b.is_symlink()
