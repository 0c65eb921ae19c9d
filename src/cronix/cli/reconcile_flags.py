"""Flags shared by the reconciler commands, and the session they build (config, backend, manifests).

Flag names are the reference's (``--manifest``, ``--backend``, ``--crontab-path``,
``--trigger-bin``, ``--spec-dir``, ``--secret-ref``) plus cronix's own; every value given
on the command line overrides cronix.yaml.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from cronix.backends.base import Backend
    from cronix.config import Config
    from cronix.protocol.manifest import Job, Manifest
    from cronix.reconcile import LockSettings, Outcome
    from cronix.reconcile.strategies import FireSelection

__all__ = [
    "LoadedManifest",
    "Session",
    "backend_flags",
    "config_flag",
    "lock_flags",
    "manifest_flags",
    "warn",
]

F = TypeVar("F", bound=Callable[..., Any])


def _stack(*decorators: Callable[[F], F]) -> Callable[[F], F]:
    def apply(f: F) -> F:
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def config_flag(f: F) -> F:
    return click.option(
        "--config",
        "config_path",
        metavar="PATH",
        help="Operator config (default: $CRONIX_CONFIG, ~/.cronix/cronix.yaml, /etc/cronix/cronix.yaml).",
    )(f)


backend_flags = _stack(
    config_flag,
    click.option(
        "--backend",
        metavar="NAME",
        help="A built-in backend (crontab) or a name under backends: in cronix.yaml [default: crontab].",
    ),
    click.option("--crontab-path", metavar="PATH", help="crontab: the file to manage [/etc/cron.d/cronix]."),
    click.option(
        "--crontab-format",
        type=click.Choice(["auto", "system", "user"]),
        help="crontab: line format; system lines carry a user field [auto: by path].",
    ),
    click.option("--crontab-user", metavar="NAME", help="crontab: manage NAME's crontab through crontab(1)."),
    click.option(
        "--crontab-run-as", metavar="USER", help="crontab: user field of system-format lines [root]."
    ),
    click.option("--cron-tz/--no-cron-tz", default=None, help="crontab: the cron daemon supports CRON_TZ."),
    click.option(
        "--accept-timezone-shift",
        is_flag=True,
        default=None,
        help="crontab: install jobs whose timezone differs from the host's (they fire in the host's zone).",
    ),
    click.option(
        "--trigger-bin", metavar="PATH", help="The cronix executable entries run [/usr/local/bin/cronix]."
    ),
    click.option(
        "--backend-config",
        "backend_config",
        multiple=True,
        metavar="KEY=VALUE",
        help="A backend setting, for plugin backends (repeatable); wins over cronix.yaml.",
    ),
    click.option(
        "--fire-strategy",
        metavar="NAME",
        help="How jobs are invoked: local-shim or managed-jwt [fire.strategy; local-shim].",
    ),
    click.option(
        "--fire-fallback",
        type=click.Choice(["local-shim"]),
        help="Fire with local-shim, loudly, when the chosen strategy cannot be used [fire.fallback].",
    ),
)

manifest_flags = _stack(
    click.option(
        "--manifest",
        metavar="SOURCE",
        help="Path, file://, https:// or loopback http:// URL, or - [default: manifest_sources].",
    ),
    click.option(
        "--secret-ref",
        "secret_refs",
        multiple=True,
        metavar="REF",
        help="Secret for the manifest fetch and the trigger: env:NAME, file:/path (repeatable; a,b).",
    ),
)

lock_flags = _stack(
    click.option("--spec-dir", metavar="DIR", help="Where trigger spec files go [/etc/cronix/jobs]."),
    click.option("--lock-path", metavar="PATH", help="The apply lock [/var/lock/cronix/apply.lock]."),
    click.option(
        "--lock-timeout",
        type=click.FloatRange(0),
        metavar="SECONDS",
        help="How long to wait for another apply to finish [60].",
    ),
)


def warn(message: str) -> None:
    click.echo(f"cronix: warning: {message}", err=True)


@dataclass(frozen=True, slots=True)
class LoadedManifest:
    manifest: Manifest
    source: str
    secret_refs: tuple[str, ...] | None


class Session:
    """What a reconciler command works with, built lazily from its flags."""

    def __init__(self, opts: dict[str, Any]) -> None:
        self.opts = opts

    @cached_property
    def config(self) -> Config:
        from cronix.config import load_config

        return load_config(self.opts.get("config_path"))

    @property
    def backend_name(self) -> str:
        return str(self.opts.get("backend") or self.config.backend)

    def open_backend(self, name: str | None = None) -> Backend:
        from cronix.cli.backend_select import open_backend, parse_backend_config

        o = self.opts
        crontab = {
            "path": o.get("crontab_path"),
            "format": o.get("crontab_format"),
            "crontab_user": o.get("crontab_user"),
            "run_as": o.get("crontab_run_as"),
            "cron_tz": o.get("cron_tz"),
            "accept_timezone_shift": o.get("accept_timezone_shift"),
            "trigger_bin": o.get("trigger_bin"),
        }
        return open_backend(
            name or self.backend_name,
            {"crontab": crontab},
            self.config,
            trigger_bin=o.get("trigger_bin"),
            settings=parse_backend_config(o.get("backend_config") or ()),
        )

    @property
    def cli_secret_refs(self) -> tuple[str, ...] | None:
        refs = [
            r.strip() for value in self.opts.get("secret_refs") or () for r in value.split(",") if r.strip()
        ]
        return tuple(refs) or None

    def fire_selection(self, app: str) -> FireSelection:
        """The fire strategy asked for the command's backend and ``app``: flags, then cronix.yaml."""
        from cronix.reconcile.strategies import FireSelection

        o = self.opts
        return FireSelection.from_config(
            self.config.fire,
            self.backend_name,
            app,
            strategy=o.get("fire_strategy"),
            fallback=o.get("fire_fallback"),
        )

    @property
    def spec_dir(self) -> str:
        return str(self.opts.get("spec_dir") or self.config.spec_dir)

    def lock(self, *, on_wait: Callable[[str], None] | None = None) -> LockSettings:
        from cronix.reconcile import LockSettings

        timeout = self.opts.get("lock_timeout")
        return LockSettings(
            self.opts.get("lock_path") or self.config.apply.lock_path,
            self.config.apply.lock_timeout_seconds if timeout is None else timeout,
            on_wait,
        )

    def target_job(self, target: str) -> tuple[str, str, Job | None]:
        """``(app, job, the job in --manifest or None)`` for an ``<app>.<job>`` argument."""
        from cronix.errors import UsageError

        app, dot, name = target.partition(".")
        if not dot or not app or not name:
            raise UsageError(f'expected <app>.<job>, got "{target}"')
        if not self.opts.get("manifest"):
            return app, name, None
        manifest = self.manifests()[0].manifest
        if manifest.app != app:
            raise UsageError(f'manifest declares app "{manifest.app}", not "{app}"')
        job = manifest.job(name)
        if job is None:
            raise UsageError(f'job "{name}" is not in the manifest')
        return app, name, job

    def dry_runs(self) -> list[Outcome]:
        """Plan every manifest (``--manifest`` or the config's sources) without changing anything."""
        from cronix.reconcile import reconcile

        outcomes = []
        for loaded in self.manifests():
            backend = self.open_backend()
            try:
                selection = self.fire_selection(loaded.manifest.app)
                outcomes.append(reconcile(loaded.manifest, backend, dry_run=True, selection=selection))
            finally:
                backend.close()
        return outcomes

    def manifests(self, *, required: bool = True) -> list[LoadedManifest]:
        """``--manifest``, else every ``manifest_sources`` entry of cronix.yaml."""
        from cronix.errors import UsageError

        given = self.opts.get("manifest")
        if given:
            refs = self.cli_secret_refs
            return [LoadedManifest(_load(given, refs, None), given, refs)]
        out = []
        for src in self.config.manifest_sources:
            refs = self.cli_secret_refs or src.secret_refs or None
            out.append(LoadedManifest(_load(src.url, refs, src.app), src.url, refs))
        if required and not out:
            raise UsageError("no manifest: pass --manifest SOURCE, or list manifest_sources in cronix.yaml")
        return out


def _load(source: str, refs: tuple[str, ...] | None, app: str | None) -> Manifest:
    from cronix.errors import UsageError
    from cronix.secrets import resolve_secrets
    from cronix.sources import load_manifest

    def secret() -> str:
        return resolve_secrets(refs or (), warn=warn)[0]

    manifest = load_manifest(source, secret=secret if refs else None)
    if app is not None and manifest.app != app:
        raise UsageError(
            f'manifest at {source} declares app "{manifest.app}", but cronix.yaml expects "{app}"'
        )
    return manifest
