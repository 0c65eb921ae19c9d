"""``./run demo``: the main job end to end on this machine, unattended, explained as it goes.

1. validate ``examples/manifest.json`` and print its canonical form;
2. start the FastAPI example app on a free loopback port, its secret only in the
   environment (``CRON_SECRET``), never on a command line or in the output;
3. ``cronix validate`` the app's manifest URL (a signed GET);
4. write an operator config (``cronix.yaml``) that points cronix at a demo crontab file;
5. ``cronix plan`` and ``cronix apply`` from the signed manifest URL into that file;
6. ``cronix list`` and ``cronix show`` (with the next fire times);
7. ``cronix trigger`` one job, exactly as cron would run it;
8. show that the app's handler ran: its log line and ``cronix history``;
9. apply again (nothing to change) and ``cronix drift`` (in sync);
10. stop the app.

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
        self.env = {**os.environ, "CRON_SECRET": self.secret}  # the app verifies with it
        # The trigger reads the same value from a file: cron runs it with an environment of
        # its own, where $CRON_SECRET is unset (what `cronix init --create-secret-file` makes).
        self.secret_file = workdir / "secret"
        fd = os.open(self.secret_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(self.secret + "\n")
        self.secret_ref = f"file:{self.secret_file}"
        self.log_path = workdir / "app.log"
        self.app: subprocess.Popen[bytes] | None = None
        self.config = workdir / "cronix.yaml"
        self.crontab = workdir / "crontab"
        self.run_id = ""

    # -- helpers -----------------------------------------------------------------

    def cronix(self, *args: str, env: dict[str, str] | None = None) -> str:
        shown = " ".join(a.replace(str(self.workdir), "$DEMO") for a in args)
        say(f"  $ cronix {shown}")
        done = subprocess.run(
            [str(BIN / "cronix"), *args], capture_output=True, text=True, env={**self.env, **(env or {})}
        )
        output = (done.stdout + done.stderr).rstrip()
        for line in output.splitlines():
            say(f"    {line.replace(str(self.workdir), '$DEMO')}")
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

    @property
    def manifest_url(self) -> str:
        return f"{self.base_url}/.well-known/cron-manifest"

    def validate_manifest_url(self) -> None:
        """Validate the app's manifest URL: cronix fetches it with a signed GET."""
        say("  the app answers only requests signed with its secret (X-Cron-Signature, HMAC-SHA256)")
        self.cronix("validate", self.manifest_url, "--secret-ref", self.secret_ref, "--next", "1")

    def write_config(self) -> None:
        """Write the operator config: where the manifest is, and a demo crontab file as the backend."""
        w = self.workdir
        say(f"  $DEMO is {w}, a scratch directory removed at the end")
        self.config.write_text(
            f"""# cronix.yaml for the demo: everything lives under $DEMO
manifest_sources:
  - app: shop
    url: {self.manifest_url}
    secret_refs: [{self.secret_ref}]   # a reference cron can read (0600); never the secret
backend: crontab
backends:
  crontab:
    path: {self.crontab}
trigger_bin: {BIN / "cronix"}
spec_dir: {w / "jobs"}
apply:
  lock_path: {w / "apply.lock"}
trigger:
  run_log: {w / "runs.jsonl"}
  state_dir: {w / "state"}
locks:
  flock:
    dir: {w / "locks"}
""",
            encoding="utf-8",
        )
        self.env["CRONIX_CONFIG"] = str(self.config)  # what `cronix trigger` reads when cron runs it
        for line in self.config.read_text().splitlines():
            say(f"    {line.replace(str(w), '$DEMO')}")

    def plan_and_apply(self) -> None:
        """Plan, then apply the app's manifest (fetched from its URL) into the demo crontab."""
        self.cronix("plan")
        self.cronix("apply")
        say(f"  the crontab file cron would read ({self.crontab.name}):")
        for line in self.crontab.read_text().splitlines():
            say(f"    | {line.replace(str(self.workdir), '$DEMO').replace(str(BIN), '.venv/bin')}")

    def list_and_show(self) -> None:
        """List what cronix owns there, and show one job with its next fire times."""
        self.cronix("list")
        self.cronix("show", f"shop.{JOB}", "--manifest", self.manifest_url, "--secret-ref", self.secret_ref)

    def trigger_job(self) -> None:
        """Fire one job the way cron will: `cronix trigger shop.reconcile-payments`."""
        out = self.cronix("trigger", f"shop.{JOB}")
        for line in out.splitlines():
            event = json.loads(line)
            if event.get("msg") == "trigger: success":
                self.run_id = event["run_id"]
        if not self.run_id:
            raise StepFailed("cronix trigger did not log a success line")

    def show_handler_ran(self) -> None:
        """Show that the handler ran: the app's log line for this run id, and `cronix history`."""
        wanted = f"{JOB} ran: run_id={self.run_id}"
        deadline = time.monotonic() + 10
        while True:
            found = [
                line for line in self.log_path.read_text(errors="replace").splitlines() if wanted in line
            ]
            if found:
                say(f"  the app logged: {found[0]}")
                break
            if time.monotonic() > deadline:
                raise StepFailed(f"the handler's log line ({wanted!r}) did not appear in {self.log_path}")
            time.sleep(0.1)
        self.cronix("history", f"shop.{JOB}", "--no-journald")

    def converged(self) -> None:
        """Apply again (nothing to change) and check for drift (none)."""
        out = self.cronix("apply")
        if "noop" not in out:
            raise StepFailed("the second apply was expected to change nothing")
        self.cronix("drift", "--exit-on-drift")

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
                self.validate_manifest_url,
                self.write_config,
                self.plan_and_apply,
                self.list_and_show,
                self.trigger_job,
                self.show_handler_ran,
                self.converged,
                self.stop_app,
            )
        ]


def main() -> int:
    started = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="cronix-demo-"))
    demo = Demo(workdir)
    say("cronix demo: an app declares its jobs in code and serves them as a signed manifest;")
    say("cronix installs them into a crontab and fires one as cron would; the app verifies it.")
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
