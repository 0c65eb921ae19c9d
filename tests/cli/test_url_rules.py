"""URLs the trigger cannot send are refused at validation (issue 16 item 6, D-602)."""

from __future__ import annotations

import json

import pytest

from tests.reconcile.conftest import Host, job


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("https://admin:hunter2@billing.example.com/x", "user name or password"),
        ("https://admin@billing.example.com/x", "user name or password"),
        ("http://127.0.0.1:0/x", "port must be between 1 and 65535"),
    ],
)
def test_validate_and_apply_refuse_the_url(host: Host, url: str, fragment: str) -> None:
    m = host.manifest("billing", job("ping", "@hourly", request={"url": url}))
    validate = host.run("validate", str(m))
    assert validate.code == 1
    assert "jobs/0/request/url: " in validate.err and fragment in validate.err
    assert "hunter2" not in validate.err
    applied = host.apply(m, "--secret-ref", "env:CRON_SECRET")
    assert applied.code == 1
    assert not host.crontab.exists()


def test_show_never_prints_a_password_from_an_old_spec_file(host: Host) -> None:
    m = host.manifest("billing", job("ping", "@hourly"))
    assert host.apply(m, "--secret-ref", "env:CRON_SECRET").code == 0
    spec = host.spec_dir / "billing.ping.json"
    doc = json.loads(spec.read_text())
    doc["job"]["request"]["url"] = "https://admin:hunter2@billing.example.com/x"  # written before D-602
    spec.write_text(json.dumps(doc))
    for output in ("table", "json"):
        shown = host.run(
            "show", "billing.ping", *host.backend_flags(), "--spec-dir", str(host.spec_dir), "-o", output
        )
        assert shown.code == 0, shown.err
        assert "hunter2" not in shown.out + shown.err
        assert "https://billing.example.com/x" in shown.out
