"""What the fires of a plan need from the operator, checked before anything is planned.

A ``local-shim`` job fires through ``cronix trigger``, which HMAC-signs every request with
the secret its trigger spec names. Three ways an apply used to succeed and leave jobs that
fail on every fire (exit 3) are refused or reported at plan time instead
(``spec/DECISIONS.md`` D-153):

* no secret ref at all — the spec would say ``"secret_refs": null``: an error (exit 2);
* a ``raw:`` ref — the secret itself would be written into the spec file: an error;
* an ``env:`` ref on a backend whose entries run on this host (crontab, systemd): the
  trigger runs in the *scheduler's* environment, not the shell that ran ``apply``, so the
  variable is set there only if the scheduler sets it — a warning that says what to use
  instead (a ``file:`` ref to a file only the job's user can read).

A ``managed-jwt`` job is called by the scheduler with a JWT and needs no HMAC secret; a
backend whose entries name their secret themselves (``own_secret_refs``: Kubernetes, whose
pods read a Kubernetes Secret) needs none from the operator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.errors import UsageError
from cronix.secrets import is_literal_ref

if TYPE_CHECKING:
    from collections.abc import Sequence

    from cronix.backends.base import Backend

__all__ = ["MissingSecretRefs", "check_fire_settings"]


class MissingSecretRefs(UsageError):
    """Jobs that fire through ``cronix trigger`` were given no secret ref (exit 2)."""


def check_fire_settings(
    apps: Sequence[tuple[str, Sequence[str] | None, bool]], backend: Backend, *, writes_specs: bool
) -> list[str]:
    """Raise for refs the fires cannot use; return the warnings (each said once).

    ``apps`` has one ``(app, the secret refs its spec files record, whether any of its jobs
    fires through cronix trigger — the local-shim strategy)`` per manifest.
    """
    own = bool(getattr(backend, "own_secret_refs", False))  # its entries name their secret themselves
    missing = [] if own else [app for app, refs, shim in apps if shim and not refs]
    if missing:
        example = (
            "file:/etc/cronix/secret (a file only the job's user can read)"
            if backend.fires_on_host
            else "a ref the trigger can resolve where it runs (ssm:/…, secretsmanager:…, file:/…)"
        )
        raise MissingSecretRefs(
            f"no secret ref for {', '.join(missing)}: its jobs fire through cronix trigger, which signs "
            f"every request with the app's secret; pass --secret-ref {example}, or set secret_refs of "
            "the manifest source in cronix.yaml"
        )
    refs = list(dict.fromkeys(r for _, app_refs, _ in apps for r in app_refs or ()))
    # A raw: ref is the secret itself: never into a spec file (any case: RAW: is raw: too).
    # Backends that carry the spec in their entries refuse it themselves where they would
    # store it (aws-scheduler, the plugin proxy); kubernetes stores no operator refs (D-133).
    if writes_specs and any(is_literal_ref(r) for r in refs):
        raise UsageError(
            "a raw: secret ref would be written into the trigger spec files (it is the secret itself); "
            "use file:/path (or env:NAME where fires see it) for apply"
        )
    if not backend.fires_on_host or not any(shim for _, _, shim in apps):
        return []
    return [
        f"secret ref {ref}: the {backend.name} backend runs cronix trigger in the scheduler's "
        f"environment, not this shell's, so {ref[4:]} is set there only if the scheduler sets it "
        "(otherwise every fire fails with exit 3); use file:/etc/cronix/secret, a file only the job's "
        "user can read, instead"
        for ref in refs
        if ref.lower().startswith("env:")
    ]
