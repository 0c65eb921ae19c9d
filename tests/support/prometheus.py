"""The real Prometheus tools from Debian: promtool, node_exporter, the Pushgateway, the server.

Packages ``prometheus`` (2.42, with ``promtool``), ``prometheus-node-exporter`` (1.5) and
``prometheus-pushgateway`` (1.5); ``./run`` installs them. Each server runs on a free
loopback port in its own session and is stopped by its process group.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.procs import free_port, require_binary, running

__all__ = [
    "Server",
    "get",
    "node_exporter",
    "prometheus",
    "promtool",
    "pushgateway",
    "query",
]


def promtool(
    *args: str, stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    binary = require_binary("promtool", "prometheus")
    return subprocess.run(
        [binary, *args], input=stdin, capture_output=True, text=True, timeout=60, check=False, cwd=cwd
    )


@dataclass(frozen=True)
class Server:
    port: int

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def get(url: str, timeout: float = 5.0) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return resp.status, resp.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", "replace")
    except OSError:
        return 0, ""


def _up(url: str) -> bool:
    return get(url, timeout=0.5)[0] == 200


@contextlib.contextmanager
def node_exporter(textfile_dir: Path, workdir: Path) -> Iterator[Server]:
    """node_exporter with only the textfile collector, reading ``textfile_dir``."""
    binary = require_binary("prometheus-node-exporter", "prometheus-node-exporter")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [
        binary,
        f"--web.listen-address=127.0.0.1:{port}",
        "--collector.disable-defaults",
        "--collector.textfile",
        f"--collector.textfile.directory={textfile_dir}",
    ]
    with running(argv, ready=lambda: _up(f"http://127.0.0.1:{port}/metrics"), log=workdir / "node.log"):
        yield Server(port)


@contextlib.contextmanager
def pushgateway(workdir: Path) -> Iterator[Server]:
    binary = require_binary("prometheus-pushgateway", "prometheus-pushgateway")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [binary, f"--web.listen-address=127.0.0.1:{port}", f"--persistence.file={workdir / 'push.db'}"]
    with running(argv, ready=lambda: _up(f"http://127.0.0.1:{port}/-/ready"), log=workdir / "push.log"):
        yield Server(port)


@contextlib.contextmanager
def prometheus(config: Path, workdir: Path) -> Iterator[Server]:
    """A Prometheus server with ``config``, its TSDB under ``workdir``, lifecycle API on."""
    binary = require_binary("prometheus", "prometheus")
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [
        binary,
        f"--config.file={config}",
        f"--storage.tsdb.path={workdir / 'tsdb'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
    ]
    with running(
        argv, ready=lambda: _up(f"http://127.0.0.1:{port}/-/ready"), log=workdir / "prom.log", timeout=30
    ):
        yield Server(port)


def query(server: Server, expr: str) -> list[dict[str, Any]]:
    """The result vector of an instant query (empty while nothing matches)."""
    status, body = get(f"{server.url}/api/v1/query?query={urllib.parse.quote(expr)}")
    if status != 200:
        return []
    doc = json.loads(body)
    result: list[dict[str, Any]] = doc["data"]["result"]
    return result
