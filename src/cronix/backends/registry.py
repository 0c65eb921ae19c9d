"""The in-tree backend types, by name: one :class:`BackendType` entry per backend.

A backend type says everything the rest of cronix needs to know about a backend without
importing it: its options dataclass (whose documented fields become the ``backends.<name>``
section of cronix.yaml, the per-backend command-line flags, ``docs/config.md`` and
``cronix init``), how to open it with those options and the :class:`HostContext`, what it
can do, and optionally how the backend conformance suite plants foreign entries in it.
Modules are named as ``"module:attribute"`` strings and imported only when used, so
``cronix --help`` never pays for boto3 or the Kubernetes client.

Names that are not here are out-of-tree plugins (``cronix-backend-<name>``); the one
place that tries the registry first and then the plugins is the operations layer
(:mod:`cronix.operations.workspace`), because ``cronix.backends`` may not import
``cronix.plugins``.

Adding a backend: ``docs/backends.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from importlib import import_module
from typing import TYPE_CHECKING, Any

from cronix.backends.base import LOCAL_SHIM
from cronix.config import decode_section
from cronix.errors import MissingDependencyError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping

    from cronix.backends.base import Backend, Capability, HostContext

__all__ = [
    "BACKEND_TYPES",
    "RESERVED_BACKEND_NAMES",
    "BackendType",
    "OptionField",
    "backend_type",
    "register",
    "require_type",
    "selectable_types",
]


@dataclass(frozen=True, slots=True)
class OptionField:
    """One documented option of a backend type, as flags and docs see it."""

    name: str
    flag: str
    doc: str
    type: Any
    default: Any
    #: False for options that make no sense as a flag (mappings): cronix.yaml or --backend-config only.
    cli: bool = True


@dataclass(frozen=True, slots=True)
class BackendType:
    """One backend, described without importing it.

    ``opener`` is ``"module:function"``; the function takes the decoded options dataclass
    and the :class:`~cronix.backends.base.HostContext` and returns a Backend. ``options``
    is ``"module:Class"``, a frozen dataclass whose fields carry ``documented(...)``
    metadata; a field's flag is ``metadata["flag"]`` or ``--<name>-<field>``.
    ``seeder`` is ``"module:function"`` taking the opened backend and returning a
    conformance :class:`~cronix.conformance.backend_suite.Seeder`. ``requires`` names
    the modules the backend imports and the extra that installs them.
    """

    name: str
    summary: str
    opener: str
    options: str
    capabilities: frozenset[Capability]
    fire_strategies: frozenset[str] = frozenset({LOCAL_SHIM})
    seeder: str | None = None
    requires: tuple[tuple[str, str], ...] = ()
    #: Not offered in help, docs or ``global-status`` unless named explicitly (test fakes).
    hidden: bool = False
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def options_class(self) -> type:
        cls: type = _load(self.options)
        return cls

    def option_fields(self) -> list[OptionField]:
        """The documented options, in declaration order."""
        import typing

        cached: list[OptionField] | None = self._cache.get("fields")
        if cached is None:
            cls = self.options_class()
            hints = typing.get_type_hints(cls)
            cached = [
                OptionField(
                    name=f.name,
                    flag=str(f.metadata.get("flag") or f"--{self.name}-{f.name.replace('_', '-')}"),
                    doc=str(f.metadata.get("doc", "")),
                    type=hints[f.name],
                    default=f.default if f.default is not dataclasses.MISSING else None,
                    cli=bool(f.metadata.get("cli", True)),
                )
                for f in dataclasses.fields(cls)
                if not f.metadata.get("internal")
            ]
            self._cache["fields"] = cached
        return cached

    def decode_options(self, options: Mapping[str, Any], instance: str) -> Any:
        """The options dataclass from ``backends.<instance>`` (strict: unknown keys are errors)."""
        return decode_section(self.options_class(), dict(options), f"backends.{instance}")

    def open(self, options: Mapping[str, Any], host: HostContext, *, instance: str | None = None) -> Backend:
        """Decode ``options`` and open the backend; a missing extra is a clear error (exit 2)."""
        decoded = self.decode_options(options, instance or self.name)
        for module, extra in self.requires:
            try:
                import_module(module)
            except ImportError:
                raise MissingDependencyError(f"the {self.name} backend", extra) from None
        backend: Backend = _load(self.opener)(decoded, host)
        return backend

    def seeder_for(self, backend: Backend) -> object | None:
        """A conformance seeder for ``backend`` (an instance of this type), if the type has one."""
        return _load(self.seeder)(backend) if self.seeder else None


#: Every in-tree backend type, one entry per backend.
BACKEND_TYPES: dict[str, BackendType] = {}


def register(kind: BackendType) -> BackendType:
    """Add a backend type (tests register throwaway types this way, then remove them)."""
    if not kind.name or kind.name in BACKEND_TYPES:
        raise ValueError(f"backend type {kind.name!r} is empty or already registered")
    BACKEND_TYPES[kind.name] = kind
    return kind


register(
    BackendType(
        name="crontab",
        summary="Lines in a crontab file (/etc/cron.d/cronix) or a user's crontab.",
        opener="cronix.backends.crontab:open_backend",
        options="cronix.backends.crontab_options:CrontabOptions",
        capabilities=frozenset({"adopt", "drift-detection", "every", "history", "timezones"}),
        seeder="cronix.backends.crontab_seeder:CrontabSeeder",
    )
)
register(
    BackendType(
        name="kubernetes",
        summary="A batch/v1 CronJob and a ConfigMap (the trigger spec) per schedule, updated in place.",
        opener="cronix.backends.kubernetes:open_backend",
        options="cronix.backends.kubernetes_options:KubernetesOptions",
        capabilities=frozenset({"adopt", "drift-detection", "history", "timezones"}),
        seeder="cronix.backends.kubernetes_seeder:KubernetesSeeder",
        requires=(("kubernetes", "kubernetes"),),
    )
)
register(
    BackendType(
        name="aws-scheduler",
        summary="EventBridge Scheduler schedules that invoke the cronix Lambda (docs/aws.md).",
        opener="cronix.backends.aws_scheduler:open_backend",
        options="cronix.backends.aws_options:AwsSchedulerOptions",
        capabilities=frozenset({"adopt", "drift-detection", "every", "history", "timezones"}),
        seeder="cronix.backends.aws_seeder:AwsSchedulerSeeder",
        requires=(("boto3", "aws"),),
    )
)
register(
    BackendType(
        name="systemd-timer",
        summary="A .timer and .service per schedule in /etc/systemd/system (or the user's units).",
        opener="cronix.backends.systemd:open_backend",
        options="cronix.backends.systemd_options:SystemdOptions",
        capabilities=frozenset({"adopt", "drift-detection", "every", "history", "timezones"}),
        seeder="cronix.backends.systemd_seeder:SystemdSeeder",
    )
)
register(
    BackendType(
        name="vercel",
        summary="Entries of crons[] in a project's vercel.json (Vercel calls the app itself).",
        opener="cronix.backends.vercel:open_backend",
        options="cronix.backends.vercel_options:VercelOptions",
        capabilities=frozenset({"drift-detection"}),
        fire_strategies=frozenset({"vercel-native"}),
        seeder="cronix.backends.vercel_seeder:VercelSeeder",
    )
)
register(
    BackendType(
        name="memory",
        summary="In-process entries for tests and the conformance suite (state ends with the process).",
        opener="cronix.backends.memory:open_backend",
        options="cronix.backends.memory:MemoryOptions",
        capabilities=frozenset({"adopt", "drift-detection", "every", "history", "timezones"}),
        seeder="cronix.backends.memory:MemorySeeder",
        hidden=True,
    )
)

#: Names a plugin may never take: the in-tree types and the ones the design reserves.
RESERVED_BACKEND_NAMES: frozenset[str] = frozenset(
    {*BACKEND_TYPES, "systemd-timer", "kubernetes", "aws-scheduler", "vercel"}
)


def backend_type(kind: str) -> BackendType | None:
    """The in-tree type called ``kind``, or ``None`` (then it may be a plugin)."""
    return BACKEND_TYPES.get(kind)


def selectable_types() -> list[BackendType]:
    """The types offered in help and docs (hidden test fakes left out)."""
    return [t for t in BACKEND_TYPES.values() if not t.hidden]


def require_type(kind: str) -> BackendType:
    found = BACKEND_TYPES.get(kind)
    if found is None:
        names = ", ".join(t.name for t in selectable_types())
        raise UsageError(f'unknown backend "{kind}" (built in: {names})')
    return found


def _load(ref: str) -> Any:
    module, _, attr = ref.partition(":")
    return getattr(import_module(module), attr)
