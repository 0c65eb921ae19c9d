"""``cronix conformance backend`` and ``cronix conformance plugin``: grade a backend.

``backend --backend NAME`` plays ``spec/vectors/backend-vectors.json`` against any backend,
in-tree or plugin, exactly as the reconciler would open it. ``plugin PATH`` grades a
plugin executable: protocol checks around the same vectors. ``{tmp}`` in a
``--backend-config`` value is replaced by a fresh temporary directory (removed after the
run), so ``--backend-config state_path={tmp}/state.json`` needs no cleanup.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cronix.cli.commands.conformance_report import report_checks

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["backend", "plugin"]

_VECTORS = "spec/vectors/backend-vectors.json"


vectors_option = click.option(
    "--vectors",
    "vectors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help=f"Backend vector file (default: {_VECTORS}).",
)
backend_config_option = click.option(
    "--backend-config",
    "pairs",
    multiple=True,
    metavar="KEY=VALUE",
    help="A backend setting (repeatable); wins over cronix.yaml. {tmp} expands to a temp dir.",
)


@click.command("backend")
@click.option("--backend", "name", required=True, help="Backend name: built-in or a plugin's.")
@backend_config_option
@click.option("--config", "config_path", default=None, help="cronix.yaml to use (pins, plugin settings).")
@vectors_option
def backend(name: str, pairs: tuple[str, ...], config_path: str | None, vectors_path: Path | None) -> None:
    """Run the backend vectors against backend NAME, in-tree or plugin, opened as every command opens it.

    Exit status: 0 every vector passed · 1 a vector failed · 2 usage or config error ·
    3 the backend or plugin failed · 4 the plugin failed its integrity checks.
    """
    from cronix.cli.reconcile_flags import parse_backend_config
    from cronix.operations import Overrides, Workspace, backend_conformance

    with _expanded(parse_backend_config(pairs)) as settings:
        ws = Workspace(Overrides(config_path=config_path, backend=name, settings=settings))
        report_checks(backend_conformance(ws, _vector_file(vectors_path)))


@click.command("plugin")
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@backend_config_option
@vectors_option
def plugin(path: str, pairs: tuple[str, ...], vectors_path: Path | None) -> None:
    """Grade the plugin executable at PATH: protocol checks plus the backend vectors.

    PATH is run as given (no discovery, no pin): this is a tool for the plugin's author.
    Exit status: 0 all passed · 1 a check failed · 2 usage error · 3 the plugin failed.
    """
    import os

    from cronix.cli.reconcile_flags import parse_backend_config
    from cronix.conformance.backend_suite import load_backend_vectors
    from cronix.conformance.plugin_checks import run_plugin_checks
    from cronix.conformance.seeders import seeder_for
    from cronix.plugins.contract import EXECUTABLE_PREFIX

    vectors = load_backend_vectors(_vector_file(vectors_path))
    name = os.path.basename(path).removeprefix(EXECUTABLE_PREFIX)
    with _expanded(parse_backend_config(pairs)) as settings:
        report_checks(run_plugin_checks(path, settings, vectors, seeder=seeder_for(name, settings)))


def _vector_file(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    here = Path(_VECTORS)
    if here.exists():
        return here
    import cronix

    return Path(cronix.__file__).resolve().parents[2] / _VECTORS


@contextlib.contextmanager
def _expanded(settings: dict[str, str]) -> Iterator[dict[str, str]]:
    """Replace ``{tmp}`` in values with a temp dir that lives as long as the block."""
    import tempfile

    if not any("{tmp}" in v for v in settings.values()):
        yield settings
        return
    with tempfile.TemporaryDirectory(prefix="cronix-conformance-") as tmp:
        yield {k: v.replace("{tmp}", tmp) for k, v in settings.items()}
