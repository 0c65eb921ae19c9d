"""``cronix init``: write a commented starter cronix.yaml."""

from __future__ import annotations

import click

from cronix.cli.app import command_help
from cronix.cli.render import echo


@click.command("init", short_help=command_help("init"))
@click.option(
    "--config", "path", metavar="PATH", help="Where to write [$CRONIX_CONFIG or ~/.cronix/cronix.yaml]."
)
@click.option("--app", metavar="APP", help="First manifest source: the app id.")
@click.option("--manifest-url", metavar="URL", help="First manifest source: where its manifest is served.")
@click.option(
    "--secret-ref", "secret_refs", multiple=True, metavar="REF", help="First manifest source: a secret ref."
)
@click.option(
    "--create-secret-file",
    "secret_file",
    metavar="PATH",
    help="Create PATH (mode 0600) holding a new random secret and use file:PATH as the first "
    "source's secret ref. Never overwrites a file; the secret is never printed.",
)
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
def command(
    path: str | None,
    app: str | None,
    manifest_url: str | None,
    secret_refs: tuple[str, ...],
    secret_file: str | None,
    force: bool,
) -> None:
    """Write a starter operator config in which every key is present, commented, and set to
    its default; it loads as is.

    Fires run in the scheduler's environment (cron, systemd), where an env: ref is unset:
    give the trigger a file: ref. --create-secret-file makes one; give the app the same value
    (e.g. CRON_SECRET="$(cat PATH)" in the app's environment)."""
    import os

    from cronix.cli.configdoc import starter_config
    from cronix.config import parse_config
    from cronix.errors import UsageError

    dest = path or os.environ.get("CRONIX_CONFIG") or os.path.expanduser("~/.cronix/cronix.yaml")
    if os.path.exists(dest) and not force:
        raise UsageError(f"{dest} already exists (pass --force to overwrite)")
    from cronix.cli.reconcile_flags import split_secret_refs

    refs = list(split_secret_refs(secret_refs) or ())
    if secret_file is not None:
        secret_file = os.path.abspath(secret_file)
        if os.path.lexists(secret_file):
            raise UsageError(
                f"--create-secret-file: {secret_file} already exists; init never replaces a secret "
                f"(use --secret-ref file:{secret_file} to keep it)"
            )
        refs = [f"file:{secret_file}", *refs]
    text = starter_config(app=app, url=manifest_url, secret_refs=refs)
    parse_config(text, source=dest)  # what init writes must load (the refs included)
    if secret_file is not None:
        from cronix.secrets.create import create_secret_file

        try:
            create_secret_file(secret_file)
        except OSError as exc:
            raise UsageError(
                f"--create-secret-file: cannot create {secret_file}: {exc.strerror or exc}"
            ) from None
    try:
        os.makedirs(os.path.dirname(os.path.abspath(dest)), mode=0o755, exist_ok=True)
        fd = os.open(dest, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
    except OSError as exc:
        raise UsageError(f"cannot write {dest}: {exc.strerror or exc}") from None
    if secret_file is not None:
        echo(f"wrote {secret_file} (mode 0600, a new random secret; not shown)")
        echo(f'the app verifies with the same value, e.g. CRON_SECRET="$(cat {secret_file})"')
    echo(f"wrote {dest}")
    echo(f"next: review it, then run `cronix plan --config {dest}` and `cronix apply --config {dest}`.")
