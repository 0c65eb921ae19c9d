"""``cronix drift``: does the backend still match the manifest?"""

from __future__ import annotations

from typing import Any

import click

from cronix.cli.reconcile_flags import backend_flags, fire_flags, manifest_flags, reconciler_command
from cronix.cli.render import output_option


@reconciler_command("drift")
@manifest_flags
@backend_flags
@click.option(
    "--spec-dir",
    metavar="DIR",
    help="Spec files apply wrote: what each job was, compared too [/etc/cronix/jobs].",
)
@fire_flags
@click.option("--exit-on-drift", is_flag=True, help="Exit with status 5 when anything differs.")
@output_option()
def command(output: str, exit_on_drift: bool, **opts: Any) -> None:
    """Show every difference between the manifest and the backend, including hand edits.

    Exit status: 0, or 5 with --exit-on-drift when the backend differs; 1/2/3/4 as for plan.
    """
    from cronix.cli.reconcile_flags import workspace
    from cronix.cli.reconcile_render import show_plans
    from cronix.errors import DriftDetected
    from cronix.operations import drifted_jobs, plan_all

    outcomes = plan_all(workspace(opts))
    show_plans(outcomes, output, mode="drift")
    drifted = drifted_jobs(outcomes)
    if exit_on_drift and drifted:
        raise DriftDetected(f"drift detected in {len(drifted)} job(s): {', '.join(drifted)}")
