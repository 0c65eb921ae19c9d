"""Every adapter under a real server, driven by an independent signer: the behaviour a host sees.

Each test runs against uvicorn (FastAPI middleware + mount; Starlette routes), wsgiref
and gunicorn (Flask), wsgiref (Django) and Django's test client. Handlers record what
they ran in a file, so "ran exactly once" is checked across process boundaries.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from cronix.protocol.manifest import canonical_json, parse_manifest
from tests.sdk.conftest import ALL_SERVERS, REAL_SERVERS, Fire, Served, new_run_id, parametrize_servers
from tests.support.procs import wait_until

T = "/api/v1/scheduled/"
MANIFEST = "/.well-known/cron-manifest"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@parametrize_servers(ALL_SERVERS)
class TestEveryServer:
    def test_valid_fire_runs_the_sync_handler_once(self, served: Served, fire: Fire, run_id: str) -> None:
        body = b'{"amount": 12}'
        reply = fire.fire(T + "sync-job", body=body, run_id=run_id, attempt=2)
        assert reply.status == 200, reply.body
        [run] = served.runs(run_id)
        assert run["job"] == "sync-job"
        assert run["app"] == "sdk-test"
        assert run["attempt"] == 2
        assert run["secret_index"] == 0
        assert run["unverified"] is False
        assert run["method"] == "POST"
        assert run["path"] == T + "sync-job"
        assert run["body_sha256"] == sha256(body)
        assert run["fire_time"].endswith("+00:00")

    def test_async_handler_returns_json(self, served: Served, fire: Fire, run_id: str) -> None:
        reply = fire.fire(T + "async-job", run_id=run_id)
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/json"
        assert reply.json() == {"ran": "async-job", "attempt": 1}
        assert [r["kind"] for r in served.runs(run_id)] == ["async"]

    def test_handler_status_body_and_headers_pass_through(self, fire: Fire) -> None:
        reply = fire.fire(T + "status-job")
        assert (reply.status, reply.body) == (202, b"queued")
        assert reply.headers["x-app"] == "sdk-test"

    @pytest.mark.parametrize("tamper", ["body", "method", "path", "query"])
    def test_tampered_request_is_refused(self, served: Served, fire: Fire, run_id: str, tamper: str) -> None:
        signed = {"method": "POST", "target": T + "sync-job?region=eu", "body": b'{"amount": 1}'}
        sent = dict(signed)
        sent.update(
            {
                "body": {"body": b'{"amount": 100}'},
                "method": {"method": "PUT"},
                "path": {"target": T + "async-job?region=eu"},
                "query": {"target": T + "sync-job?region=us"},
            }[tamper]
        )
        reply = fire.fire(
            str(sent["target"]),
            method=str(sent["method"]),
            body=bytes(sent["body"]),  # type: ignore[arg-type]
            sign_method=str(signed["method"]),
            sign_target=str(signed["target"]),
            sign_body=bytes(signed["body"]),  # type: ignore[arg-type]
            run_id=run_id,
        )
        assert (reply.status, reply.code) == (401, "SignatureMismatch")
        assert served.runs(run_id) == []

    def test_query_is_part_of_the_signed_target(self, served: Served, fire: Fire, run_id: str) -> None:
        target = T + "sync-job?region=eu&tag=a%20b"
        assert fire.fire(target, run_id=run_id).status == 200
        assert served.runs(run_id)[0]["path"] == target

    def test_stale_timestamp_is_refused(self, served: Served, fire: Fire, run_id: str) -> None:
        reply = fire.fire(T + "sync-job", timestamp=int(time.time()) - 301, run_id=run_id)
        assert (reply.status, reply.code) == (401, "StaleTimestamp")
        assert served.runs(run_id) == []
        assert fire.fire(T + "sync-job", timestamp=int(time.time()) - 200).status == 200

    def test_rotated_secret_second_secret_matches(self, served: Served, fire: Fire, run_id: str) -> None:
        assert fire.fire(T + "sync-job", secret=fire.secrets.old, run_id=run_id).status == 200
        assert served.runs(run_id)[0]["secret_index"] == 1
        reply = fire.fire(T + "sync-job", secret="not-a-configured-secret")
        assert (reply.status, reply.code) == (401, "SignatureMismatch")

    @pytest.mark.parametrize("target", [T + "no-such-job", T + "a/b", T + "Bad_Name"])
    def test_unsigned_requests_learn_nothing_about_job_names(self, fire: Fire, target: str) -> None:
        reply = fire.fire(target, signed=False)
        assert (reply.status, reply.code) == (401, "MissingSignature")

    def test_signed_unknown_job_and_bad_path_are_404(self, fire: Fire) -> None:
        assert fire.fire(T + "no-such-job").code == "UnknownJob"
        assert fire.fire(T + "no-such-job").status == 404
        reply = fire.fire(T + "sync-job/extra")
        assert (reply.status, reply.code) == (404, "BadPath")

    def test_percent_encoded_target_verifies_on_every_server(self, fire: Fire) -> None:
        # Verified against the target as sent (not the decoded path): a signed fire to a
        # name that cannot exist reaches the job lookup.
        reply = fire.fire(T + "caf%C3%A9%20x?q=%C3%A9")
        assert (reply.status, reply.code) == (404, "UnknownJob")
        assert "café x" in reply.json()["message"]

    def test_manifest_signed_get(self, served: Served, fire: Fire) -> None:
        reply = fire.fire(MANIFEST, method="GET")
        assert reply.status == 200
        assert reply.headers["content-type"] == "application/json"
        doc = reply.json()
        assert doc["app"] == "sdk-test"
        names = ["async-job", "boom-once", "no-handler", "public-job", "status-job", "sync-job"]
        assert [j["name"] for j in doc["jobs"]] == names
        assert [j["request"]["url"] for j in doc["jobs"]] == [served.base_url + T + n for n in names]
        assert doc["jobs"][0]["timezone"] == "Europe/Berlin"
        assert doc["jobs"][1]["policy"]["retries"] == {"max_attempts": 3, "min_seconds": 0, "max_seconds": 60}
        # Served in canonical form: valid reconciler input, and re-canonicalizing changes nothing.
        assert canonical_json(parse_manifest(reply.body)).encode() == reply.body

    def test_manifest_with_query_verifies_against_the_real_target(self, fire: Fire) -> None:
        assert fire.fire(MANIFEST + "?v=1", method="GET").status == 200
        reply = fire.fire(MANIFEST + "?v=2", method="GET", sign_target=MANIFEST + "?v=1")
        assert (reply.status, reply.code) == (401, "SignatureMismatch")

    def test_manifest_with_query_also_verifies_against_the_bare_path(self, fire: Fire) -> None:
        # What cronix and the reference CLI sign for ...cron-manifest?env=prod (D-605).
        assert fire.fire(MANIFEST + "?env=prod", method="GET", sign_target=MANIFEST).status == 200
        # Only for the manifest GET: a trigger's query stays signed, and the path must match.
        reply = fire.fire(T + "sync-job?x=1", sign_target=T + "sync-job")
        assert (reply.status, reply.code) == (401, "SignatureMismatch")
        reply = fire.fire(MANIFEST + "?env=prod", method="GET", sign_target="/other")
        assert (reply.status, reply.code) == (401, "SignatureMismatch")
        post = fire.fire(MANIFEST + "?env=prod", method="POST", sign_target=MANIFEST)
        assert (post.status, post.code) == (401, "SignatureMismatch")  # the bare form is for GET only

    def test_manifest_unsigned_or_wrong_method(self, fire: Fire) -> None:
        unsigned = fire.fire(MANIFEST, method="GET", signed=False)
        assert (unsigned.status, unsigned.code) == (401, "MissingSignature")
        wrong_method = fire.fire(MANIFEST, method="POST")
        assert (wrong_method.status, wrong_method.code) == (400, "BadMethod")
        unsigned_post = fire.fire(MANIFEST, method="POST", signed=False)
        assert (unsigned_post.status, unsigned_post.code) == (401, "MissingSignature")

    def test_handler_exception_is_500_and_the_retry_runs_it_again(
        self, served: Served, fire: Fire, run_id: str
    ) -> None:
        replies = fire.trigger(T + "boom-once", run_id=run_id)
        assert [r.status for r in replies] == [500, 200]
        assert replies[0].code == "HandlerError"
        assert b"do-not-leak" not in replies[0].body
        assert replies[1].body == b"recovered"
        assert [(r["attempt"], r["raised"]) for r in served.runs(run_id)] == [(1, True), (2, False)]
        hooks = served.hooks(run_id)
        assert hooks == ["on_trigger_start", "on_trigger_error", "on_trigger_start", "on_trigger_success"]

    def test_the_real_trigger_retries_a_handler_exception(
        self, served: Served, fire: Fire, tmp_path: Path
    ) -> None:
        code, events = fire.real_trigger(tmp_path, "boom-once")
        assert code == 0, events
        assert [(e["msg"], e.get("attempt"), e.get("status")) for e in events] == [
            ("trigger: server error", 1, 500),
            ("trigger: success", 2, 200),
        ]
        assert "HandlerError" in events[0]["body_excerpt"]
        assert "do-not-leak" not in events[0]["body_excerpt"]
        run_id = events[-1]["run_id"]
        assert [(r["attempt"], r["raised"]) for r in served.runs(run_id)] == [(1, True), (2, False)]

    def test_the_real_trigger_fires_a_verified_1_mib_body(
        self, served: Served, fire: Fire, tmp_path: Path
    ) -> None:
        code, events = fire.real_trigger(tmp_path, "sync-job", body="x" * (1024 * 1024))
        assert code == 0, events
        [run] = served.runs(events[-1]["run_id"])
        assert (run["unverified"], run["secret_index"], run["body_len"]) == (False, 0, 1024 * 1024)

    def test_hooks_that_raise_never_change_a_response(self, served: Served, fire: Fire, run_id: str) -> None:
        assert fire.fire(T + "sync-job", run_id=run_id).status == 200
        assert served.hooks(run_id) == ["on_trigger_start", "on_trigger_success"]
        refused = new_run_id()
        assert fire.fire(T + "sync-job", signed=False, run_id=refused).status == 401
        assert [r["code"] for r in served.records(refused)] == ["MissingSignature"]
        manifest_run = new_run_id()
        assert fire.fire(MANIFEST, method="GET", run_id=manifest_run).status == 200
        assert served.hooks(manifest_run) == ["on_manifest_request"]
        if served.log_path is not None:
            assert "hook on_trigger_start raised; the response is unaffected" in served.log()

    def test_job_without_handler_is_503(self, fire: Fire) -> None:
        reply = fire.fire(T + "no-handler")
        assert (reply.status, reply.code) == (503, "NoHandler")

    def test_skip_verify_per_job(self, served: Served, fire: Fire, run_id: str) -> None:
        assert fire.fire(T + "public-job", signed=False, run_id=run_id).status == 200
        [run] = served.runs(run_id)
        assert (run["unverified"], run["secret_index"]) == (True, -1)

    def test_skip_verify_per_instance_and_the_job_that_overrides_it(
        self, served: Served, fire: Fire, run_id: str
    ) -> None:
        assert fire.fire("/open" + T + "open-job", signed=False, run_id=run_id).status == 200
        [run] = served.runs(run_id)
        assert (run["app"], run["unverified"], run["path"]) == ("sdk-open", True, "/open" + T + "open-job")
        manifest = fire.fire("/open" + MANIFEST, method="GET", signed=False)
        assert (manifest.status, manifest.json()["app"]) == (200, "sdk-open")
        strict = fire.fire("/open" + T + "strict-job", signed=False)
        assert (strict.status, strict.code) == (401, "MissingSignature")
        signed_run = new_run_id()
        assert fire.fire("/open" + T + "strict-job", run_id=signed_run).status == 200
        assert served.runs(signed_run)[0]["secret_index"] == 0
        unknown = fire.fire("/open" + T + "no-such-job", signed=False)
        assert (unknown.status, unknown.code) == (401, "MissingSignature")

    def test_one_mib_body_arrives_byte_for_byte(self, served: Served, fire: Fire, run_id: str) -> None:
        body = os.urandom(1 << 20)
        reply = fire.fire(T + "sync-job", body=body, run_id=run_id)
        assert reply.status == 200
        [run] = served.runs(run_id)
        assert (run["body_len"], run["body_sha256"]) == (1 << 20, sha256(body))

    def test_duplicate_run_id_runs_the_handler_once(self, served: Served, fire: Fire, run_id: str) -> None:
        assert fire.fire(T + "sync-job", run_id=run_id).status == 200
        again = fire.fire(T + "sync-job", run_id=run_id, attempt=2)
        assert (again.status, again.code) == (200, "AlreadyHandled")
        assert len(served.runs(run_id)) == 1

    def test_other_routes_reach_the_app(self, served: Served) -> None:
        reply = served.send("GET", "/hello", b"", {})
        assert reply.status == 200
        assert "hello" in reply.json()


@parametrize_servers(REAL_SERVERS)
class TestRealServers:
    def test_the_cli_fetches_a_manifest_url_with_a_query(
        self, served: Served, fire: Fire, tmp_path: Path
    ) -> None:
        url = f"{served.base_url}{MANIFEST}?env=prod&x=y"
        env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "APP_SECRET": fire.secrets.new}
        done = subprocess.run(
            [str(Path(sys.executable).with_name("cronix")), "validate", url, "--secret-ref", "env:APP_SECRET"],
            capture_output=True, text=True, timeout=60, env=env, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        assert "OK  app=sdk-test jobs=6" in done.stdout

    def test_a_refused_fire_is_logged_by_the_app_with_its_code(self, served: Served, fire: Fire) -> None:
        wrong = "a-secret-the-app-does-not-have"
        run_id = new_run_id()
        reply = fire.fire(T + "sync-job", secret=wrong, run_id=run_id)
        assert (reply.status, reply.code) == (401, "SignatureMismatch")
        line = f"cronix: app sdk-test refused POST '{T}sync-job': 401 SignatureMismatch"
        wait_until(lambda: line in served.log(), timeout=10)
        assert wrong not in served.log() and fire.secrets.new not in served.log()
        assert "v1=" not in served.log()  # never the signature

    def test_100_parallel_signed_fires_each_verified_and_run_once(self, served: Served, fire: Fire) -> None:
        jobs = ["sync-job", "async-job"]
        run_ids = [new_run_id() for _ in range(100)]
        with ThreadPoolExecutor(max_workers=100) as pool:
            replies = list(
                pool.map(lambda i: fire.fire(T + jobs[i % 2], run_id=run_ids[i], body=b"%d" % i), range(100))
            )
        assert [r.status for r in replies] == [200] * 100
        for i, rid in enumerate(run_ids):
            [run] = served.runs(rid)
            assert (run["job"], run["secret_index"], run["body_sha256"]) == (
                jobs[i % 2],
                0,
                sha256(b"%d" % i),
            )


@parametrize_servers(ALL_SERVERS)
class TestTokenFires:
    """Every adapter accepts fire tokens (managed-jwt) next to HMAC fires on the same routes."""

    def test_a_token_fire_is_accepted_claimed_and_run_once(self, served: Served, run_id: str) -> None:
        from cronix.protocol.fireid import format_fire_id
        from tests.sdk.tokens import mint

        body = b'{"amount": 3}'
        # An occurrence no real trigger fire of this session can share (those are near now).
        fire_id = format_fire_id("sdk-test", "sync-job", 0, 10**9 + int(uuid.uuid4().int % 10**8))
        url = f"{served.base_url}{T}sync-job"

        def deliver() -> int:
            token = mint(app="sdk-test", job="sync-job", url=url, fire_id=fire_id, body=body, run_id=run_id)
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            return served.send("POST", T + "sync-job", body, headers).status

        assert deliver() == 202
        for _ in range(200):
            if served.runs(run_id):
                break
            time.sleep(0.02)
        assert deliver() == 200  # the redelivery: AlreadyHandled
        [run] = served.runs(run_id)
        assert (run["auth"], run["fire_id"], run["body_sha256"]) == ("jwt", fire_id, sha256(body))

    def test_a_forged_token_is_401(self, served: Served, run_id: str) -> None:
        from cronix.protocol.fireid import format_fire_id
        from tests.sdk.tokens import mint

        url = f"{served.base_url}{T}sync-job"
        token = mint(
            app="sdk-test",
            job="sync-job",
            url=url,
            fire_id=format_fire_id("sdk-test", "sync-job", 0, 0),
            key="es256-rogue",
            run_id=run_id,
        )
        reply = served.send("POST", T + "sync-job", b"", {"Authorization": f"Bearer {token}"})
        assert (reply.status, reply.code) == (401, "UnknownKey")
        assert served.runs(run_id) == []
