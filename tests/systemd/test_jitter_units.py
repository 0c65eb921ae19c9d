"""``policy.jitter_seconds`` on systemd (issue 15 item 6, D-723): systemd's own randomized delay.

``RandomizedDelaySec=`` with ``FixedRandomDelay=true`` (systemd ≥ 247; this host runs 252)
is stable per machine and timer; the service tells the trigger not to wait again. The
real ``systemd-analyze verify`` accepts the units.
"""

from __future__ import annotations

from tests.support.systemd_analyze import verify_units
from tests.systemd.conftest import UnitHost, job


def test_jitter_is_the_timers_fixed_random_delay(units: UnitHost) -> None:
    m = units.manifest("app", job("a", "0 3 * * *", policy={"jitter_seconds": 90}), job("b", "0 4 * * *"))
    assert units.apply(m).code == 0
    timer = units.unit("cronix-app-a-0.timer")
    text = timer.read_text()
    assert "RandomizedDelaySec=90\nFixedRandomDelay=true\n" in text
    assert "Environment=CRONIX_JITTER_NATIVE=1\n" in timer.with_suffix(".service").read_text()
    assert verify_units(timer, timer.with_suffix(".service")) == ""
    plain = units.unit("cronix-app-b-0.timer")
    assert "RandomizedDelaySec" not in plain.read_text()
    assert "CRONIX_JITTER" not in plain.with_suffix(".service").read_text()
    assert units.run("drift", "--manifest", str(m), "--exit-on-drift").code == 0
