"""A fire token that passed verification: the value :class:`~cronix.sdk.JobContext` carries.

Its own module, below both the verifier and the context, so neither imports the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Mapping

__all__ = ["FireToken", "Profile"]

#: Which token profile verified a fire (``spec/DECISIONS.md`` D-504, D-506).
Profile = Literal["cronix", "google-oidc"]


@dataclass(frozen=True, slots=True)
class FireToken:
    """A fire token that passed: who signed it (``kid``) and what it says."""

    kid: str
    algorithm: str
    claims: Mapping[str, Any] = field(repr=False)
    fire_id: str
    run_id: str
    attempt: int
    profile: Profile = "cronix"
