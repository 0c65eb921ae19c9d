"""Keys from a JWKS URL (a real HTTP server counting fetches) and the google-oidc profile.

The JWKS rules (``cronix.sdk.jwks``): one fetch serves every verification; an unknown
``kid`` refetches at most once a minute; a failed refetch keeps the known keys; no key at
all is ``503 KeysUnavailable``; plain ``http://`` only on loopback. The Google tokens are
minted here with a local RSA key but shaped exactly like a Cloud Scheduler OIDC token
(documented claims ``aud`` = the target URL, ``azp``/``sub`` the service account's numeric
id, ``email``, ``email_verified``, one-hour lifetime, RS256 with a ``kid``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest

from cronix.sdk import Cron, CronConfigError, CronRequest, FireJWT, JobContext, JWKSKeys
from cronix.sdk.jwks import KeysUnavailable
from tests.sdk.tokens import ISSUER, jwks, mint, private_key
from tests.support.httpserver import serving

T = "/api/v1/scheduled/"


class KeyServer(ThreadingHTTPServer):
    """Serves ``self.doc`` at /jwks.json and counts requests (``status`` lets it fail)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _KeyHandler)
        self.doc: dict[str, Any] = jwks("es256-a")
        self.status = 200
        self.hits = 0
        self.headers_seen: list[dict[str, str]] = []
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/jwks.json"


