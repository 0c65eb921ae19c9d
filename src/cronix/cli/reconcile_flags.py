"""Flags shared by the reconciler commands, and the workspace they build.

Flag names are the reference's (``--manifest``, ``--backend``, ``--crontab-path``,
``--trigger-bin``, ``--spec-dir``, ``--secret-ref``) plus cronix's own. Each backend's
flags are generated from its options dataclass (:meth:`BackendType.option_fields`):
``--<type>-<field>`` unless the field names its own ``flag``, typed by the field
(booleans get ``--x/--no-x``). ``cronix <command> --help`` shows the flags of the backend
the command targets (``--backend NAME``, else cronix.yaml's ``backend``), and a flag of
another backend is a usage error naming the backend it belongs to. Every value given on
the command line overrides cronix.yaml.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import click

from cronix.cli.app import command_help
from cronix.cli.render import echo

if TYPE_CHECKING:
    from cronix.operations import Workspace

__all__ = [
    "BackendCommand",
    "backend_flags",
    "config_flag",
    "fire_flags",
    "lock_flags",
    "manifest_flags",
    "next_flag",
    "parse_backend_config",
    "reconciler_command",
    "source_secret_flag",
    "split_secret_refs",
    "warn",
    "workspace",
]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True, slots=True)
class _BackendFlag:
    kind: str
    field: str
    flag: str


#: Parameter name of a generated flag → which backend option it sets.
_GENERATED: dict[str, _BackendFlag] = {}
_PREFIX = "backend_option__"


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


def _generated_options() -> list[Callable[[F], F]]:
    from cronix.backends.registry import selectable_types

    out: list[Callable[[F], F]] = []
    for kind in selectable_types():
        for opt in kind.option_fields():
            decorator = _flag_for(kind.name, opt)
            if decorator is not None:
                out.append(decorator)
    return out


def _flag_for(kind: str, opt: Any) -> Callable[[F], F] | None:
    """A click option for one backend option, or ``None`` when it has no flag form."""
    if not opt.cli:
        return None
    tp = opt.type
    args = [a for a in typing.get_args(tp) if a is not type(None)]
    if typing.get_origin(tp) in (typing.Union, types.UnionType) and args:
        tp = args[0]
    param = f"{_PREFIX}{kind.replace('-', '_')}__{opt.name}"
    default = "" if opt.default in (None, "", ()) else f" [{_shown(opt.default)}]"
    text = f"{kind}: {opt.doc}{default}"
    _GENERATED[param] = _BackendFlag(kind, opt.name, opt.flag)
    if tp is bool:
        negative = "--no-" + opt.flag.removeprefix("--")
        return click.option(f"{opt.flag}/{negative}", param, default=None, help=text)
    if typing.get_origin(tp) is Literal:
        choices = [str(a) for a in typing.get_args(tp)]
        return click.option(opt.flag, param, type=click.Choice(choices), help=text)
    if typing.get_origin(tp) is tuple:
        return click.option(opt.flag, param, multiple=True, metavar="VALUE", help=text + " (repeatable)")
    click_type = {str: click.STRING, int: click.INT, float: click.FLOAT}.get(tp)
    if click_type is None:
        return None  # mappings and other structures: cronix.yaml or --backend-config only
    metavar = "PATH" if opt.name.endswith(("path", "dir", "bin")) else ("N" if tp is int else "VALUE")
    return click.option(opt.flag, param, type=click_type, metavar=metavar, help=text)


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    return str(value)


def backend_flags(f: F) -> F:
    """``--config``, ``--backend``, ``--trigger-bin``, ``--backend-config`` and every backend's own flags."""
    common = [
        config_flag,
        click.option(
            "--backend",
            metavar="NAME",
            help="A built-in backend or a name under backends: in cronix.yaml [default: crontab].",
        ),
        click.option(
            "--trigger-bin",
            metavar="PATH",
            help="The cronix executable entries run [trigger_bin in cronix.yaml, else "
            "/usr/local/bin/cronix; where that default does not exist, the cronix running this command].",
        ),
        click.option(
            "--backend-config",
            "backend_config",
            multiple=True,
            metavar="KEY=VALUE",
            help="A backend setting (repeatable); wins over cronix.yaml and the flags above.",
        ),
    ]
    return _stack(*common, *_generated_options())(f)


#: ``--secret-ref`` of commands that read one manifest SOURCE (``validate``, ``lint``).
source_secret_flag = click.option(
    "--secret-ref",
    "secret_refs",
    multiple=True,
    metavar="REF",
    help="Secret for fetching an https:// or loopback http:// SOURCE: env:NAME or file:/path (repeatable).",
)
#: ``--next N`` of ``validate`` and ``lint``.
next_flag = click.option(
    "--next",
    "next_count",
    type=click.IntRange(0, 100),
    default=0,
    help="Also show the next N fire times of every schedule, in the job's timezone.",
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
        help="Secret for the manifest fetch and the trigger: file:/path or env:NAME (repeatable; a,b).",
    ),
)


