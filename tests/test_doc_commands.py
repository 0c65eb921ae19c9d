"""Every shell block of the docs runs as written, in a sandbox (issue 14 item 6).

The ```sh and ```bash blocks of ``README.md``, ``docs/*.md`` and ``examples/*/README.md``
are what an operator copies. Each runs with ``bash -euo pipefail`` in a private mount
namespace (``tests/support/mounts.py``) where ``/etc`` and ``/var`` are overlays whose
writes land in the test's directory and ``/run/lock`` is a directory of the test: a
block may write ``/etc/cron.d/cronix`` or ``/etc/cronix/secret`` exactly as documented,
and the host never sees it. ``HOME`` is a temporary directory; the working directory is a
temporary copy of the repository's top level (``.venv``, ``examples``, ``spec`` … linked),
so a block that writes ``./manifest.json`` writes it there. ``/tmp/`` in a block becomes a
directory of the test; fixed ports (the docs' 8765, 5055, 8000, 8001) become free ones.
Blocks that need an app get the real example app on that port, started by the test.

A block that cannot run here is in :data:`SKIP` with the reason: a real cluster, an AWS
account, a package index, a plugin that does not exist. A block not in SKIP that fails,
and a SKIP entry that matches no block, fail the test — so the list stays honest. Blocks
in :data:`SHOWS` must also print what says they worked.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.mounts import UNAVAILABLE, mount_namespaces_usable, private_paths_argv
from tests.support.procs import running

REPO = Path(__file__).resolve().parent.parent
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md")), *sorted(REPO.glob("examples/*/README.md"))]
BLOCK = re.compile(r"^```(?:sh|bash)\n(.*?)^```", re.S | re.M)
#: What the sandboxed working directory links from the repository.
LINKED = (".venv", "examples", "spec", "src", "run", "pyproject.toml", "Dockerfile")

#: (doc, the block's first line) → why the block cannot run in this sandbox.
SKIP: dict[tuple[str, str], str] = {
    (
        "README.md",
        "./run demo",
    ): "runs the whole demo and the whole suite; tests/sdk/test_examples.py runs the demo",
    ("README.md", "pip install cronix-py"): "installs from the public package index",
    (
        "README.md",
        "cronix apply --backend systemd-timer",
    ): "needs a booted systemd (tests/systemd/test_e2e_container.py)",
    ("README.md", "./run package-lambda"): "needs an AWS account (docs/aws.md's moto try-out runs)",
    (
        "README.md",
        "cronix trigger billing.reconcile",
    ): "needs the billing app reachable at its manifest's URLs",
    (
        "README.md",
        "cronix plan --backend kubernetes",
    ): "needs a Kubernetes cluster (tests/kubernetes uses kmock)",
    ("docs/aws.md", "./run package-lambda --with-redis"): "needs the operator's lambda-cronix.yaml and Redis",
    ("docs/aws.md", "aws lambda create-function"): "needs an AWS account and the aws CLI",
    (
        "docs/aws.md",
        "cronix apply --manifest https://billing.example.com",
    ): "needs an AWS account and the app",
    ("docs/kubernetes.md", "docker build"): "needs docker and a registry",
    ("docs/kubernetes.md", "kubectl -n jobs"): "needs a Kubernetes cluster",
    ("docs/kubernetes.md", "export KUBECONFIG"): "needs a Kubernetes cluster and the app",
    (
        "docs/plugins.md",
        "pip install 'cronix-py[plugins]'",
    ): "a template for a third-party plugin (acme) that does not exist",
    (
        "docs/plugins.md",
        "cronix conformance plugin ./cronix-backend-acme",
    ): "the acme plugin is a placeholder",
    (
        "docs/systemd.md",
        "cronix plan  --manifest ./manifest.json --secret-ref credential:",
    ): "needs a booted systemd",
    (
        "examples/fastapi_app/README.md",
        "./run setup",
    ): "installs packages and serves the app in the foreground",
    ("examples/flask_app/README.md", "./run setup"): "installs packages and serves the app in the foreground",
}

#: Blocks that talk to an example app: (doc, first line) → (app script, the port the doc uses).
NEEDS_APP: dict[tuple[str, str], tuple[str, int]] = {
    ("examples/fastapi_app/README.md", ".venv/bin/cronix plan  --manifest"): (
        "examples/fastapi_app/app.py",
        8000,
    ),
    ("examples/fastapi_app/README.md", ".venv/bin/python - <<'PY'"): ("examples/fastapi_app/app.py", 8000),
    ("examples/flask_app/README.md", ".venv/bin/cronix apply --manifest"): (
        "examples/flask_app/app.py",
        8001,
    ),
}
PORTS = (8765, 5055, 8000, 8001)
#: Blocks that show a failure on purpose: (doc, first line) → the exit code they document.
FAILS_ON_PURPOSE: dict[tuple[str, str], int] = {
    ("docs/fire-strategies.md", "cronix apply --backend crontab --fire-strategy managed-jwt"): 2,
}
#: Blocks whose output says whether they worked: (doc, first line) → what stdout must show.
SHOWS: dict[tuple[str, str], tuple[str, ...]] = {
    ("README.md", "cat > /tmp/cronix-mon.yaml"): ("Rules written in", "\n9\n"),
    ("README.md", "mkdir -p /tmp/cronix-readme"): ("shop.nightly-report", "no missed runs since"),
    ("docs/monitoring.md", "mkdir -p /tmp/cronix-mon"): (
        "+ cronix:billing.nightly-report",
        "SUCCESS: 9 rules found",
        "exit 3",
        'cronix_job_runs_total{app="billing",job_name="heartbeat",outcome="internal_error"} 1',
    ),
}


@dataclass(frozen=True)
class Block:
    doc: str
    index: int
    text: str

    @property
    def first(self) -> str:
        return self.text.strip().splitlines()[0]

    @property
    def id(self) -> str:
        return f"{self.doc}#{self.index}"

    def key(self, table: dict[tuple[str, str], object]) -> tuple[str, str] | None:
        return next((k for k in table if k[0] == self.doc and self.first.startswith(k[1])), None)


def _blocks() -> list[Block]:
    found = []
    for doc in DOCS:
        name = str(doc.relative_to(REPO))
        found += [Block(name, i, m[1]) for i, m in enumerate(BLOCK.finditer(doc.read_text()))]
    return found


BLOCKS = _blocks()


def test_every_skip_entry_names_a_block() -> None:
    for table in (SKIP, NEEDS_APP, FAILS_ON_PURPOSE, SHOWS):
        unused = [k for k in table if not any(b.key(table) == k for b in BLOCKS)]
        assert unused == [], "entries that match no block (the doc changed): fix the tables"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    for name in LINKED:
        if (REPO / name).exists():
            (work / name).symlink_to(REPO / name)
    (tmp_path / "home").mkdir()
    return tmp_path


@contextlib.contextmanager
def _example_app(script: str, port: int, root: Path, secret: str) -> Iterator[None]:
    env = {**os.environ, "CRON_SECRET": secret}
    argv = [str(REPO / ".venv" / "bin" / "python"), str(REPO / script), "--port", str(port)]
    with running(argv, ready=lambda: _listening(port), log=root / "app.log", env=env, timeout=30):
        yield


def _listening(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.mark.slow
@pytest.mark.skipif(not mount_namespaces_usable(), reason=UNAVAILABLE)
@pytest.mark.parametrize("block", [pytest.param(b, id=b.id) for b in BLOCKS])
def test_the_block_runs_as_written(block: Block, sandbox: Path) -> None:
    key = block.key(SKIP)
    if key is not None:
        pytest.skip(SKIP[key])
    work = sandbox / "work"
    script = block.text.replace("/tmp/", f"{sandbox}/tmp/")
    (sandbox / "tmp").mkdir()
    ports = {p: _free_port() for p in PORTS}
    for old, new in ports.items():
        script = script.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}").replace(f"-p {old} ", f"-p {new} ")
    env = {
        "PATH": f"{REPO / '.venv' / 'bin'}:/usr/bin:/bin:/usr/sbin:/sbin",
        "HOME": str(sandbox / "home"),
        "LANG": "C.UTF-8",
    }
    secret = "docs-sandbox-secret-" + "x" * 16
    needs = block.key(NEEDS_APP)
    with contextlib.ExitStack() as stack:
        if needs is not None:
            app, port = NEEDS_APP[needs]
            (work / "cron-secret").write_text(secret + "\n")
            (work / "cron-secret").chmod(0o600)
            env["CRON_SECRET"] = secret
            stack.enter_context(_example_app(app, ports[port], sandbox, secret))
        argv = private_paths_argv(
            {"/run/lock": _mkdir(sandbox / "lock")},
            ["bash", "-euo", "pipefail", "-c", script],
            overlays={"/etc": sandbox / "etc-overlay", "/var": sandbox / "var-overlay"},
        )
        proc = subprocess.run(
            argv, cwd=work, env=env, capture_output=True, text=True, timeout=180, check=False
        )
    failing = block.key(FAILS_ON_PURPOSE)
    want = FAILS_ON_PURPOSE[failing] if failing is not None else 0
    assert proc.returncode == want, (
        f"{block.id} failed as written:\n{block.text}\n{proc.stdout}\n{proc.stderr}"
    )
    if failing is not None:  # the documented error is the one it prints
        shown = [
            line.lstrip("# ").strip() for line in block.text.splitlines() if line.startswith("# cronix: ")
        ]
        assert " ".join(proc.stderr.split()).startswith(" ".join(shown[0].split()))
    shows = block.key(SHOWS)
    for fragment in SHOWS[shows] if shows is not None else ():
        assert fragment in proc.stdout, (block.id, fragment, proc.stdout)
    assert "Traceback" not in proc.stderr


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