class _KeyHandler(BaseHTTPRequestHandler):
    server: KeyServer

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        with self.server.lock:
            self.server.hits += 1
            self.server.headers_seen.append(dict(self.headers))
        data = json.dumps(self.server.doc).encode()
        self.send_response(self.server.status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture
def keys_server() -> Iterator[KeyServer]:
    with serving(KeyServer()) as server:
        yield server


def test_one_fetch_serves_every_verification_with_explicit_headers(keys_server: KeyServer) -> None:
    source = JWKSKeys(keys_server.url)
    for _ in range(50):
        assert source.key_for("es256-a") is not None
    assert keys_server.hits == 1
    seen = keys_server.headers_seen[0]
    assert seen["Accept"] == "application/json" and seen["User-Agent"].startswith("cronix-sdk/")


def test_unknown_kids_refetch_at_most_once_a_minute(keys_server: KeyServer) -> None:
    now = [1000.0]
    source = JWKSKeys(keys_server.url, clock=lambda: now[0])
    assert source.key_for("es256-a") is not None
    for i in range(100):  # a flood of made-up key ids
        assert source.key_for(f"made-up-{i}") is None
    assert keys_server.hits == 1
    keys_server.doc = jwks("es256-a", "es256-b")  # the issuer rotates in a new key
    assert source.key_for("es256-b") is None  # still inside the minute
    now[0] += 61
    assert source.key_for("es256-b") is not None
    assert keys_server.hits == 2


def test_a_failing_refetch_keeps_the_known_keys_and_no_keys_at_all_is_unavailable(
    keys_server: KeyServer,
) -> None:
    now = [0.0]
    source = JWKSKeys(keys_server.url, clock=lambda: now[0], max_age=10)
    assert source.key_for("es256-a") is not None
    keys_server.status = 500
    now[0] += 100  # stale: refetched on next use, which fails
    assert source.key_for("es256-a") is not None
    cold = JWKSKeys(keys_server.url)
    with pytest.raises(KeysUnavailable):
        cold.key_for("es256-a")


def test_symmetric_and_private_keys_in_a_jwks_are_never_used(keys_server: KeyServer) -> None:
    private = json.loads(jwt.get_algorithm_by_name("ES256").to_jwk(private_key("es256-b")))
    keys_server.doc = {
        "keys": [
            {"kty": "oct", "kid": "hs", "k": "c2VjcmV0"},
            {**private, "kid": "leaked", "use": "sig"},
            *jwks("es256-a")["keys"],
        ]
    }
    source = JWKSKeys(keys_server.url)
    assert (source.key_for("hs"), source.key_for("leaked")) == (None, None)
    assert source.key_for("es256-a") is not None


def test_plain_http_jwks_only_on_loopback() -> None:
    with pytest.raises(ValueError, match="https://"):
        JWKSKeys("http://keys.example/jwks.json")
    with pytest.raises(CronConfigError, match="exactly one of jwks_url"):
        FireJWT(issuer=ISSUER)


def test_an_app_verifies_through_the_cached_jwks_under_asyncio(keys_server: KeyServer) -> None:
    import asyncio

    cron = Cron(
        app="shop",
        base_url="https://shop.example",
        fire_jwt=FireJWT(issuer=ISSUER, jwks_url=keys_server.url),
        fire_mode="sync",
    )
    cron.register("job", lambda ctx: "ok", schedule="@hourly")

    def request(i: int) -> CronRequest:
        token = mint(
            app="shop",
            job="job",
            url=f"https://shop.example{T}job",
            fire_id=f"shop.job#0@2026-01-01T00:0{i}:00Z",
        )
        return CronRequest.build("POST", T + "job", b"", {"Authorization": f"Bearer {token}"})

    async def go() -> list[int]:
        return [(await cron.handle_async(request(i))).status for i in range(5)]

    assert asyncio.run(go()) == [200] * 5
    assert keys_server.hits <= 1  # one process-wide cache (another test may have warmed it)


# ---------------------------------------------------------------------- google-oidc


SA = "scheduler@shop-prod.iam.gserviceaccount.com"


def google_token(url: str, **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "aud": url,
        "azp": "104093742836413377284",
        "email": SA,
        "email_verified": True,
        "exp": now + 3600,
        "iat": now,
        "iss": "https://accounts.google.com",
        "sub": "104093742836413377284",
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(
        claims, private_key("rs256-a"), algorithm="RS256", headers={"kid": "rs256-a", "typ": "JWT"}
    )


@pytest.fixture
def google_app(keys_server: KeyServer) -> tuple[Cron, list[JobContext]]:
    keys_server.doc = jwks("rs256-a")
    ran: list[JobContext] = []
    cron = Cron(
        app="shop",
        base_url="https://shop.example",
        fire_jwt=FireJWT.google(service_account=SA, jwks_url=keys_server.url),
        fire_mode="sync",
    )
    cron.register("report", ran.append, schedule="0 6 * * *")
    return cron, ran


def _google_request(token: str, schedule_time: str | None = "2026-03-01T06:00:00.123Z") -> CronRequest:
    headers = {
        "Authorization": f"Bearer {token}",
        "X-CloudScheduler": "true",
        "X-CloudScheduler-JobName": "projects/p/locations/l/jobs/report",
    }
    if schedule_time:
        headers["X-CloudScheduler-ScheduleTime"] = schedule_time
    return CronRequest.build("POST", T + "report", b"{}", headers)


def test_a_cloud_scheduler_oidc_token_fires_the_job_from_the_route(
    google_app: tuple[Cron, list[JobContext]],
) -> None:
    cron, ran = google_app
    url = f"https://shop.example{T}report"
    response = cron.handle(_google_request(google_token(url)))
    assert response.status == 200, response.body
    [ctx] = ran
    assert (ctx.auth, ctx.fire_id) == ("google-oidc", "shop.report#0@2026-03-01T06:00:00Z")
    duplicate = cron.handle(_google_request(google_token(url)))  # a Cloud Scheduler retry of that run
    assert json.loads(duplicate.body)["code"] == "AlreadyHandled" and len(ran) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"email": "someone@else.iam.gserviceaccount.com"}, "WrongServiceAccount"),
        ({"email_verified": False}, "WrongServiceAccount"),
        ({"aud": "https://shop.example/api/v1/scheduled/other"}, "WrongAudience"),
        ({"iss": "https://evil.example"}, "WrongIssuer"),
        ({"exp": int(time.time()) + 7300}, "LifetimeTooLong"),
        ({"email": None}, "MissingClaim"),
    ],
)
def test_google_tokens_are_checked_claim_by_claim(
    google_app: tuple[Cron, list[JobContext]], overrides: dict[str, Any], expected: str
) -> None:
    cron, ran = google_app
    response = cron.handle(_google_request(google_token(f"https://shop.example{T}report", **overrides)))
    assert (response.status, json.loads(response.body)["code"]) == (401, expected)
    assert ran == []


def test_a_cronix_fire_token_does_not_pass_as_a_google_one(google_app: tuple[Cron, list[JobContext]]) -> None:
    cron, _ = google_app
    token = mint(
        app="shop",
        job="report",
        url=f"https://shop.example{T}report",
        fire_id="shop.report#0@2026-01-01T00:00:00Z",
        key="rs256-a",
        alg="RS256",
    )
    response = cron.handle(_google_request(token))
    assert json.loads(response.body)["code"] in ("WrongIssuer", "MissingClaim")
