"""What one fire sends: the job's request plus the injected ``X-Cron-*`` headers, signed.

Per attempt (DESIGN §3 item 11):

* the signature gets a **fresh timestamp** (D-202): a retry that starts more than 300 s
  after the fire still verifies; the caller makes every attempt's timestamp differ from
  the last one (D-502), so no two attempts carry the same signature — the SDK refuses a
  second use of one (replay protection, D-501);
* it covers the path-and-query exactly as sent (:class:`~cronix.trigger.http.Target`);
* static headers from the manifest can never replace an ``X-Cron-*`` header or the
  framing headers the client computes (D-208): such a header is dropped and reported
  once per fire, not once per attempt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

from cronix._version import __version__
from cronix.httpio import check_request
from cronix.protocol import headers as h
from cronix.protocol.signing import sign
from cronix.trigger.http import Target, parse_target

if TYPE_CHECKING:
    from cronix.protocol.manifest import Job

__all__ = ["FireRequest", "prepare_request"]

# Static headers that would change framing or impersonate the trigger are never sent.
_FORBIDDEN = frozenset({"content-length", "transfer-encoding"})
_USER_AGENT = f"cronix-trigger/{__version__}"


class FireRequest(NamedTuple):
    """The job's request, parsed once per fire; :meth:`headers` signs one attempt."""

    method: str
    url: str
    target: Target
    body: bytes
    static_headers: tuple[tuple[str, str], ...]
    dropped_headers: tuple[str, ...]

    def headers(
        self,
        *,
        secret: str,
        timestamp: int,
        run_id: str,
        job_name: str,
        intended_fire: int,
        actual_fire: int,
        attempt: int,
        previous_success: int | None,
        fire_id: str = "",
    ) -> list[tuple[str, str]]:
        """The headers of one attempt, in the reference's order (signature first), then ours."""
        out = [
            (h.X_CRON_SIGNATURE, sign(secret, self.method, self.target.path, self.body, timestamp)),
            (h.X_CRON_RUN_ID, run_id),
            (h.X_CRON_SCHEDULE_NAME, job_name),
            (h.X_CRON_FIRE_TIME, str(intended_fire)),
            (h.X_CRON_FIRE_TIME_ACTUAL, str(actual_fire)),
            (h.X_CRON_ATTEMPT, str(attempt)),
        ]
        if previous_success:
            out.append((h.X_CRON_PREVIOUS_SUCCESS_TIME, str(previous_success)))
        if fire_id:
            out.append((h.X_CRON_FIRE_ID, fire_id))
        out.extend(self.static_headers)
        if not any(name.lower() == "user-agent" for name, _ in self.static_headers):
            out.append(("User-Agent", _USER_AGENT))
        return out


def prepare_request(job: Job) -> FireRequest:
    """Everything about the request that is the same for every attempt; ``ValueError`` if unsendable."""
    try:
        target = parse_target(job.request.url)
    except ValueError as exc:  # "URL must …" → "job URL must …": say which URL
        raise ValueError(f"job {exc}") from None
    kept: list[tuple[str, str]] = []
    dropped: list[str] = []
    for name, value in job.request.headers:
        lower = name.lower()
        if lower.startswith(h.RESERVED_HEADER_PREFIX) or lower in _FORBIDDEN:
            dropped.append(name)
        else:
            kept.append((name, value))
    method = (job.request.method or "POST").upper()
    check_request(target, method, kept)
    return FireRequest(
        method=method,
        url=job.request.url,
        target=target,
        body=job.request.body.encode("utf-8"),
        static_headers=tuple(kept),
        dropped_headers=tuple(dropped),
    )
