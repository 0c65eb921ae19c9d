"""A user's own crontab, installed through the real crontab(1) of Debian's cron package.

crontab(1) writes the spool, ``/var/spool/cron/crontabs/<user>``, which the host's cron
daemon reads and every session on the machine shares. So every command of these tests —
cronix and crontab(1) alike — runs in a private mount namespace in which a temporary
spool (same owner, group and mode as Debian's: root:crontab 1730) is bind-mounted over
the real one (``tests/support/mounts.py``). The real spool is never written, and no cron
daemon ever sees the entries. Where mount namespaces are not permitted the tests skip.
"""

from __future__ import annotations

import grp
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.reconcile.conftest import BIN, REF, job, manifest_doc
from tests.support.cli import CRONIX
from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, private_paths_argv
from tests.support.procs import require_binary

USER = "nobody"
SPOOL = "/var/spool/cron/crontabs"

pytestmark = pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)


@dataclass
class Spool:
    """A private crontab spool and a way to run commands that see it in place of the real one."""

    root: Path
    crontab: str

    @property
    def path(self) -> Path:
        return self.root / "crontabs"

    def run(self, *argv: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            private_paths_argv({SPOOL: self.path}, argv),
            input=None if stdin is None else stdin.decode(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "HOME": str(self.root)},
        )

    def cronix(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(CRONIX, *args)

    def install(self, text: bytes, user: str = USER) -> None:
        done = self.run(self.crontab, "-u", user, "-", stdin=text)
        assert done.returncode == 0, done.stderr

    def listed(self, user: str = USER) -> str:
        done = self.run(self.crontab, "-l", "-u", user)
        assert done.returncode == 0, done.stderr
        return done.stdout


@pytest.fixture
def spool(tmp_path: Path) -> Spool:
    crontab = require_binary("crontab", "cron")
    made = Spool(tmp_path, crontab)
    made.path.mkdir()
    os.chown(made.path, 0, grp.getgrnam("crontab").gr_gid)
    made.path.chmod(0o1730)
    made.install(b'# kept by the test\nMAILTO=""\n')
    return made


def _manifest(tmp_path: Path, *jobs: dict[str, Any]) -> str:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(manifest_doc("billing", *jobs)))
    return str(path)


def test_apply_into_a_users_crontab(spool: Spool, tmp_path: Path) -> None:
    m = _manifest(tmp_path, job("ping", "@hourly"))
    flags = [
        "--crontab-user",
        USER,
        "--spec-dir",
        str(tmp_path / "jobs"),
        "--lock-path",
        str(tmp_path / "lock"),
    ]
    result = spool.cronix("apply", "--manifest", m, "--secret-ref", REF, *flags)
    assert result.returncode == 0, result.stderr
    text = spool.listed()
    assert text.startswith('# kept by the test\nMAILTO=""\n# BEGIN cronix-managed\n')
    # user format: no user field
    assert f"\n0 * * * * {BIN} trigger billing.ping\n" in text
    assert "# BEGIN cronix-managed" in (spool.path / USER).read_text()  # the private spool's file
    again = spool.cronix("apply", "--manifest", m, "--secret-ref", REF, *flags)
    assert again.stdout.startswith("Apply: noop"), again.stdout + again.stderr
    plan = spool.cronix("plan", "--manifest", m, "--secret-ref", REF, *flags[:4], "-o", "json")
    assert json.loads(plan.stdout)["noop"] is True, plan.stderr
    assert spool.cronix("prune", "--yes", *flags).returncode == 0
    assert spool.listed() == '# kept by the test\nMAILTO=""\n'


def test_crontab_refusing_the_content_is_a_backend_error(spool: Spool, tmp_path: Path) -> None:
    m = _manifest(tmp_path, job("ping"))
    missing = spool.cronix(
        "apply", "--manifest", m, "--secret-ref", REF, "--crontab-user", "no-such-user-xyz",
        "--spec-dir", str(tmp_path / "jobs"), "--lock-path", str(tmp_path / "l"),
    )  # fmt: skip
    assert missing.returncode == 3, missing.stderr
    assert "crontab" in missing.stderr
    assert spool.listed() == '# kept by the test\nMAILTO=""\n'
