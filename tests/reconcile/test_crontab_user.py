"""A user's own crontab, installed through the real crontab(1) of Debian's cron package."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator

import pytest

from tests.reconcile.conftest import BIN, REF, Host, job
from tests.support.procs import require_binary

USER = "nobody"


@pytest.fixture
def user_crontab() -> Iterator[str]:
    crontab = require_binary("crontab", "cron")
    before = subprocess.run([crontab, "-l", "-u", USER], capture_output=True, check=False)
    saved = before.stdout if before.returncode == 0 else None
    subprocess.run([crontab, "-u", USER, "-"], input=b'# kept by the test\nMAILTO=""\n', check=True)
    try:
        yield crontab
    finally:
        if saved is None:
            subprocess.run([crontab, "-u", USER, "-r"], capture_output=True, check=False)
        else:
            subprocess.run([crontab, "-u", USER, "-"], input=saved, check=True)


def _listed(crontab: str) -> str:
    return subprocess.run([crontab, "-l", "-u", USER], capture_output=True, text=True, check=True).stdout


def test_apply_into_a_users_crontab(host: Host, user_crontab: str) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    flags = ["--crontab-user", USER, "--spec-dir", str(host.spec_dir), "--lock-path", str(host.root / "lock")]
    result = host.run("apply", "--manifest", str(m), "--secret-ref", REF, *flags)
    assert result.code == 0, result.err
    text = _listed(user_crontab)
    assert text.startswith('# kept by the test\nMAILTO=""\n# BEGIN cronix-managed\n')
    # user format: no user field
    assert f"\n0 * * * * {BIN} trigger billing.ping\n" in text
    again = host.run("apply", "--manifest", str(m), "--secret-ref", REF, *flags)
    assert again.out.startswith("Apply: noop")
    plan = host.run(
        "plan", "--manifest", str(m), "--secret-ref", REF, "--crontab-user", USER, *flags[2:4], "-o", "json"
    )
    assert plan.json()["noop"] is True
    assert host.run("prune", "--yes", *flags).code == 0
    assert _listed(user_crontab) == '# kept by the test\nMAILTO=""\n'


def test_crontab_refusing_the_content_is_a_backend_error(host: Host, user_crontab: str) -> None:
    subprocess.run([user_crontab, "-u", USER, "-"], input=b"# ok\n", check=True)
    m = host.manifest("billing", job("ping"))
    missing = host.run(
        "apply",
        "--manifest",
        str(m),
        "--secret-ref",
        REF,
        "--crontab-user",
        "no-such-user-xyz",
        "--lock-path",
        str(host.root / "l"),
    )
    assert missing.code == 3
    assert "crontab" in missing.err
