"""The trigger against the real SDK (``cronix.sdk`` behind a real WSGI server): both sides agree.

The spec file is written from the SDK's own ``cron.manifest()``, as ``cronix apply``
would, and the job URL carries a query string, so the signed path-and-query must match
what the SDK verifies (DESIGN §3 item 11).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

from cronix.protocol.specfile import render_spec_file
from cronix.sdk import Cron, JobContext
from cronix.sdk.wsgi import CronWSGI
from tests.support.httpserver import serving
from tests.trigger.conftest import SECRET, Host, log_lines


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def sdk_app() -> Iterator[tuple[WSGIServer, Cron, list[JobContext]]]:
    seen: list[JobContext] = []
    server = make_server("127.0.0.1", 0, lambda environ, start: [], handler_class=_Quiet)
    base = f"http://127.0.0.1:{server.server_port}"
    cron = Cron(app="billing", base_url=base, secret=["rotated-new-secret-0", SECRET])

    @cron.job("ping", schedule="* * * * *", url=f"{base}/api/v1/scheduled/ping?tenant=acme&x=%2F")
    def ping(ctx: JobContext) -> None:
        seen.append(ctx)

    server.set_app(CronWSGI(cron=cron))
    with serving(server):
        yield server, cron, seen


def test_the_sdk_verifies_what_the_trigger_sends(
    host: Host, sdk_app: tuple[WSGIServer, Cron, list[JobContext]]
) -> None:
    _, cron, seen = sdk_app
    host.spec_dir.mkdir(parents=True)
    (job,) = cron.manifest().jobs
    (host.spec_dir / "billing.ping.json").write_text(render_spec_file("billing", job, ["env:CRON_SECRET"]))
    first = host.trigger()
    # Two fires of one job signed in the same second sign the same bytes, which the SDK
    # refuses as a replay (D-501): let the clock move on, as two real fires' would.
    signed = int(time.time())
    while int(time.time()) == signed:
        time.sleep(0.02)
    second = host.trigger()
    assert (first.returncode, second.returncode) == (0, 0), first.stdout + second.stdout
    assert len(seen) == 2
    ctx = seen[1]
    assert ctx.secret_index == 1  # signed with the operator's secret, index 1 in the app's rotation list
    assert ctx.path == "/api/v1/scheduled/ping?tenant=acme&x=%2F"
    assert ctx.run_id == log_lines(second.stdout)[-1]["run_id"]
    assert ctx.attempt == 1
    assert ctx.fire_time is not None
    assert ctx.fire_time.second == 0  # "* * * * *": the minute the scheduler meant
    # The state file carries the first fire's actual time into the second fire.
    assert seen[0].fire_time_actual is not None
    assert ctx.previous_success_time == seen[0].fire_time_actual
