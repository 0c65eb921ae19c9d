"""The reference service's state: slots (one-shot arms, recurring schedules) and the delivery log.

Everything lives in memory under one lock and is written to one JSON file (atomically,
``cronix.fileio.write_atomic``) after every change, so a restarted service picks up where
it stopped: arms not yet delivered are still armed (a past-due one fires at once, late),
the delivery log still knows which occurrences were delivered. The rules of API v1
(``spec/managed-scheduler.md`` §3–4) are enforced here:

* a slot ``(app, job, index)`` holds an arm **or** a schedule, never both (409);
* the ``fire_id`` is the dedup key: arming an occurrence that was delivered, or is being
  delivered, changes nothing (``already_fired``); re-arming the slot's own occurrence
  with the same content is ``unchanged``; anything else replaces the arm;
* ``replaces`` is compare-and-set: the slot must be empty or hold that occurrence (or
  already the new one), else 409 — a newer arm is never overwritten by a late re-arm;
* pausing keeps the slot's arm but never fires it; an upsert keeps the pause; resuming a
  past-due arm drops it (``expired``: nobody wants a fire that late; ``apply`` re-arms);
* a due arm leaves its slot when its delivery starts — the app re-arms the next
  occurrence while the delivery is still running.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

from cronix.fileio import write_atomic
from cronix.protocol.fireid import format_utc
from cronix.protocol.managed import Arm, Delivery, Schedule

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["Conflict", "SlotKey", "Store"]

SlotKey = tuple[str, str, int]
_STATE_VERSION = 1


class Conflict(Exception):
    """The request contradicts the slot's state (HTTP 409)."""


def _key(obj: Arm | Schedule) -> SlotKey:
    return (obj.app, obj.job, obj.index)


