"""Vercel Cron's calls through every adapter under real servers: the ``Authorization`` header arrives.

Each served app mounts a ``Cron`` with ``vercel_cron_secret=`` under ``/vercel``
(:mod:`tests.sdk.vercel_app`): uvicorn (FastAPI mount, Starlette ``Mount``), Flask under the
stdlib ``wsgiref`` server and under gunicorn, Django under ``wsgiref`` and in Django's own
test client. Requests are exactly what Vercel sends: ``GET <path>`` with the bearer.
"""

from __future__ import annotations

import json
import time
from typing import Any

from tests.sdk.conftest import ALL_SERVERS, Secrets, Served, parametrize_servers
from tests.sdk.signer import Reply

V = "/vercel/api/v1/scheduled/"
MARK = "?cronix=sdk-vercel.0.0123456789abcdef"


def call(served: Served, path: str, bearer: str | None, method: str = "GET") -> Reply:
    headers = {"Authorization": f"Bearer {bearer}"} if bearer is not None else {}
    return served.send(method, path, b"", headers)


def runs(served: Served, job: str) -> list[dict[str, Any]]:
    if not served.record_path.exists():
        return []
    docs = [json.loads(line) for line in served.record_path.read_text().splitlines()]
    return [doc for doc in docs if doc.get("job") == job and doc.get("app") == "sdk-vercel"]


def code(reply: Reply) -> str:
    return str(json.loads(reply.body)["code"])


def same_minute() -> None:
    """Wait out the last seconds of a minute so two calls surely arrive within one."""
    second = time.time() % 60
    if second > 55:
        time.sleep(60.5 - second)


@parametrize_servers(ALL_SERVERS)
def test_a_vercel_call_runs_the_job_with_vercel_auth(served: Served, sdk_secrets: Secrets) -> None:
    for job in ("vercel-sync", "vercel-async"):
        reply = call(served, V + job + MARK, sdk_secrets.vercel)
        assert reply.status == 200, reply.body
        [ran] = runs(served, job)
        assert (ran["auth"], ran["method"], ran["path"]) == ("vercel", "GET", V + job + MARK)
        assert ran["fire_id"].startswith(f"sdk-vercel.{job}#0@") and ran["fire_id"].endswith(":00Z")


@parametrize_servers(ALL_SERVERS)
def test_two_calls_in_one_minute_run_once(served: Served, sdk_secrets: Secrets) -> None:
    same_minute()
    first = call(served, V + "vercel-dup" + MARK, sdk_secrets.vercel)
    second = call(served, V + "vercel-dup" + MARK, sdk_secrets.vercel)
    assert (first.status, second.status) == (200, 200)
    assert code(second) == "AlreadyHandled"
    assert len(runs(served, "vercel-dup")) == 1


@parametrize_servers(ALL_SERVERS)
def test_wrong_bearers_other_methods_and_other_apps_are_refused(served: Served, sdk_secrets: Secrets) -> None:
    for path in (V + "vercel-once", V + "no-such-job", V + "a/b"):
        for bearer in ("not-" + sdk_secrets.vercel, None):
            reply = call(served, path, bearer)
            assert reply.status == 401, (path, reply.body)
            assert code(reply) == ("BearerMismatch" if bearer else "MissingToken")
            assert sdk_secrets.vercel not in reply.body.decode()
    assert call(served, V + "vercel-once", sdk_secrets.vercel, method="POST").status == 400
    other = call(served, V + "vercel-once?cronix=billing.0.0123456789abcdef", sdk_secrets.vercel)
    assert (other.status, code(other)) == (400, "BadFireId")
    # The root Cron has no vercel_cron_secret: the bearer is refused as before.
    root = call(served, "/api/v1/scheduled/sync-job", sdk_secrets.vercel)
    assert root.status == 401
    assert runs(served, "vercel-once") == []
    assert sdk_secrets.vercel not in served.log()
