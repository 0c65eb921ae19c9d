"""Verification of manifest and trigger requests: structured results, never exceptions.

The order is the point (DESIGN §3 item 12, ``spec/DECISIONS.md`` D-301): the signature is
checked **first**, before the method, the path and the job name, so a caller without the
secret learns nothing — an unsigned request to a job that does not exist gets the same
401 as one to a job that does. The reference checks method/path/job first and so lets
anyone enumerate job names.

The one exception is ``skip_verify``: a trigger for a *registered* job whose effective
``skip_verify`` is true (the job's own setting, else the instance's) is not checked.
Anything else under the trigger prefix — an unknown name, a malformed path — still needs
a valid signature, so skipping verification for one job never reveals the others.

The signature covers the request target exactly as received (``CronRequest.target``);
routing uses ``CronRequest.route``. Triggers accept any method: the method is signed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cronix.protocol import signing
from cronix.protocol.errors import SignatureError
from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX, X_CRON_SIGNATURE
from cronix.sdk.context import JobContext
from cronix.sdk.hooks import call_hook
from cronix.sdk.results import Rejection, TriggerVerified, Verified, rejection

if TYPE_CHECKING:
    from cronix.sdk.app import Cron
    from cronix.sdk.incoming import CronRequest

__all__ = ["check_signature", "job_name", "verify_manifest", "verify_trigger"]

_SIGNATURE_HEADER = X_CRON_SIGNATURE.lower()


def job_name(route: str) -> str | None:
    """The job name of a trigger route (``/api/v1/scheduled/<name>``), or None if malformed."""
    if not route.startswith(TRIGGER_PATH_PREFIX):
        return None
    name = route[len(TRIGGER_PATH_PREFIX) :]
    return name if name and "/" not in name else None


def check_signature(cron: Cron, request: CronRequest) -> int | Rejection:
    """The index of the secret that signed ``request``, or the 401/503 rejection."""
    header = request.headers.get(_SIGNATURE_HEADER)
    if header is None:
        return rejection("MissingSignature", "missing X-Cron-Signature header")
    try:
        secrets = cron.secrets()
    except Exception:
        # A secret provider outage is transient: 503 lets the trigger retry.
        cron.logger.exception("cronix: the secret provider of app %s raised", cron.app)
        return rejection("SecretUnavailable", "the app could not load its secrets")
    try:
        return signing.verify(
            secrets,
            request.method,
            request.target,
            request.body,
            header,
            max_skew_seconds=cron.replay_window_seconds,
        )
    except SignatureError as exc:
        return rejection(exc.code, exc.message)


def _fail(cron: Cron, failure: Rejection, request: CronRequest) -> Rejection:
    call_hook(cron.logger, cron.hooks, "on_verify_failure", failure, request)
    return failure


def verify_manifest(cron: Cron, request: CronRequest) -> Verified | Rejection:
    """Signature (unless the instance skips it), then ``GET``, then the manifest path."""
    index = -1
    if not cron.skip_verify:
        checked = check_signature(cron, request)
        if isinstance(checked, Rejection):
            return _fail(cron, checked, request)
        index = checked
    if request.method.upper() != "GET":
        failure = rejection("BadMethod", f"manifest fetches must be GET, got {request.method}")
        return _fail(cron, failure, request)
    if request.route != MANIFEST_PATH:
        return _fail(cron, rejection("BadPath", f"manifest path must be {MANIFEST_PATH}"), request)
    call_hook(cron.logger, cron.hooks, "on_manifest_request", request)
    return Verified(index)


def verify_trigger(cron: Cron, request: CronRequest) -> TriggerVerified | Rejection:
    """Signature (unless this registered job skips it), then the path, then the job name."""
    name = job_name(request.route)
    entry = cron.get(name) if name is not None else None
    index = -1
    if entry is None or not cron.skips_verification(entry):
        checked = check_signature(cron, request)
        if isinstance(checked, Rejection):
            return _fail(cron, checked, request)
        index = checked
    if name is None:
        failure = rejection(
            "BadPath", f"trigger path must be {TRIGGER_PATH_PREFIX}<job name>, got {request.route}"
        )
        return _fail(cron, failure, request)
    if entry is None:
        return _fail(cron, rejection("UnknownJob", f"no registered job named {name}"), request)
    context = JobContext.from_request(cron.app, name, request, secret_index=index)
    return TriggerVerified(index, context)
