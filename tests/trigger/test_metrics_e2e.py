"""End to end: the real ``cronix trigger`` writes the textfile, a real node_exporter serves it,
a real Prometheus scrapes it and evaluates (and reloads) the rules ``cronix apply`` writes.

Debian's ``prometheus`` (2.42) and ``prometheus-node-exporter`` (1.5), each on a free loopback
port. Prometheus's first scrape lands about five seconds after it starts, so this is slow.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from cronix.config import PrometheusRulesConfig
from cronix.protocol import metrics as m
from cronix.protocol.manifest import parse_manifest
from cronix.reconcile.alert_rules import FAILED
from cronix.reconcile.rules_file import apply_rules, plan_rules
from cronix.trigger.metrics import metrics_file, parse
from tests.support.procs import wait_until
from tests.support.prometheus import get, node_exporter, prometheus, query
from tests.trigger.app_server import AppServer, Reply
from tests.trigger.conftest import Host, job_doc, write_spec

pytestmark = pytest.mark.slow

SEL = '{app="billing",job_name="ping"}'


def _rules(tmp: Path, url: str, job: dict[str, Any], **config: Any) -> Path:
    """What ``cronix apply`` writes into ``rules.yml`` for the job (checked by promtool first)."""
    manifest = parse_manifest(json.dumps({"version": 1, "app": "billing", "jobs": [job_doc(url, **job)]}))
    path = tmp / "rules.yml"
    cfg = PrometheusRulesConfig(path=str(path), promtool="/usr/bin/promtool", **config)
    plan = plan_rules(
        cfg,
        {"billing": list(manifest.jobs)},
        default_start_grace=300,
        default_run_grace=60,
        now=datetime.now(UTC),
    )
    assert apply_rules(plan, cfg) == []  # no warning: written, and reloaded when asked
    return path


def _alerts(server: Any) -> list[dict[str, Any]]:
    status, body = get(f"{server.url}/api/v1/alerts")
    return json.loads(body)["data"]["alerts"] if status == 200 else []


def test_prometheus_scrapes_what_the_trigger_wrote_and_alerts_on_a_failure(
    host: Host, app: AppServer, tmp_path: Path
) -> None:
    textfile = tmp_path / "textfile"
    textfile.mkdir()
    job = {"schedule": "* * * * *", "policy": {"retries": {"max_attempts": 1}}}
    write_spec(host.spec_dir, app.url(), **job)
    rules = _rules(tmp_path, app.url(), job)
    minute = datetime.now(UTC).replace(second=0, microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    proc = host.trigger("billing.ping", "--metrics-dir", str(textfile), "--fire-time", minute)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = parse(Path(metrics_file(str(textfile), "billing", "ping")).read_text())

    with node_exporter(textfile, tmp_path / "node") as node:
        config = tmp_path / "prometheus.yml"
        config.write_text(
            yaml.safe_dump(
                {
                    "global": {"scrape_interval": "1s", "evaluation_interval": "1s"},
                    "rule_files": [str(rules)],
                    "scrape_configs": [
                        {"job_name": "node", "static_configs": [{"targets": [f"127.0.0.1:{node.port}"]}]}
                    ],
                }
            )
        )
        with prometheus(config, tmp_path / "prom") as server:
            wait_until(lambda: bool(query(server, f"{m.LAST_SUCCESS}{SEL}")), timeout=60, interval=0.5)
            (got,) = query(server, f"{m.LAST_SUCCESS}{SEL}")
            assert float(got["value"][1]) == written.last_success
            assert got["metric"]["job"] == "node"  # Prometheus's scrape label, not ours
            (nxt,) = query(server, f"{m.NEXT_FIRE}{SEL}")
            assert float(nxt["value"][1]) == written.next_fire == written.last_fire + 60
            assert nxt["metric"][m.SCHEDULE] == m.schedule_hash(("* * * * *",), "UTC")
            (runs,) = query(server, f'{m.RUNS}{{app="billing",job_name="ping",outcome="success"}}')
            assert runs["value"][1] == "1"

            # The rules loaded, evaluate without error, and a healthy job has no alert.
            status, body = get(f"{server.url}/api/v1/rules")
            assert status == 200, body
            groups = json.loads(body)["data"]["groups"]
            assert [g["name"] for g in groups] == ["cronix:billing.ping"]
            assert all(r["health"] == "ok" for g in groups for r in g["rules"]), groups
            assert _alerts(server) == []

            # A rejected fire: the next scrape sees the failure and CronixJobFailed fires.
            app.replies = [Reply(400)]
            assert host.trigger("billing.ping", "--metrics-dir", str(textfile)).returncode == 1
            wait_until(
                lambda: any(
                    a["labels"]["alertname"] == FAILED and a["state"] == "firing" for a in _alerts(server)
                ),
                timeout=30,
                interval=0.5,
            )
            names = {a["labels"]["alertname"] for a in _alerts(server)}
            assert names == {FAILED}

            # An apply that changes the rules asks Prometheus to reload them (reload_url).
            _rules(tmp_path, app.url(), job, group_by="app", reload_url=f"{server.url}/-/reload")
            _status, body = get(f"{server.url}/api/v1/rules")
            assert [g["name"] for g in json.loads(body)["data"]["groups"]] == ["cronix:billing"]
