"""A real app built with the SDK, served by a real WSGI server, for the Lambda and history tests."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cronix.backends.base import HostContext
from cronix.backends.registry import backend_type
from cronix.reconcile import reconcile
from cronix.sdk import Cron, JobContext
from cronix.sdk.wsgi import CronWSGI
from tests.support.httpserver import serving

if TYPE_CHECKING:
    from tests.aws.conftest import Moto

SECRET = "lambda-secret-of-the-test"


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@dataclass
class App:
    cron: Cron
    seen: list[JobContext] = field(default_factory=list)
    fail: bool = False


@pytest.fixture
def app() -> Iterator[App]:
    server = make_server("127.0.0.1", 0, lambda environ, start: [], WSGIServer, _Quiet)
    base = f"http://127.0.0.1:{server.server_port}"
    cron = Cron(app="billing", base_url=base, secret=["rotated-next-secret-0", SECRET])
    state = App(cron)
    retries = {"max_attempts": 2, "min_seconds": 0, "max_seconds": 1}

    @cron.job("settle", schedule="*/5 * * * *", policy={"timeout_seconds": 5, "retries": retries})
    def settle(ctx: JobContext) -> None:
        state.seen.append(ctx)
        if state.fail:
            raise RuntimeError("ledger unavailable")

    @cron.job(
        "exclusive",
        schedule="0 * * * *",
        policy={"concurrency": "Forbid", "concurrency_scope": "global", "retries": retries},
    )
    def exclusive(ctx: JobContext) -> None:
        state.seen.append(ctx)

    server.set_app(CronWSGI(cron=cron))
    with serving(server):
        yield state


def applied_events(aws: Moto, app: App, refs: list[str]) -> dict[str, Any]:
    """Apply the app's manifest to moto, then read each schedule's Input back as Lambda gets it."""
    kind = backend_type("aws-scheduler")
    assert kind is not None
    reconcile(app.cron.manifest(), kind.open(aws.options(), HostContext()), secret_refs=refs)
    reader = aws.client("scheduler")
    return {
        job: json.loads(reader.get_schedule(Name=f"cronix-billing-{job}-0")["Target"]["Input"])
        for job in ("settle", "exclusive")
    }


def lines(captured: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in captured.splitlines() if line.startswith("{")]
