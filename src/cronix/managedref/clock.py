"""The due-time loop: wake at the next arm's instant (to the millisecond), hand it to delivery.

One thread waits on the store's condition with a timeout equal to the time left until the
earliest unpaused arm; any change to the slots wakes it early to recompute. So a fire is
late by the wake-up latency of ``threading.Condition.wait`` (well under 10 ms here), not
by a polling interval.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cronix.managedref.delivery import Deliverer
    from cronix.managedref.store import Store

__all__ = ["DueLoop"]

_IDLE_WAIT = 60.0


class DueLoop:
    def __init__(self, store: Store, deliverer: Deliverer) -> None:
        self.store = store
        self.deliverer = deliverer
        self._stop = False
        self._thread = threading.Thread(target=self._run, name="due-loop", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self.store.changed:
            self._stop = True
            self.store.changed.notify_all()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        store = self.store
        while True:
            with store.changed:
                if self._stop:
                    return
                now = time.time()
                due = store.take_due(now)
                if not due:
                    upcoming = store.next_due()
                    wait = _IDLE_WAIT if upcoming is None else max(upcoming - now, 0.0)
                    store.changed.wait(timeout=min(wait, _IDLE_WAIT))
                    continue
            for arm in due:
                self.deliverer.submit(arm)
