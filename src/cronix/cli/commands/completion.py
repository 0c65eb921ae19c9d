"""``cronix completion bash|zsh|fish``."""

from __future__ import annotations

import click

from cronix.cli.app import command_help
from cronix.cli.render import emit_data


@click.command("completion", short_help=command_help("completion"))
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def command(shell: str) -> None:
    """Print the completion script for SHELL.

    \b
    bash:  eval "$(cronix completion bash)"        (in ~/.bashrc)
    zsh:   eval "$(cronix completion zsh)"         (in ~/.zshrc)
    fish:  cronix completion fish > ~/.config/fish/completions/cronix.fish
    """
    from click.shell_completion import get_completion_class

    from cronix.cli.app import cli

    comp_cls = get_completion_class(shell)
    assert comp_cls is not None  # the Choice above admits only supported shells
    comp = comp_cls(cli, {}, "cronix", "_CRONIX_COMPLETE")
    emit_data(comp.source())
