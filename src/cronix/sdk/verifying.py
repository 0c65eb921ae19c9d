"""Verification of manifest and trigger requests: structured results, never exceptions.

The order is the point (DESIGN §3 item 12, ``spec/DECISIONS.md`` D-301): the request is
authenticated **first**, before the method, the path and the job name are looked at, so a
caller without a credential learns nothing — an unsigned request to a job that does not
exist gets the same 401 as one to a job that does. The reference checks method/path/job
first and so lets anyone enumerate job names.

A trigger is authenticated one of two ways (both accepted by every adapter):

* ``X-Cron-Signature`` — HMAC, as ``cronix trigger`` signs (``local-shim``);
* ``Authorization: Bearer <fire token>`` — a managed scheduler's JWT (``managed-jwt``), when
  the ``Cron`` has ``fire_jwt=`` (:mod:`cronix.sdk.firejwt`);
* ``Authorization: Bearer <CRON_SECRET>`` — Vercel Cron's own call (``vercel-native``), when
  the ``Cron`` has ``vercel_cron_secret=`` (:mod:`cronix.sdk.vercel`; compared before a token).

A request carrying a signature is checked as HMAC even if it also has a token; one with
neither is answered ``MissingSignature``, or ``MissingToken`` for an app that verifies
only tokens. The one exception is ``skip_verify``: a trigger for a *registered* job whose
effective ``skip_verify`` is true (the job's own setting, else the instance's) is not
checked. Anything else under the trigger prefix — an unknown name, a malformed path —
still needs a valid credential, so skipping verification for one job never reveals the
others.

The signature covers the request target exactly as received (``CronRequest.target``);
routing uses ``CronRequest.route``. Triggers accept any method: the method is signed.
"""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from cronix.protocol import signing
from cronix.protocol.errors import SignatureError
from cronix.protocol.fireid import parse_fire_id
from cronix.protocol.headers import MANIFEST_PATH, TRIGGER_PATH_PREFIX, X_CRON_FIRE_ID, X_CRON_SIGNATURE
from cronix.sdk import vercel
from cronix.sdk.context import JobContext
from cronix.sdk.firejwt import bearer_token
from cronix.sdk.hooks import call_hook
from cronix.sdk.results import Rejection, TriggerVerified, Verified, rejection
from cronix.sdk.secretsource import UnusableSecret

if TYPE_CHECKING:
    from cronix.sdk.context import AuthKind
    from cronix.sdk.contract import CronLike
    from cronix.sdk.incoming import CronRequest
    from cronix.sdk.jobs import RegisteredJob

__all__ = ["check_signature", "job_name", "verify_manifest", "verify_trigger"]

_SIGNATURE_HEADER = X_CRON_SIGNATURE.lower()
_FIRE_ID_HEADER = X_CRON_FIRE_ID.lower()


def job_name(route: str) -> str | None:
    """The job name of a trigger route (``/api/v1/scheduled/<name>``), or None if malformed."""
    if not route.startswith(TRIGGER_PATH_PREFIX):
        return None
    name = route[len(TRIGGER_PATH_PREFIX) :]
    return name if name and "/" not in name else None


def check_signature(cron: CronLike, request: CronRequest) -> int | Rejection:
    """The index of the secret that signed ``request``, or the 401/503 rejection."""
    header = request.headers.get(_SIGNATURE_HEADER)
    if header is None:
        return rejection("MissingSignature", "missing X-Cron-Signature header")
    try:
        secrets = cron.secrets()
    except UnusableSecret as exc:
        cron.logger.error("%s; answering 503 SecretUnavailable", exc)
        return rejection("SecretUnavailable", "the app could not load its secrets")
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


def _fail(cron: CronLike, failure: Rejection, request: CronRequest) -> Rejection:
    call_hook(cron.logger, cron.hooks, "on_verify_failure", failure, request)
    return failure


def verify_manifest(cron: CronLike, request: CronRequest) -> Verified | Rejection:
    """Signature (unless the instance skips it), then ``GET``, then the manifest path.

    A manifest ``GET`` whose target has a query verifies against the target as received
    *or* against its path alone (D-605): ``cronix`` and the reference CLI sign the URL's
    path without ``?env=prod``, older cronix signed the path-and-query. Only the manifest
    GET gets the second form: it reads, never runs anything, and a trigger's query stays
    part of what is signed (D-302).
    """
    index = -1
    if not cron.skip_verify:
        checked = check_signature(cron, request)
        if (
            isinstance(checked, Rejection)
            and checked.code == "SignatureMismatch"
            and request.method == "GET"
            and "?" in request.target
        ):
            bare = dataclasses.replace(request, target=request.target.partition("?")[0])
            again = check_signature(cron, bare)
            checked = checked if isinstance(again, Rejection) else again
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