class Store:
    """Slots and deliveries, persisted to ``path``."""

    def __init__(
        self, path: str, *, clock: Callable[[], float] = time.time, keep_fires: int = 10_000
    ) -> None:
        self.path = path
        self.clock = clock
        self.keep_fires = keep_fires
        self.lock = threading.RLock()
        #: Notified whenever the next due time may have changed.
        self.changed = threading.Condition(self.lock)
        self.arms: dict[SlotKey, Arm] = {}
        self.schedules: dict[SlotKey, tuple[Schedule, Arm | None]] = {}
        self.fires: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._load()

    # ------------------------------------------------------------------ persistence

    def _load(self) -> None:
        if not os.path.exists(self.path):
            return
        with open(self.path, encoding="utf-8") as fh:
            doc = json.load(fh)
        if doc.get("version") != _STATE_VERSION:
            raise ValueError(f"{self.path} is not a cronix-managed-ref state file (version {_STATE_VERSION})")
        for raw in doc.get("arms", []):
            arm = Arm.from_json(raw)
            self.arms[_key(arm)] = arm
        for raw in doc.get("schedules", []):
            schedule = Schedule.from_json(raw)
            self.schedules[_key(schedule)] = (schedule, schedule.arm_after(int(self.clock())))
        for raw in doc.get("fires", []):
            if raw.get("status") == "delivering":  # the service stopped mid-delivery
                raw = {
                    **raw,
                    "status": "failed",
                    "detail": "interrupted: the service stopped during delivery",
                }
            self.fires[raw["fire_id"]] = raw

    def save(self) -> None:
        with self.lock:
            doc = {
                "version": _STATE_VERSION,
                "arms": [a.to_json() for a in self.arms.values()],
                "schedules": [s.to_json() for s, _ in self.schedules.values()],
                "fires": list(self.fires.values()),
            }
            write_atomic(self.path, json.dumps(doc, separators=(",", ":")).encode("utf-8"), mode=0o600)

    def _changed(self) -> None:
        self.save()
        self.changed.notify_all()

    # ------------------------------------------------------------------ arms

    def put_arm(self, arm: Arm) -> tuple[str, Arm]:
        with self.lock:
            key = _key(arm)
            if key in self.schedules:
                raise Conflict(f"slot {'/'.join(map(str, key))} holds a recurring schedule")
            if arm.fire_id in self.fires:
                return "already_fired", self.arms.get(key, arm)
            current = self.arms.get(key)
            if arm.replaces and current is not None and current.fire_id not in (arm.replaces, arm.fire_id):
                raise Conflict(f"slot holds {current.fire_id}, not {arm.replaces}")
            if current is not None and current.fire_id == arm.fire_id and current.same_target(arm):
                return "unchanged", current
            stored = arm.replace(replaces="", paused=current.paused if current is not None else False)
            self.arms[key] = stored
            self._changed()
            return ("paused" if stored.paused else "armed"), stored

    def cancel(self, kind: str, key: SlotKey) -> str:
        with self.lock:
            table: dict[SlotKey, Any] = self.arms if kind == "arms" else self.schedules
            if table.pop(key, None) is None:
                return "absent"
            self._changed()
            return "cancelled"

    def set_paused(self, kind: str, key: SlotKey, paused: bool) -> tuple[str, dict[str, Any]] | None:
        with self.lock:
            now = int(self.clock())
            if kind == "arms":
                arm = self.arms.get(key)
                if arm is None:
                    return None
                if not paused and arm.fire_at < now:
                    del self.arms[key]
                    self._changed()
                    return "expired", arm.to_json()
                self.arms[key] = arm = arm.replace(paused=paused)
                self._changed()
                return ("paused" if paused else "armed"), arm.to_json()
            found = self.schedules.get(key)
            if found is None:
                return None
            schedule = Schedule(**{**_fields(found[0]), "paused": paused})
            self.schedules[key] = (schedule, schedule.arm_after(now))
            self._changed()
            return ("paused" if paused else "scheduled"), self.schedule_json(key)

    # ------------------------------------------------------------------ schedules

    def put_schedule(self, schedule: Schedule) -> str:
        with self.lock:
            key = _key(schedule)
            if key in self.arms:
                raise Conflict(f"slot {'/'.join(map(str, key))} holds a one-shot arm")
            current = self.schedules.get(key)
            paused = current[0].paused if current is not None else False
            schedule = Schedule(**{**_fields(schedule), "paused": paused})
            if current is not None and current[0] == schedule:
                return "unchanged"
            self.schedules[key] = (schedule, schedule.arm_after(int(self.clock())))
            self._changed()
            return "scheduled"

    def schedule_json(self, key: SlotKey) -> dict[str, Any]:
        schedule, upcoming = self.schedules[key]
        doc = schedule.to_json()
        doc["next_fire_id"] = upcoming.fire_id if upcoming else ""
        doc["next_fire_at"] = format_utc(upcoming.fire_at) if upcoming else ""
        return doc

    # ------------------------------------------------------------------ firing

    def next_due(self) -> float | None:
        with self.lock:
            times = [a.fire_at for a in self.arms.values() if not a.paused]
            times += [u.fire_at for s, u in self.schedules.values() if u is not None and not s.paused]
            return float(min(times)) if times else None

    def take_due(self, now: float) -> list[Arm]:
        """Every occurrence due at ``now``, out of its slot and marked as being delivered."""
        with self.lock:
            due = [a for a in self.arms.values() if not a.paused and a.fire_at <= now]
            for arm in due:
                del self.arms[_key(arm)]
            for key, (schedule, upcoming) in list(self.schedules.items()):
                if upcoming is not None and not schedule.paused and upcoming.fire_at <= now:
                    due.append(upcoming)
                    self.schedules[key] = (schedule, schedule.arm_after(upcoming.fire_at))
            due = [a for a in due if a.fire_id not in self.fires]
            for arm in due:
                self._begin(arm)
            if due:
                self._changed()
            return due

    def take_now(self, key: SlotKey) -> Arm | None:
        """The slot's armed occurrence, taken out to be delivered now (``POST …/run``)."""
        with self.lock:
            arm = self.arms.pop(key, None)
            if arm is None or arm.fire_id in self.fires:
                return None
            self._begin(arm)
            self._changed()
            return arm

    def redeliverable(self, fire_id: str) -> Arm | None:
        """A finished occurrence's arm, to be delivered again (``POST /v1/fires/<id>/redeliver``)."""
        with self.lock:
            record = self.fires.get(fire_id)
            if record is None or record["status"] == "delivering":
                return None
            record["status"] = "delivering"
            record["redeliveries"] = int(record.get("redeliveries", 0)) + 1
            self._changed()
            return Arm.from_json(record["arm"])

    def _begin(self, arm: Arm) -> None:
        self.fires[arm.fire_id] = {
            **Delivery(arm.fire_id, arm.app, arm.job, arm.index, "", "delivering").to_json(),
            "started_at": format_utc(int(self.clock())),
            "arm": arm.to_json(),
        }
        while len(self.fires) > self.keep_fires:
            self.fires.popitem(last=False)

    def record(self, fire_id: str, *, finished: bool = True, **fields: Any) -> None:
        """Update the delivery record of ``fire_id`` (and stamp ``finished_at`` when it ended)."""
        with self.lock:
            record = self.fires.get(fire_id)
            if record is not None:
                record.update(fields)
                if finished:
                    record["finished_at"] = format_utc(int(self.clock()))
                self._changed()

    def deliveries(self, app: str, job: str, limit: int) -> list[Delivery]:
        with self.lock:
            found = [r for r in reversed(self.fires.values()) if r["app"] == app and r["job"] == job]
        return [
            Delivery.from_json({k: v for k, v in r.items() if k in _DELIVERY_KEYS}) for r in found[:limit]
        ]


_DELIVERY_KEYS = frozenset(Delivery.__dataclass_fields__)


def _fields(schedule: Schedule) -> dict[str, Any]:
    return {name: getattr(schedule, name) for name in Schedule.__dataclass_fields__}
