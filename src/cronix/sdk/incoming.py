"""The one request shape the SDK core understands, built by each adapter from its framework.

Two paths matter and they are different on purpose:

* ``target`` — the path-and-query exactly as the client sent it. It is what the trigger
  signed (DESIGN §3 item 11), so it is what the signature is checked against, byte for
  byte, with no decoding or normalization.
* ``route`` — the decoded path *relative to where the SDK is mounted*, without the query.
  It is only used to find the manifest and the job name. An app mounted under ``/cron``
  receives ``target="/cron/api/v1/scheduled/x?a=1"`` and ``route="/api/v1/scheduled/x"``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

__all__ = ["CronRequest", "lower_headers"]


def lower_headers(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; when a name repeats, the first value wins."""
    out: dict[str, str] = {}
    for name, value in pairs:
        out.setdefault(name.lower(), value)
    return out


@dataclass(frozen=True, slots=True)
class CronRequest:
    """An incoming request: method, signed target, raw body bytes, lower-cased headers, route."""

    method: str
    target: str
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    route: str = ""

    def __post_init__(self) -> None:
        if not self.route:
            # Without an adapter's help the route is the target's path part.
            object.__setattr__(self, "route", self.target.partition("?")[0])

    @classmethod
    def build(
        cls,
        method: str,
        target: str,
        body: bytes = b"",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        route: str = "",
    ) -> CronRequest:
        """A request from loose parts: any header casing, pairs or a mapping."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(method, target, body, lower_headers(pairs), route)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())