def verify_trigger(cron: CronLike, request: CronRequest) -> TriggerVerified | Rejection:
    """Authenticate (unless this registered job skips it), then the path, then the job name."""
    name = job_name(request.route)
    entry = cron.get(name) if name is not None else None
    if entry is not None and cron.skips_verification(entry):
        context = JobContext.from_request(cron.app, entry.name, request, secret_index=-1, auth="none")
        return TriggerVerified(-1, context)
    if cron.vercel is not None and _SIGNATURE_HEADER not in request.headers:
        presented = vercel.authenticate(
            cron.vercel,
            request,
            app=cron.app,
            logger=cron.logger,
            others=cron.has_secret() or cron.fire_jwt is not None,
            tokens=cron.fire_jwt is not None,
        )
        if presented is not None:
            return _verify_vercel(cron, request, presented, name, entry)
    uses_token = (
        cron.fire_jwt is not None
        and _SIGNATURE_HEADER not in request.headers
        and (bearer_token(request) is not None or not cron.has_secret())
    )
    if uses_token:
        return _verify_token(cron, request, name, entry)
    checked = check_signature(cron, request)
    if isinstance(checked, Rejection):
        return _fail(cron, checked, request)
    found = _routed(cron, request, name, entry)
    if isinstance(found, Rejection):
        return found
    fire_id = request.headers.get(_FIRE_ID_HEADER, "").strip()
    if fire_id:
        try:
            target = parse_fire_id(fire_id).target
        except ValueError as exc:
            return _fail(cron, rejection("BadFireId", str(exc)), request)
        if target != f"{cron.app}.{found.name}":
            return _fail(
                cron, rejection("BadFireId", f"X-Cron-Fire-Id names {target}, not this job"), request
            )
    context = JobContext.from_request(cron.app, found.name, request, secret_index=checked, fire_id=fire_id)
    key, keep = _replay_key(cron, request)
    return TriggerVerified(checked, context, replay_key=key, replay_keep_seconds=keep)


def _routed(
    cron: CronLike, request: CronRequest, name: str | None, entry: RegisteredJob | None
) -> RegisteredJob | Rejection:
    if name is None:
        failure = rejection(
            "BadPath", f"trigger path must be {TRIGGER_PATH_PREFIX}<job name>, got {request.route}"
        )
        return _fail(cron, failure, request)
    if entry is None:
        return _fail(cron, rejection("UnknownJob", f"no registered job named {name}"), request)
    return entry


def _verify_token(
    cron: CronLike, request: CronRequest, name: str | None, entry: RegisteredJob | None
) -> TriggerVerified | Rejection:
    assert cron.fire_jwt is not None
    job = name or ""
    url = entry.job.request.url if entry is not None else cron.trigger_url(job)
    token = cron.fire_jwt.verify(request, app=cron.app, job=job, url=url, replay=cron.replay)
    if isinstance(token, Rejection):
        return _fail(cron, token, request)
    found = _routed(cron, request, name, entry)
    if isinstance(found, Rejection):
        return found
    auth: AuthKind = "google-oidc" if token.profile == "google-oidc" else "jwt"
    context = JobContext.from_request(
        cron.app, found.name, request, secret_index=0, auth=auth, fire_id=token.fire_id, token=token
    )
    return TriggerVerified(0, context)


def _verify_vercel(
    cron: CronLike,
    request: CronRequest,
    presented: int | Rejection,
    name: str | None,
    entry: RegisteredJob | None,
) -> TriggerVerified | Rejection:
    """A Vercel Cron call: the bearer (already compared), then ``GET``, the job, the occurrence."""
    assert cron.vercel is not None
    if isinstance(presented, Rejection):
        return _fail(cron, presented, request)
    if request.method.upper() != "GET":
        return _fail(
            cron, rejection("BadMethod", f"Vercel cron calls are GET, got {request.method}"), request
        )
    found = _routed(cron, request, name, entry)
    if isinstance(found, Rejection):
        return found
    fire_id = vercel.occurrence(cron.vercel, request, cron.app, found)
    if isinstance(fire_id, Rejection):
        return _fail(cron, fire_id, request)
    context = JobContext.from_request(
        cron.app, found.name, request, secret_index=presented, auth="vercel", fire_id=fire_id
    )
    return TriggerVerified(presented, context)


def _replay_key(cron: CronLike, request: CronRequest) -> tuple[str, float]:
    """``sig:<app>:<v1 hex>`` and how long it stays replayable (until it leaves the window)."""
    parsed = signing.parse_signature_header(request.headers[_SIGNATURE_HEADER])
    keep = parsed.timestamp + cron.replay_window_seconds + 1 - time.time()
    return f"sig:{cron.app}:{parsed.signature.hex()}", max(keep, 1.0)
