"""Where ``cronix trigger`` (and the Lambda) take their settings from: cronix.yaml or built-in defaults.

Resolution is :func:`cronix.config.config_path`'s: ``--config`` → ``$CRONIX_CONFIG`` →
``~/.cronix/cronix.yaml`` → ``/etc/cronix/cronix.yaml``. Its own small module, without
argparse, because the Lambda entry point needs the settings but not the command line.
"""

from __future__ import annotations

import os
from typing import Any, NamedTuple

__all__ = ["CONFIG_PATHS", "DEFAULTS", "MetricsSettings", "SettingsError", "load_settings", "settings"]


class MetricsSettings(NamedTuple):
    """``trigger.metrics`` of cronix.yaml (:class:`cronix.config.MetricsConfig`), as the fire reads it.

    A plain tuple, so that ``--metrics-dir`` without a config file costs no config import.
    """

    textfile_dir: str = ""
    pushgateway_url: str = ""
    push_instance: str = ""
    push_timeout_seconds: float = 2.0

    @property
    def exports(self) -> bool:
        return bool(self.textfile_dir or self.pushgateway_url)


class SettingsError(Exception):
    """The config file cannot be used (the trigger exits 3, the Lambda fails the invocation)."""


# Used when no cronix.yaml exists — the common case on a host — so that a fire does not pay
# ~10 ms for importing the config schema. A test pins these to cronix.config's defaults.
CONFIG_PATHS = ("~/.cronix/cronix.yaml", "/etc/cronix/cronix.yaml")
DEFAULTS: dict[str, Any] = {
    "spec_dir": "/etc/cronix/jobs",
    "lock_dir": "/var/lock/cronix",
    "run_log": "/var/log/cronix/runs.jsonl",
    "run_log_max_bytes": 10 * 1024 * 1024,
    "run_log_keep": 3,
    "state_dir": "/var/lib/cronix/state",
    "contended_exit_code": 4,
    "otel": False,
    "redis": None,
    "redis_for_host_jobs": False,
    "metrics": None,
}


def settings(config: Any) -> dict[str, Any]:
    """The trigger's settings from a loaded :class:`cronix.config.Config`."""
    trig = config.trigger
    return {
        "spec_dir": config.spec_dir,
        "lock_dir": config.locks.flock.dir,
        "run_log": trig.run_log,
        "run_log_max_bytes": trig.run_log_max_bytes,
        "run_log_keep": trig.run_log_keep,
        "state_dir": trig.state_dir,
        "contended_exit_code": trig.contended_exit_code,
        "otel": trig.otel,
        "redis": config.locks.redis,
        "redis_for_host_jobs": config.locks.default == "redis",
        "metrics": _metrics(trig.metrics),
    }


def _metrics(config: Any) -> MetricsSettings | None:
    """``None`` when nothing is exported: the fire then never imports the metrics module."""
    chosen = MetricsSettings(
        config.textfile_dir, config.pushgateway_url, config.push_instance, float(config.push_timeout_seconds)
    )
    return chosen if chosen.exports else None


def load_settings(explicit: str | None) -> dict[str, Any]:
    """Same resolution as :func:`cronix.config.config_path`; defaults when there is no file.

    The Lambda reads it too (``$CRONIX_CONFIG`` pointing into the deployment package).
    """
    path = explicit or os.environ.get("CRONIX_CONFIG")
    if not path:
        path = next((p for p in map(os.path.expanduser, CONFIG_PATHS) if os.path.exists(p)), None)
    if path is None:
        return DEFAULTS
    from cronix.config import load_config
    from cronix.errors import ConfigError

    try:
        return settings(load_config(path))
    except ConfigError as exc:
        raise SettingsError(str(exc)) from None
