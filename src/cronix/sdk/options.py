"""The keyword options of ``cron.job()`` / ``cron.register()``, and the check that catches typos.

Python accepts any keyword into ``**options``, so a typo (``timezon="Europe/Berlin"``)
or a policy field given at the top level (``retries=5``) used to be dropped silently and
the job registered with the defaults — a UTC job, three attempts. Every option is now
checked against :class:`JobOptions` before the job is built: an unknown one is a
:class:`~cronix.sdk.errors.JobDefinitionError` naming it, with a "did you mean" when one
is close, or the ``policy={…}`` spelling when it is a policy field. Unknown fields *inside*
``policy`` are found by the manifest validator; :func:`near_field` adds the same hint to
those messages.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence  # noqa: TC003 (TypedDict fields, read at runtime)
from typing import TYPE_CHECKING, Any, TypedDict

from cronix.sdk.errors import JobDefinitionError

if TYPE_CHECKING:
    from collections.abc import Iterable

__all__ = ["JobOptions", "PolicySpec", "RetriesSpec", "check_options", "near_field"]


class RetriesSpec(TypedDict, total=False):
    max_attempts: int
    min_seconds: int
    max_seconds: int


class PolicySpec(TypedDict, total=False):
    concurrency: str
    concurrency_scope: str
    timeout_seconds: int
    retries: RetriesSpec
    jitter_seconds: int  # cronix extension (D-722): spread each fire over [0, N] seconds


class JobOptions(TypedDict, total=False):
    """Keyword options of :meth:`Cron.register` / :meth:`Cron.job` (manifest field names)."""

    schedule: str
    schedules: Sequence[str]
    timezone: str
    method: str
    headers: Mapping[str, str]
    body: str
    url: str  # overrides <base_url>/api/v1/scheduled/<name>
    policy: PolicySpec
    secret_refs: Sequence[str]
    enabled: bool  # cronix extension (D-720): False declares the job paused
    skip_verify: bool  # wins over the instance setting, both ways
    monitoring: Mapping[str, int]  # extension (D-700): start_grace_seconds, run_grace_seconds


OPTION_NAMES = frozenset(JobOptions.__optional_keys__)
POLICY_FIELDS = frozenset(PolicySpec.__optional_keys__)
RETRY_FIELDS = frozenset(RetriesSpec.__optional_keys__)
# Manifest spellings a caller may reach for at the top level.
_ELSEWHERE = {"tz": "timezone", "auth": "secret_refs", "secret": "secret_refs"}


def near(word: str, choices: Iterable[str]) -> str | None:
    """The choice closest to ``word`` (difflib's ratio ≥ 0.6), or None."""
    import difflib  # only when something is misspelt: registering a job stays cheap

    found = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return found[0] if found else None


def check_options(name: str, options: Mapping[str, Any]) -> None:
    """Raise :class:`JobDefinitionError` for the first option ``cron.job()`` does not know."""
    unknown = sorted(key for key in options if key not in OPTION_NAMES)
    if not unknown:
        return
    key = unknown[0]
    if key in POLICY_FIELDS:
        hint = f"; it belongs in policy: policy={{{key!r}: …}}"
    elif key in RETRY_FIELDS:
        hint = f"; it belongs in policy: policy={{'retries': {{{key!r}: …}}}}"
    else:
        close = _ELSEWHERE.get(key) or near(key, OPTION_NAMES)
        hint = f"; did you mean {close}=?" if close else ""
    known = ", ".join(sorted(OPTION_NAMES))
    raise JobDefinitionError(name, f"cronix: unknown option {key}= for job {name}{hint} (options: {known})")


def near_field(path: Sequence[str]) -> str:
    """``; did you mean X?`` for an unknown field at ``policy/…`` or ``policy/retries/…``, else ''."""
    if len(path) == 2 and path[0] == "policy":
        fields: frozenset[str] = POLICY_FIELDS
    elif len(path) == 3 and path[:2] == ("policy", "retries"):
        fields = RETRY_FIELDS
    else:
        return ""
    close = near(path[-1], fields)
    return f"; did you mean {close}?" if close else ""
