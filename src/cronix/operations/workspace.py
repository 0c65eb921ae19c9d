"""The workspace a command works in: cronix.yaml plus the command line's overrides.

Every operation takes a :class:`Workspace`. It answers the questions commands used to
answer themselves — which backend, with which options, which manifests with which secret
refs, where spec files and the apply lock are — and it is the one place that opens a
backend: :meth:`Workspace.open_backend` tries the in-tree registry first and falls back to
an out-of-tree plugin, hands both the same :class:`~cronix.backends.base.HostContext`, and
closes the backend exactly once. One command opens one backend, so a plugin process is
started once per command however many manifests it reconciles.
"""

from __future__ import annotations

import contextlib
import os
import sys
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import TYPE_CHECKING, Any

from cronix.backends.base import HostContext
from cronix.backends.registry import RESERVED_BACKEND_NAMES, backend_type, selectable_types
from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping

    from cronix.backends.base import Backend
    from cronix.config import Config
    from cronix.protocol.manifest import Job, Manifest
    from cronix.reconcile import LockSettings
    from cronix.reconcile.strategies import FireSelection

__all__ = ["LoadedManifest", "Overrides", "Workspace", "parse_target", "running_cronix"]


@dataclass(frozen=True, slots=True)
class Overrides:
    """What the command line says; ``None`` (or empty) means "not given: use cronix.yaml"."""

    config_path: str | None = None
    backend: str | None = None
    #: Backend type → option name → value, from the per-backend flags (typed already).
    options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    #: ``--backend-config KEY=VALUE`` pairs; they win over everything else.
    settings: Mapping[str, str] = field(default_factory=dict)
    trigger_bin: str | None = None
    spec_dir: str | None = None
    lock_path: str | None = None
    lock_timeout: float | None = None
    manifest: str | None = None
    secret_refs: tuple[str, ...] | None = None
    fire_strategy: str | None = None
    fire_fallback: str | None = None


@dataclass(frozen=True, slots=True)
class LoadedManifest:
    manifest: Manifest
    source: str
    secret_refs: tuple[str, ...] | None


def parse_target(target: str) -> tuple[str, str]:
    """``(app, job)`` of an ``<app>.<job>`` argument (a usage error otherwise)."""
    app, dot, name = target.partition(".")
    if not dot or not app or not name:
        raise UsageError(f'expected <app>.<job>, got "{target}"')
    return app, name


