"""The ``cronix`` command group and the one place where errors become exit codes.

Commands are registered by name in :data:`COMMANDS` and imported only when run (or when
shell completion asks for them), so ``cronix validate`` does not pay for the backends.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

import click

from cronix._version import __version__
from cronix.cli.render import echo
from cronix.errors import EXIT_USAGE, CronixError, ManifestInvalid

__all__ = ["COMMANDS", "cli", "main"]

# name -> (module under cronix.cli.commands, one-line help shown by `cronix --help`).
# Grouped by area; keep one line per command so parallel work merges cleanly.
COMMANDS: dict[str, tuple[str, str]] = {
    # -- manifest and protocol
    "validate": ("validate", "Validate a manifest and show its jobs (or its canonical form)."),
    "lint": ("lint", "Lint a manifest on every configured backend: never-firing schedules, DST, --next."),
    "conformance": ("conformance", "Run spec vectors against a conformance adapter."),
    "conformance-adapter": (
        "conformance_adapter",
        "The language-neutral conformance adapter (JSON on stdin).",
    ),
    # -- reconciler (apply, plan, drift, list, show, prune, adopt, history, init, ...)
    "plan": ("plan", "Show what apply would change (validates every job on the backend first)."),
    "diff": ("plan", "Alias of plan."),
    "apply": ("apply", "Make the backend match the manifest and write the trigger spec files."),
    "drift": ("drift", "Show differences between manifest and backend (--exit-on-drift: exit 5)."),
    "list": ("list_entries", "List every entry cronix owns on the backend."),
    "show": ("show", "Show one job: entries, sync state, next fire times."),
    "prune": ("prune", "Delete cronix-owned entries (all, or one app's)."),
    "adopt": ("adopt", "Put existing entries that run cronix trigger APP.JOB under management."),
    "verify-ownership": ("verify_ownership", "Audit every owned entry's marker, identity and hash (exit 5)."),
    "global-status": ("global_status", "Owned / in-sync / drifted entries of every configured backend."),
    "status": ("status", "Every job: last run, next fire, drift, pause (--missed: exit 5; --html FILE)."),
    "init": ("init", "Write a commented starter cronix.yaml."),
    # -- trigger
    "trigger": ("trigger", "Fire one job now: what the scheduler runs at each fire time (signed, retried)."),
    "history": ("history", "Show the past runs of one job (run log and journald)."),
    "run": ("run", "Fire a job now, or backfill one occurrence (--at), recorded as manual."),
    # -- sdk / examples
    # -- plugins
    "plugins": ("plugins", "Backend plugins: list them, pin their SHA-256, check one (list, pin, check)."),
    # -- meta
    "version": ("version", "Print the cronix version."),
    "completion": ("completion", "Print a shell completion script (bash, zsh or fish)."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        entry = COMMANDS.get(cmd_name)
        if entry is None:
            return None
        module = import_module(f"cronix.cli.commands.{entry[0]}")
        command: click.Command = module.command
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else ""
        if name and not name.startswith("-") and name not in COMMANDS:
            import difflib

            near = difflib.get_close_matches(name, list(COMMANDS), n=1, cutoff=0.6)
            hint = f" Did you mean '{near[0]}'?" if near else ""
            ctx.fail(f"No such command '{name}'.{hint}")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, "--version", prog_name="cronix", message="%(prog)s %(version)s")
def cli() -> None:
    """cronix — cron jobs as code.

    An app serves its scheduled jobs as a signed JSON manifest; `cronix apply`
    reconciles it onto this host's scheduler and `cronix trigger <app>.<job>` fires
    each job as a signed HTTP request.

    Exit codes: 0 ok · 1 error · 2 usage or config error · 3 backend or plugin failure ·
    4 manifest fetch refused or plugin integrity failure · 5 drift detected or runs missed ·
    6 adopt: candidate diverges · 7 adopt: no candidate.
    """


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every failure becomes one message on stderr and a documented exit code."""
    try:
        cli.main(args=argv, prog_name="cronix", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except click.Abort:
        echo("cronix: aborted", err=True)
        return 1
    except click.ClickException as exc:
        # Usage errors (unknown flag, missing argument): click's own message, one line.
        message = exc.format_message()
        ctx = getattr(exc, "ctx", None)
        hint = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        echo(f"cronix: error: {message}{hint}", err=True)
        return exc.exit_code if exc.exit_code else EXIT_USAGE
    except CronixError as exc:
        report_error(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        echo("cronix: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (``cronix list | head``); nothing useful to say.
        _silence_stdout()
        return 1
    except Exception as exc:  # last resort: one line, never a traceback unless asked
        if os.environ.get("CRONIX_DEBUG"):
            raise
        echo(
            f"cronix: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug; rerun with CRONIX_DEBUG=1 for a traceback)",
            err=True,
        )
        return 1
    return 0


def report_error(exc: CronixError) -> None:
    """Print ``exc`` for a human: one line, plus one line per issue for invalid manifests.

    Messages carry text from outside (manifest fields, plugin output, a server's reply);
    :func:`~cronix.cli.render.echo` escapes its control characters, so each stays one line.
    """
    if isinstance(exc, ManifestInvalid):
        where = f"{exc.source}: " if exc.source else ""
        n = len(exc.issues)
        echo(f"cronix: error: {where}manifest invalid ({n} issue{'s' if n != 1 else ''}):", err=True)
        for issue in exc.issues:
            echo(f"  {issue.render()}", err=True)
        return
    where = f"{exc.source}: " if exc.source else ""
    echo(f"cronix: error: {where}{exc}", err=True)


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # pragma: no cover - best effort
        pass


def command_help(name: str) -> str:
    """The one-line help registered for ``name`` (used as the click ``short_help``)."""
    return COMMANDS[name][1]
