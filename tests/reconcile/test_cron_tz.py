"""``CRON_TZ`` around the block means for every line what it meant without cronix (issue 16 item 14).

``--cron-tz`` used to end the block with ``CRON_TZ=Etc/UTC``, so an operator's
``0 17 * * * job`` after the block that ran under their own ``CRON_TZ=America/New_York``
silently moved to UTC; and without ``--cron-tz`` cronix's entries inherited an operator's
``CRON_TZ`` set above the block while drift said "in sync".

No cron daemon that honours ``CRON_TZ`` runs here (Debian's cron ignores it; cronie is not
packaged for Debian), so the meaning of each line is computed by :func:`effective_zones`,
an independent reading of cronie's rules: environment lines (``load_env``: optional quotes,
blanks around ``=``) apply to every entry below them, and an empty value means the
daemon's own zone (``maketime``). The files are real and written by the real CLI.
"""

from __future__ import annotations

import re

from tests.reconcile.conftest import Host, job

_ENV = re.compile(r"""^\s*(['"]?)([A-Za-z_][A-Za-z0-9_]*)\1\s*=\s*(.*?)\s*$""")
NEW_YORK = "CRON_TZ=America/New_York\n"


def effective_zones(text: str) -> dict[str, str]:
    """Each entry's command → the zone cronie evaluates it in (``""``: the daemon's own)."""
    zone = ""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        env = _ENV.match(line)
        if env is not None and not line.lstrip()[0].isdigit() and line.lstrip()[0] not in "*@":
            if env[2] == "CRON_TZ":
                value = env[3]
                if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                    value = value[1:-1]
                zone = value
            continue
        out[line.split(None, 5)[-1]] = zone
    return out


def _write(host: Host, text: str) -> None:
    host.crontab.write_text(text)


def test_the_operators_zone_is_restored_after_the_block(host: Host) -> None:
    """The case of the issue: their 0 17 line after the block keeps running in New York."""
    _write(host, f"{NEW_YORK}# BEGIN cronix-managed\n# END cronix-managed\n0 17 * * * /usr/bin/report\n")
    before = effective_zones(host.crontab.read_text())
    m = host.manifest("billing", job("b", "30 7 * * *", tz="Europe/Berlin"))
    assert host.apply(m, "--cron-tz").code == 0
    text = host.crontab.read_text()
    zones = effective_zones(text)
    assert zones["/usr/bin/report"] == before["/usr/bin/report"] == "America/New_York"
    assert zones[next(k for k in zones if k.endswith("trigger billing.b"))] == "Europe/Berlin"
    assert text.endswith("CRON_TZ=America/New_York\n# END cronix-managed\n0 17 * * * /usr/bin/report\n")
    assert host.plan(m, "--cron-tz", "-o", "json").json()["noop"] is True


def test_without_a_zone_before_the_block_the_end_restores_none(host: Host) -> None:
    _write(host, "MAILTO=ops\n")
    m = host.manifest("billing", job("b", "30 7 * * *", tz="Europe/Berlin"))
    assert host.apply(m, "--cron-tz").code == 0
    _write(host, host.crontab.read_text() + "0 17 * * * /usr/bin/report\n")  # added later, after it
    text = host.crontab.read_text()
    assert 'CRON_TZ=""\n# END cronix-managed\n' in text
    assert "CRON_TZ=Etc/UTC" not in text
    assert effective_zones(text)["/usr/bin/report"] == ""  # the daemon's own zone, as with no cronix
    assert host.plan(m, "--cron-tz", "-o", "json").json()["noop"] is True


def test_an_inherited_zone_does_not_leak_into_cronix_entries(host: Host) -> None:
    m = host.manifest("billing", job("ping", "0 9 * * *"))
    assert host.apply(m).code == 0
    assert "CRON_TZ" not in host.crontab.read_text()  # nothing to neutralize: byte for byte as before
    _write(host, NEW_YORK + host.crontab.read_text() + "0 17 * * * /usr/bin/report\n")
    drift = host.drift(m, "--exit-on-drift")
    assert drift.code == 5, drift.out  # the UTC entry would now fire at 09:00 New York
    assert host.apply(m).code == 0
    text = host.crontab.read_text()
    zones = effective_zones(text)
    assert zones[next(k for k in zones if k.endswith("trigger billing.ping"))] == ""
    assert zones["/usr/bin/report"] == "America/New_York"
    assert text.startswith(NEW_YORK)  # the operator's line is untouched
    assert host.drift(m, "--exit-on-drift").code == 0


def test_a_block_written_with_the_old_reset_converges(host: Host) -> None:
    m = host.manifest("billing", job("b", "30 7 * * *", tz="Europe/Berlin"))
    assert host.apply(m, "--cron-tz").code == 0
    old = host.crontab.read_text().replace('CRON_TZ=""\n# END', "CRON_TZ=Etc/UTC\n# END")
    _write(host, old)
    assert host.drift(m, "--cron-tz", "--exit-on-drift").code == 5
    assert host.apply(m, "--cron-tz").code == 0
    assert "CRON_TZ=Etc/UTC" not in host.crontab.read_text()
    assert host.drift(m, "--cron-tz", "--exit-on-drift").code == 0


def test_quoted_and_spaced_assignments_are_read_as_cron_reads_them(host: Host) -> None:
    _write(host, "  CRON_TZ = 'Asia/Tokyo'\n")
    m = host.manifest("billing", job("b", "30 7 * * *", tz="Europe/Berlin"))
    assert host.apply(m, "--cron-tz").code == 0
    text = host.crontab.read_text()
    assert "CRON_TZ=Asia/Tokyo\n# END cronix-managed\n" in text
    assert text.startswith("  CRON_TZ = 'Asia/Tokyo'\n")
