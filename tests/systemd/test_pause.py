"""Declared pause on systemd timers (issue 15 item 5, D-721): the unit pair is written, the
timer is not enabled; a timer disabled by hand for a job the manifest runs is drift.

Units under tmp with ``write_units_only`` (enabling is the ``timers.target.wants`` link,
as ``systemctl enable`` makes it); ``test_e2e_container.py`` runs the live systemctl path.
"""

from __future__ import annotations

import json

from tests.support.systemd_analyze import verify_units
from tests.systemd.conftest import UnitHost, job

TIMER = "cronix-app-a-0.timer"


def _linked(units: UnitHost) -> bool:
    return (units.units / "timers.target.wants" / TIMER).is_symlink()


def test_a_paused_job_has_its_units_but_no_enabled_timer(units: UnitHost) -> None:
    paused = units.manifest("app", job("a", "0 3 * * *", enabled=False))
    assert units.apply(paused).code == 0
    timer = units.unit(TIMER)
    assert timer.exists() and not _linked(units)
    assert verify_units(timer, timer.with_suffix(".service")) == ""
    assert units.run("drift", "--manifest", str(paused), "--exit-on-drift").code == 0
    listed = json.loads(units.run("list", "-o", "json").out)
    assert [e["paused"] for e in listed["entries"]] == [True]
    resumed = units.manifest("app", job("a", "0 3 * * *"), name="resumed.json")
    assert units.apply(resumed).code == 0
    assert _linked(units)
    assert units.apply(paused).code == 0
    assert timer.exists() and not _linked(units)  # paused again: the link is gone


def test_a_timer_disabled_by_hand_is_drift_and_apply_enables_it(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "0 3 * * *"))
    assert units.apply(m).code == 0
    (units.units / "timers.target.wants" / TIMER).unlink()  # systemctl disable, by hand
    drift = units.run("drift", "--manifest", str(m), "--exit-on-drift", "-o", "json")
    assert drift.code == 5
    (op,) = json.loads(drift.out)["ops"]
    assert "paused on the backend" in op["reason"]
    assert units.apply(m).code == 0 and _linked(units)