class Workspace:
    """cronix.yaml and the overrides, resolved lazily (see the module docstring)."""

    def __init__(
        self,
        overrides: Overrides | None = None,
        *,
        config: Config | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.overrides = overrides or Overrides()
        self._config = config
        #: Where messages that cannot wait go (a lock being waited for, secret warnings).
        self.notify = notify or (lambda message: None)

    @cached_property
    def config(self) -> Config:
        if self._config is not None:
            return self._config
        from cronix.config import load_config

        return load_config(self.overrides.config_path)

    # ------------------------------------------------------------ backends

    @property
    def backend_name(self) -> str:
        return self.overrides.backend or self.config.backend

    def backend_kind(self, name: str | None = None) -> str:
        """The backend type of a configured name (``type:`` in cronix.yaml, else the name)."""
        return self.config.backend_options(name or self.backend_name)[0]

    @cached_property
    def host(self) -> HostContext:
        """What every backend this command opens is told (``read_only`` set per open)."""
        return HostContext(trigger_bin=self.trigger_bin, spec_dir=self.spec_dir)

    @cached_property
    def trigger_bin(self) -> str:
        """``--trigger-bin``, else cronix.yaml's — where the documented default is missing, the
        cronix running this command (``spec/DECISIONS.md`` D-152).

        ``pip install`` puts ``cronix`` in a virtualenv's or ``~/.local/bin``, never in
        ``/usr/local/bin``; entries pointing there could never run. A path the operator
        chose is kept as given: a backend that fires on this host refuses it in ``check()``
        when it is not an executable file.
        """
        from cronix.config import DEFAULT_TRIGGER_BIN, SCHEDULER_PATH

        given = self.overrides.trigger_bin
        if given is not None:
            problem = SCHEDULER_PATH(given)
            if problem:
                raise UsageError(f"--trigger-bin: {problem}")
            return given
        configured = self.config.trigger_bin
        if configured == DEFAULT_TRIGGER_BIN and not _executable(configured):
            return running_cronix() or configured
        return configured

    def backend_settings(self, name: str | None = None) -> dict[str, Any]:
        """The options a backend is opened with: cronix.yaml, then typed flags, then ``--backend-config``."""
        kind, options = self.config.backend_options(name or self.backend_name)
        merged = dict(options)
        merged.update({k: v for k, v in self.overrides.options.get(kind, {}).items() if v is not None})
        if backend_type(kind) is not None:
            merged.update({k: _scalar(v) for k, v in self.overrides.settings.items()})
        else:
            merged.update(self.overrides.settings)
        return merged

    @contextlib.contextmanager
    def open_backend(
        self, name: str | None = None, *, only_its_section: bool = False, read_only: bool = False
    ) -> Iterator[Backend]:
        """The backend called ``name`` (default: the command's), closed exactly once on exit.

        Built-in types first; any other name is the plugin ``cronix-backend-<name>``, whose
        settings are ``plugins.config.<name>``, then ``backends.<name>``, then the flags.
        Every in-tree section of cronix.yaml is checked first, unless ``only_its_section``
        (``global-status`` reports a broken section on its own row instead). ``read_only``
        is for commands that change nothing: the backend's ``check()`` then asks only for
        what reading needs (``HostContext.read_only``; a plugin receives it at Configure).
        """
        name = name or self.backend_name
        if not only_its_section:
            self._check_sections()
        kind = self.backend_kind(name)
        settings = self.backend_settings(name)
        found = backend_type(kind)
        host = replace(self.host, read_only=True) if read_only else self.host
        if found is not None:
            backend = found.open(settings, host, instance=name)
        elif kind in RESERVED_BACKEND_NAMES:
            raise UsageError(
                f'backend "{kind}" is not available in this version of cronix '
                f"(built in: {', '.join(t.name for t in selectable_types())})"
            )
        else:
            from cronix.plugins import open_plugin_backend

            strings = {k: str(v) for k, v in settings.items()}
            backend = open_plugin_backend(kind, self.config, strings, host=host)
        try:
            yield backend
        finally:
            backend.close()

    def _check_sections(self) -> None:
        """Every ``backends.<name>`` section of an in-tree type decodes strictly, used or not.

        A typo in the section of a backend this command does not open is still a typo; the
        config is strict everywhere (DESIGN §3 item 10). Plugin sections are the plugin's.
        """
        from cronix.errors import ConfigError

        if self.__dict__.get("_sections_ok"):
            return
        problems = []
        for name, section in self.config.backends.items():
            kind = backend_type(str(section.get("type", name)))
            if kind is None:
                continue
            options = {k: v for k, v in section.items() if k != "type"}
            try:
                kind.decode_options(options, name)
            except ConfigError as exc:
                problems.append(str(exc))
        if problems:
            where = self.config.path or "cronix.yaml"
            raise ConfigError(f"{where} is invalid: " + "; ".join(problems))
        self.__dict__["_sections_ok"] = True

    # ------------------------------------------------------------ files and locks

    def fire_selection(self, app: str) -> FireSelection:
        """The fire strategy asked for ``app``'s jobs on this backend: flags, then cronix.yaml."""
        from cronix.reconcile.strategies import FireSelection

        o = self.overrides
        return FireSelection.from_config(
            self.config.fire, self.backend_name, app, strategy=o.fire_strategy, fallback=o.fire_fallback
        )

    @property
    def spec_dir(self) -> str:
        return self.overrides.spec_dir or self.config.spec_dir

    def lock(self) -> LockSettings:
        from cronix.reconcile import LockSettings

        o = self.overrides
        timeout = self.config.apply.lock_timeout_seconds if o.lock_timeout is None else o.lock_timeout
        return LockSettings(o.lock_path or self.config.apply.lock_path, timeout, self.notify)

    # ------------------------------------------------------------ manifests

    def manifests(self, *, required: bool = True, app: str | None = None) -> list[LoadedManifest]:
        """``--manifest``, else every ``manifest_sources`` entry (only ``app``'s, if given), each
        fetched and validated."""
        given = self.overrides.manifest
        if given:
            refs = self.overrides.secret_refs
            return [LoadedManifest(self._load(given, refs, None), given, refs)]
        out = []
        for src in self.config.manifest_sources:
            if app is not None and src.app != app:
                continue
            refs = self.overrides.secret_refs or src.secret_refs or None
            out.append(LoadedManifest(self._load(src.url, refs, src.app), src.url, refs))
        if required and not out:
            raise UsageError("no manifest: pass --manifest SOURCE, or list manifest_sources in cronix.yaml")
        return out

    def target_job(self, target: str) -> tuple[str, str, Job | None]:
        """``(app, job, the job in --manifest or None)`` for an ``<app>.<job>`` argument."""
        app, name = parse_target(target)
        if not self.overrides.manifest:
            return app, name, None
        manifest = self.manifests()[0].manifest
        if manifest.app != app:
            raise UsageError(f'manifest declares app "{manifest.app}", not "{app}"')
        job = manifest.job(name)
        if job is None:
            raise UsageError(f'job "{name}" is not in the manifest')
        return app, name, job

    def _load(self, source: str, refs: tuple[str, ...] | None, app: str | None) -> Manifest:
        from cronix.secrets import resolve_secrets
        from cronix.sources import load_manifest

        def secret() -> str:
            return resolve_secrets(refs or (), warn=self.notify)[0]

        manifest = load_manifest(source, secret=secret if refs else None)
        if app is not None and manifest.app != app:
            raise UsageError(
                f'manifest at {source} declares app "{manifest.app}", but cronix.yaml expects "{app}"'
            )
        return manifest


def _executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def running_cronix() -> str | None:
    """The absolute path of the ``cronix`` executable running this process, if there is one.

    The console script that started us (``sys.argv[0]``), else the one installed beside
    this interpreter (``python -m cronix`` from a virtualenv), else ``cronix`` on ``PATH``.
    The path is made absolute, not resolved: a stable link such as ``~/.local/bin/cronix``
    survives an upgrade of what it points to.
    """
    import shutil

    candidates = []
    if sys.argv and os.path.basename(sys.argv[0]) == "cronix":
        candidates.append(os.path.abspath(sys.argv[0]))
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(sys.executable)), "cronix"))
    found = shutil.which("cronix")
    if found:
        candidates.append(os.path.abspath(found))
    return next((c for c in candidates if _executable(c)), None)


def _scalar(text: str) -> Any:
    """A ``--backend-config`` value for a typed built-in option: ``true``, ``5`` or a string."""
    import yaml

    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError:
        return text
    return value if isinstance(value, (bool, int, float, str)) else text
