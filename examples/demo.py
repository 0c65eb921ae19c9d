"""``./run demo``: the main job end to end on this machine, unattended, explained as it goes.

Steps (each one is a method below, so later ones can be swapped in as the reconciler
and the trigger shim land — plan/apply into a demo crontab, ``cronix trigger``,
``cronix history``, ``cronix drift``):

1. validate ``examples/manifest.json`` (previewing each schedule's next fire) and print
   its canonical form, the bytes ownership hashes are computed over;
2. start the FastAPI example app on a free loopback port, its secret only in the
   environment (``CRON_SECRET``), never on a command line or in the output;
3. write the app's manifest (``cron.manifest()``) to a file and ``cronix validate`` it;
4. fetch the manifest over HTTP with a signed GET (the SDK's ``sign_request``);
5. fire one job with a signed POST, the way ``cronix trigger`` does;
6. show the line the job's handler logged;
7. stop the app.

Exit status 0 when every step worked, 1 otherwise (with the step that failed).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from pathlib import Path

from cronix.sdk import sign_request

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
APP = ROOT / "examples" / "fastapi_app" / "app.py"
JOB = "reconcile-payments"


class StepFailed(Exception):
    pass


def say(text: str = "") -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Demo:
    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.secret = secrets.token_hex(32)
        self.env = {**os.environ, "CRON_SECRET": self.secret}
        self.log_path = workdir / "app.log"
        self.app: subprocess.Popen[bytes] | None = None
        self.run_id = str(uuid.uuid4())

    # -- helpers -----------------------------------------------------------------

    def cronix(self, *args: str) -> str:
        say(f"  $ cronix {' '.join(args)}")
        done = subprocess.run([str(BIN / "cronix"), *args], capture_output=True, text=True, env=self.env)
        output = (done.stdout + done.stderr).rstrip()
        for line in output.splitlines():
            say(f"    {line}")
        if done.returncode != 0:
            raise StepFailed(f"cronix {args[0]} exited with {done.returncode}")
        return done.stdout

    def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> bytes:
        signed = sign_request(self.secret, method, path, body)
        sent = {"X-Cron-Signature": signed.header, **(headers or {})}
        req = urllib.request.Request(self.base_url + path, data=body or None, method=method, headers=sent)
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                payload: bytes = resp.read()
                say(f"    HTTP {resp.status}")
                return payload
        except urllib.error.HTTPError as exc:
            raise StepFailed(f"{method} {path} answered {exc.code}: {exc.read()[:200]!r}") from None

    # -- steps -------------------------------------------------------------------

    def validate_example_manifest(self) -> None:
        """Validate examples/manifest.json (with each schedule's next fire) and print its canonical form."""
        manifest = str(ROOT / "examples" / "manifest.json")
        self.cronix("validate", manifest, "--next", "1")
        self.cronix("validate", "--canonical", manifest)

    def start_app(self) -> None:
        """Start the FastAPI example app with a fresh secret in its environment."""
        say(f"  starting examples/fastapi_app/app.py on {self.base_url} (log: {self.log_path})")
        say("  the signing secret was generated for this run and is passed only in CRON_SECRET")
        log = self.log_path.open("wb")
        self.app = subprocess.Popen(
            [sys.executable, str(APP), "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.app.poll() is not None:
                raise StepFailed(f"the app exited with {self.app.returncode}:\n{self.log_path.read_text()}")
            try:
                with urllib.request.urlopen(self.base_url + "/healthz", timeout=1) as resp:
                    if resp.status == 200:
                        say("  the app is up")
                        return
            except OSError:
                time.sleep(0.1)
        raise StepFailed("the app did not answer /healthz within 30 s")

    def validate_app_manifest(self) -> None:
        """Write the app's manifest (cron.manifest()) to a file and validate it."""
        path = self.workdir / "shop-manifest.json"
        out = subprocess.run(
            [sys.executable, str(APP), "--port", str(self.port), "--manifest"],
            capture_output=True,
            check=False,
            env=self.env,
        )
        if out.returncode != 0:
            raise StepFailed(f"app.py --manifest failed: {out.stderr.decode(errors='replace')}")
        path.write_bytes(out.stdout)
        say(f"  wrote {path}")
        self.cronix("validate", str(path))

    def fetch_manifest(self) -> None:
        """Fetch the manifest over HTTP with a signed GET."""
        say(
            f"  GET {self.base_url}/.well-known/cron-manifest  (X-Cron-Signature: HMAC-SHA256 of the request)"
        )
        doc = json.loads(self.request("GET", "/.well-known/cron-manifest"))
        say(f"    app {doc['app']!r} declares {len(doc['jobs'])} jobs:")
        for job in doc["jobs"]:
            schedules = ", ".join(job["schedules"])
            say(f"      {job['name']:<20} {schedules:<14} {job['timezone']:<14} {job['request']['url']}")

    def fire_job(self) -> None:
        """Fire one job with a signed POST, as `cronix trigger` does."""
        path = f"/api/v1/scheduled/{JOB}"
        now = str(int(time.time()))
        headers = {
            "X-Cron-Run-Id": self.run_id,
            "X-Cron-Schedule-Name": JOB,
            "X-Cron-Fire-Time": now,
            "X-Cron-Fire-Time-Actual": now,
            "X-Cron-Attempt": "1",
        }
        say(f"  POST {self.base_url}{path}  run id {self.run_id}")
        say(f"    response body: {self.request('POST', path, b'', headers).decode()}")

    def show_handler_log(self) -> None:
        """Show the line the job's handler logged."""
        wanted = f"{JOB} ran: run_id={self.run_id}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for line in self.log_path.read_text(errors="replace").splitlines():
                if wanted in line:
                    say(f"    {line}")
                    return
            time.sleep(0.1)
        raise StepFailed(f"the handler's log line ({wanted!r}) did not appear in {self.log_path}")

    def stop_app(self) -> None:
        """Stop the app."""
        if self.app is None or self.app.poll() is not None:
            return
        os.killpg(self.app.pid, signal.SIGTERM)
        try:
            self.app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.app.pid, signal.SIGKILL)
            self.app.wait()
        say("  the app stopped")

    def steps(self) -> list[tuple[str, Callable[[], None]]]:
        return [
            (m.__doc__ or m.__name__, m)
            for m in (
                self.validate_example_manifest,
                self.start_app,
                self.validate_app_manifest,
                self.fetch_manifest,
                self.fire_job,
                self.show_handler_log,
                self.stop_app,
            )
        ]


def main() -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cronix-demo-"))
    demo = Demo(workdir)
    say("cronix demo: an app declares its jobs in code, serves them as a signed manifest,")
    say("and verifies every signed fire before its handler runs.")
    try:
        for number, (title, step) in enumerate(demo.steps(), start=1):
            say()
            say(f"Step {number}. {title}")
            step()
    except StepFailed as exc:
        say()
        say(f"demo FAILED: {exc}")
        return 1
    finally:
        demo.stop_app()
        shutil.rmtree(workdir, ignore_errors=True)
    say()
    say(f"demo OK: every step worked ({time.monotonic() - started:.1f} s).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