class _Seconds(click.ParamType):  # type: ignore[type-arg]  # generic only in newer click
    """A finite number of seconds >= 0 (``nan`` passes ``x >= 0`` checks and ``inf`` never ends)."""

    name = "seconds"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        import math

        try:
            seconds = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number of seconds", param, ctx)
        if not math.isfinite(seconds) or seconds < 0:
            self.fail(f"{value!r} is not a finite number of seconds >= 0", param, ctx)
        return seconds


fire_flags = _stack(
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

lock_flags = _stack(
    click.option("--spec-dir", metavar="DIR", help="Where trigger spec files go [/etc/cronix/jobs]."),
    click.option("--lock-path", metavar="PATH", help="The apply lock [/var/lock/cronix/apply.lock]."),
    click.option(
        "--lock-timeout",
        type=_Seconds(),
        metavar="SECONDS",
        help="How long to wait for another apply to finish [60].",
    ),
)


class BackendCommand(click.Command):
    """A command whose help lists only the flags of the backend it targets."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        ctx.meta["cronix.args"] = list(args)
        return super().parse_args(ctx, args)

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        target = _targeted_kind(ctx.meta.get("cronix.args", []))
        rows = []
        for param in self.get_params(ctx):
            generated = _GENERATED.get(param.name or "")
            if generated is not None and generated.kind != target:
                continue
            record = param.get_help_record(ctx)
            if record is not None:
                rows.append(record)
        if rows:
            with formatter.section("Options"):
                formatter.write_dl(rows)
        others = sorted({g.kind for g in _GENERATED.values()} - {target})
        if others:
            formatter.write_paragraph()
            formatter.write_text(
                f"Showing the flags of the {target} backend; --backend NAME --help shows another's "
                f"({', '.join(others)})."
            )


def reconciler_command(name: str) -> Callable[[F], click.Command]:
    """``@click.command(name)`` with backend-aware help."""
    return click.command(name, cls=BackendCommand, short_help=command_help(name))


def _targeted_kind(args: list[str]) -> str:
    """The backend type a command line targets, for its help (``crontab`` when unknown)."""
    name = _flag_value(args, "--backend")
    try:
        from cronix.config import load_config

        config = load_config(_flag_value(args, "--config"))
        return config.backend_options(name or config.backend)[0]
    except Exception:  # help must render even with a broken config; the command reports it
        return name or "crontab"


def _flag_value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def warn(message: str) -> None:
    echo(f"cronix: warning: {message}", err=True)


def parse_backend_config(pairs: typing.Iterable[str]) -> dict[str, str]:
    """``--backend-config KEY=VALUE`` flags → a dict (a bad pair is a usage error, exit 2)."""
    from cronix.errors import UsageError

    settings: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--backend-config expects KEY=VALUE, got {pair!r}")
        settings[key.strip()] = value
    return settings


def split_secret_refs(values: typing.Iterable[str]) -> tuple[str, ...] | None:
    """``--secret-ref`` values, each possibly ``a,b``, as one tuple (``None`` when none).

    Every ref must be one (a usage error otherwise, exit 2, that never repeats its text: a
    string that is not a ref is most often the secret itself).
    """
    from cronix.secrets import check_secret_refs

    refs = tuple(r.strip() for v in values for r in v.split(",") if r.strip())
    check_secret_refs(refs, "--secret-ref")
    return refs or None


def workspace(opts: dict[str, Any]) -> Workspace:
    """The workspace a reconciler command's flags describe.

    A generated flag of a backend other than the targeted one is a usage error, so
    ``--crontab-path`` on a systemd apply cannot be silently ignored.
    """
    from cronix.errors import UsageError
    from cronix.operations import Overrides, Workspace

    typed: dict[str, dict[str, Any]] = {}
    given: list[_BackendFlag] = []
    for key, value in opts.items():
        flag = _GENERATED.get(key)
        if flag is None or value is None or value == ():
            continue
        typed.setdefault(flag.kind, {})[flag.field] = list(value) if isinstance(value, tuple) else value
        given.append(flag)
    overrides = Overrides(
        config_path=opts.get("config_path"),
        backend=opts.get("backend"),
        options=typed,
        settings=parse_backend_config(opts.get("backend_config") or ()),
        trigger_bin=opts.get("trigger_bin"),
        spec_dir=opts.get("spec_dir"),
        lock_path=opts.get("lock_path"),
        lock_timeout=opts.get("lock_timeout"),
        manifest=opts.get("manifest"),
        secret_refs=split_secret_refs(opts.get("secret_refs") or ()),
        fire_strategy=opts.get("fire_strategy"),
        fire_fallback=opts.get("fire_fallback"),
    )
    ws = Workspace(overrides, notify=warn)
    if given:
        target = ws.backend_kind()
        stray = next((g for g in given if g.kind != target), None)
        if stray is not None:
            raise UsageError(
                f"{stray.flag} is an option of the {stray.kind} backend, but this command uses "
                f"{ws.backend_name} ({target}); choose it with --backend {stray.kind}"
            )
    return ws
