"""A client of the managed-scheduler API v1 (``spec/managed-scheduler.md``), standard library only.

Two users: the SDK, which arms a job's next occurrence after it claimed a fire
(``Cron(scheduler=ManagedScheduler(url, token=...))``, one-shot arms: the app owns the
time), and ``cronix-backend-managed``, which converges a service's slots toward a
manifest. One small client for both, so they cannot disagree on the wire.

Every call is one HTTP request with ``timeout`` seconds for connect and each read, a
bearer token, and JSON both ways; a non-2xx answer raises :class:`SchedulerError`
carrying the status and the service's ``error`` code, a connection failure raises it
with status 0. The token is never put in a message.
"""

from __future__ import annotations

import json
import urllib.parse
from typing import TYPE_CHECKING, Any

from cronix._version import __version__
from cronix.protocol.managed import API_NAME, Arm, Delivery, Schedule, arm_for, slot_path
from cronix.protocol.ownership import ownership_hashes

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = ["ManagedScheduler", "SchedulerError"]

_MAX_RESPONSE_BYTES = 16 * 1024 * 1024


class SchedulerError(Exception):
    """A managed-scheduler call failed; ``status`` 0 means no answer (connection, timeout)."""

    def __init__(self, message: str, *, status: int = 0, code: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    @property
    def transient(self) -> bool:
        """Worth retrying: no answer, 408, 429 or 5xx."""
        return self.status == 0 or self.status in (408, 429) or self.status >= 500


class ManagedScheduler:
    """The API at ``url`` (``https://scheduler.example``), authenticated with ``token``."""

    def __init__(self, url: str, *, token: str, timeout: float = 10.0) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"managed scheduler URL must be http(s)://host[:port], got {url!r}")
        if not token:
            raise ValueError("managed scheduler token must not be empty")
        self.url = url.rstrip("/")
        self._parts = parts
        self._token = token
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"ManagedScheduler({self.url!r})"

    # ------------------------------------------------------------------ API

    def info(self) -> dict[str, Any]:
        doc = self._call("GET", "/v1/info")
        if doc.get("api") != API_NAME:
            raise SchedulerError(f"{self.url} is not a {API_NAME} (GET /v1/info said {doc.get('api')!r})")
        return doc

    def arms(self, app: str | None = None) -> list[Arm]:
        doc = self._call("GET", "/v1/arms" + (f"?app={urllib.parse.quote(app)}" if app else ""))
        return [Arm.from_json(a) for a in _list(doc, "arms")]

    def arm(self, arm: Arm) -> str:
        """Upsert ``arm`` into its slot; the service's status (``armed``, ``unchanged`` …)."""
        doc = self._call("PUT", slot_path("arms", arm.app, arm.job, arm.index), arm.to_json())
        return str(doc.get("status", ""))

    def cancel(self, kind: str, app: str, job: str, index: int) -> str:
        doc = self._call("DELETE", slot_path(kind, app, job, index))
        return str(doc.get("status", ""))

    def set_paused(self, kind: str, app: str, job: str, index: int, paused: bool) -> str:
        """Pause or resume a slot (``POST …/pause`` / ``…/resume``); the service's status."""
        action = "pause" if paused else "resume"
        doc = self._call("POST", f"{slot_path(kind, app, job, index)}/{action}")
        return str(doc.get("status", ""))

    def schedules(self, app: str | None = None) -> list[Schedule]:
        doc = self._call("GET", "/v1/schedules" + (f"?app={urllib.parse.quote(app)}" if app else ""))
        return [Schedule.from_json(s) for s in _list(doc, "schedules")]

    def schedule(self, schedule: Schedule) -> str:
        path = slot_path("schedules", schedule.app, schedule.job, schedule.index)
        doc = self._call("PUT", path, schedule.to_json())
        return str(doc.get("status", ""))

    def fires(self, app: str, job: str, *, limit: int = 50) -> list[Delivery]:
        query = urllib.parse.urlencode({"app": app, "job": job, "limit": limit})
        doc = self._call("GET", f"/v1/fires?{query}")
        return [Delivery.from_json(f) for f in _list(doc, "fires")]

    def arm_next(
        self, app: str, job: Job, index: int, *, after: int, replaces: str, audience: str = ""
    ) -> str:
        """Arm the occurrence of schedule ``index`` following ``after``, replacing ``replaces``.

        The service keeps a newer arm (``409``, answered as ``"superseded"``): someone —
        an ``apply``, another replica — already moved the slot on.
        """
        digest = ownership_hashes(job)[index]
        arm = arm_for(app, job, index, digest, after, audience=audience)
        if arm is None:
            return "never"
        try:
            return self.arm(arm.replace(replaces=replaces))
        except SchedulerError as exc:
            if exc.status == 409:
                return "superseded"
            raise

    # ------------------------------------------------------------------ transport

    def _call(self, method: str, path: str, body: object = None) -> dict[str, Any]:
        import http.client

        parts = self._parts
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        else:
            conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=self.timeout)
        data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode("utf-8")
        headers = {
            "Authorization": f"Bearer {self._token}",
            "Accept": "application/json",
            "User-Agent": f"cronix/{__version__}",
        }
        if body is not None:
            headers["Content-Type"] = "application/json"
        where = f"{method} {self.url}{path.partition('?')[0]}"
        try:
            conn.request(method, (parts.path.rstrip("/") or "") + path, body=data or None, headers=headers)
            response = conn.getresponse()
            raw = response.read(_MAX_RESPONSE_BYTES + 1)
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "strerror", None) or type(exc).__name__
            raise SchedulerError(f"{where}: no answer ({reason})") from None
        finally:
            conn.close()
        try:
            doc = json.loads(raw) if raw else {}
        except ValueError:
            doc = None
        if not isinstance(doc, dict):
            raise SchedulerError(
                f"{where}: HTTP {response.status} with a body that is not a JSON object",
                status=response.status,
            )
        if not 200 <= response.status < 300:
            code = str(doc.get("error", ""))
            message = str(doc.get("message", "")) or code or "no message"
            raise SchedulerError(
                f"{where}: HTTP {response.status} {message}"[:300], status=response.status, code=code
            )
        return doc


def _list(doc: dict[str, Any], key: str) -> list[Any]:
    items = doc.get(key)
    if not isinstance(items, list):
        raise SchedulerError(f"the service's answer has no {key!r} list")
    return items
