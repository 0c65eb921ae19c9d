"""The HTTP API of ``spec/managed-scheduler.md`` v1 over the standard library's threading server.

Public: ``GET /v1/info`` and ``GET /.well-known/jwks.json``. Everything else needs
``Authorization: Bearer <token>`` (compared in constant time). Errors are
``{"error": <code>, "message": …}`` with 400 ``invalid``, 401 ``unauthorized``, 404
``not_found``, 405 ``method_not_allowed``, 409 ``conflict`` or 413 ``too_large``.
"""

from __future__ import annotations

import hmac
import json
import re
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from cronix._version import __version__
from cronix.managedref.store import Conflict
from cronix.protocol.managed import API_NAME, API_VERSION, Arm, Schedule

if TYPE_CHECKING:
    from cronix.managedref.delivery import Deliverer
    from cronix.managedref.keys import KeyRing
    from cronix.managedref.store import SlotKey, Store

__all__ = ["ApiError", "ManagedRefServer"]

_MAX_BODY = 1024 * 1024
_SLOT = re.compile(
    r"/v1/(arms|schedules)/([a-z][a-z0-9-]{0,62})/([a-z][a-z0-9-]{0,62})/([0-9]{1,2})(?:/(pause|resume|run))?"
)
_FIRE = re.compile(r"/v1/fires/([^/]+)/redeliver")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class ManagedRefServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(
        self,
        address: tuple[str, int],
        *,
        store: Store,
        keys: KeyRing,
        deliverer: Deliverer,
        token: str,
        issuer: str,
    ) -> None:
        super().__init__(address, _Handler)
        self.store = store
        self.keys = keys
        self.deliverer = deliverer
        self.token = token
        self.issuer = issuer

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        name = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{name}:{port}"


class _Handler(BaseHTTPRequestHandler):
    server: ManagedRefServer
    protocol_version = "HTTP/1.1"
    server_version = f"cronix-managed-ref/{__version__}"

    def log_message(self, format: str, *args: Any) -> None:
        return  # the service logs deliveries, not every request

    def do_GET(self) -> None:
        self._serve("GET")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # ------------------------------------------------------------------ plumbing

    def _serve(self, method: str) -> None:
        try:
            body = self._body()
            path, _, query = self.path.partition("?")
            status, doc = self._route(method, path, urllib.parse.parse_qs(query), body)
        except ApiError as exc:
            status, doc = exc.status, {"error": exc.code, "message": exc.message}
        except Conflict as exc:
            status, doc = 409, {"error": "conflict", "message": str(exc)}
        except ValueError as exc:
            status, doc = 400, {"error": "invalid", "message": str(exc)}
        data = json.dumps(doc, separators=(",", ":")).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length > _MAX_BODY:
            raise ApiError(413, "too_large", "request bodies are limited to 1 MiB")
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ApiError(400, "invalid", "the body is not JSON") from None

    def _authorize(self) -> None:
        given = self.headers.get("Authorization", "")
        expected = f"Bearer {self.server.token}"
        if not hmac.compare_digest(given.encode(), expected.encode()):
            raise ApiError(401, "unauthorized", "a valid Authorization: Bearer token is required")

    # ------------------------------------------------------------------ routes

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> tuple[int, Any]:
        srv = self.server
        if method == "GET" and path == "/.well-known/jwks.json":
            return 200, srv.keys.jwks()
        if method == "GET" and path == "/v1/info":
            return 200, {
                "api": API_NAME,
                "version": API_VERSION,
                "kinds": ["arm", "schedule"],
                "issuer": srv.issuer,
                "jwks_uri": srv.issuer.rstrip("/") + "/.well-known/jwks.json",
                "server": f"cronix-managed-ref/{__version__} (development and test server)",
            }
        self._authorize()
        app = (query.get("app") or [""])[0]
        if path in ("/v1/arms", "/v1/schedules"):
            if method != "GET":
                raise ApiError(405, "method_not_allowed", f"{method} {path}")
            return 200, self._list(path[4:], app)
        if path == "/v1/fires" and method == "GET":
            job = (query.get("job") or [""])[0]
            limit = int((query.get("limit") or ["50"])[0] or 50)
            return 200, {
                "fires": [d.to_json() for d in srv.store.deliveries(app, job, max(1, min(limit, 1000)))]
            }
        fire = _FIRE.fullmatch(path)
        if fire is not None and method == "POST":
            arm = srv.store.redeliverable(urllib.parse.unquote(fire.group(1)))
            if arm is None:
                raise ApiError(404, "not_found", "no finished delivery has that fire id")
            srv.deliverer.submit(arm)
            return 202, {"status": "redelivering", "fire_id": arm.fire_id}
        slot = _SLOT.fullmatch(path)
        if slot is None:
            raise ApiError(404, "not_found", f"no such resource: {path}")
        kind, app, job, index, action = slot.groups()
        key: SlotKey = (app, job, int(index))
        if action is not None:
            return self._action(method, kind, key, action)
        return self._slot(method, kind, key, body)

    def _list(self, kind: str, app: str) -> dict[str, Any]:
        store = self.server.store
        with store.lock:
            if kind == "arms":
                items = [a.to_json() for k, a in sorted(store.arms.items()) if not app or k[0] == app]
            else:
                items = [store.schedule_json(k) for k in sorted(store.schedules) if not app or k[0] == app]
        return {kind: items}

    def _slot(self, method: str, kind: str, key: SlotKey, body: Any) -> tuple[int, Any]:
        store = self.server.store
        app, job, index = key
        if method == "GET":
            with store.lock:
                if kind == "arms" and key in store.arms:
                    return 200, store.arms[key].to_json()
                if kind == "schedules" and key in store.schedules:
                    return 200, store.schedule_json(key)
            raise ApiError(404, "not_found", f"slot {app}/{job}/{index} holds no {kind[:-1]}")
        if method == "DELETE":
            return 200, {"status": store.cancel(kind, key)}
        if method != "PUT":
            raise ApiError(405, "method_not_allowed", f"{method} on a slot")
        if kind == "arms":
            status, arm = store.put_arm(Arm.from_json(body, app=app, job=job, index=index))
            return 200, {"status": status, "arm": arm.to_json()}
        status = store.put_schedule(Schedule.from_json(body, app=app, job=job, index=index))
        return 200, {"status": status, "schedule": store.schedule_json(key)}

    def _action(self, method: str, kind: str, key: SlotKey, action: str) -> tuple[int, Any]:
        if method != "POST":
            raise ApiError(405, "method_not_allowed", f"{method} {action}")
        store = self.server.store
        if action == "run":
            arm = store.take_now(key) if kind == "arms" else None
            if arm is None:
                raise ApiError(404, "not_found", "the slot holds no arm to run")
            self.server.deliverer.submit(arm)
            return 202, {"status": "delivering", "fire_id": arm.fire_id}
        found = store.set_paused(kind, key, action == "pause")
        if found is None:
            raise ApiError(404, "not_found", f"slot {'/'.join(map(str, key))} is empty")
        status, doc = found
        return 200, {"status": status, kind[:-1]: doc}
