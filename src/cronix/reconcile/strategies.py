"""How each job fires: choosing the fire strategy, purely and offline (DESIGN §6, D-508).

The backend decides where a schedule lives; the fire strategy decides how the job is
invoked — ``local-shim`` (the entry runs ``cronix trigger``, HMAC-signed) or
``managed-jwt`` (a managed scheduler calls the app with a fire token). Backends declare
what they can host (``Backend.fire_strategies``; plugins in GetMetadata); the operator
asks per backend and optionally per job (``cronix.yaml`` ``fire:``, ``--fire-strategy``).

:func:`choose_strategies` turns the request into a strategy per job, or refuses:

* a name that is not a strategy, a strategy the backend does not support, or one its
  configuration makes unavailable (offline checks only: configuration, never the
  network) is a :class:`StrategyError` (exit 2) naming it — a reconciler never silently
  changes how production jobs fire;
* unless the operator set ``fallback: local-shim`` and the backend can fire that way: the
  job then fires with ``local-shim`` and the choice carries a loud ``DEGRADED`` message
  that ``plan``/``apply`` print on every run (and ``global-status`` shows);
* with nothing asked, a job fires with ``local-shim`` — or, on a backend that cannot
  (a managed scheduler), with the one strategy the backend has, which changes nothing
  about how its jobs fire; a backend with several and no ``local-shim`` needs a choice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from cronix.backends.base import FIRE_STRATEGIES, LOCAL_SHIM
from cronix.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from cronix.backends.base import Backend
    from cronix.config import FireConfig

__all__ = [
    "FireSelection",
    "StrategyChoice",
    "StrategyError",
    "StrategyRequest",
    "SupportsStrategyCheck",
    "choose_strategies",
]


class StrategyError(UsageError):
    """The fire strategy asked for cannot be used (exit 2); the message names it."""


@dataclass(frozen=True, slots=True)
class StrategyRequest:
    """What the operator asked of one backend, and what the backend can do.

    ``strategy`` applies to every job of the backend unless ``jobs`` names the job;
    ``None`` means "not asked". ``unavailable`` maps a strategy the backend supports to
    why its configuration cannot use it here.
    """

    backend: str
    supported: frozenset[str]
    strategy: str | None = None
    jobs: Mapping[str, str] = field(default_factory=dict)
    fallback: str | None = None
    unavailable: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class SupportsStrategyCheck(Protocol):
    """Optional on a backend: which of its strategies its configuration cannot use, and why.

    Offline only — configuration present, a key file readable — never a network call.
    """

    def unavailable_strategies(self) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class FireSelection:
    """What the operator asked, before the backend is known: from cronix.yaml and flags."""

    strategy: str | None = None
    fallback: str | None = None
    jobs: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_config(
        cls,
        fire: FireConfig,
        backend: str,
        app: str,
        *,
        strategy: str | None = None,
        fallback: str | None = None,
    ) -> FireSelection:
        """``--fire-strategy``/``--fire-fallback`` → ``fire.backends.<backend>`` → ``fire.strategy``.

        Per-job entries (``fire.jobs``, keyed ``<app>.<job>``) of other apps are ignored.
        """
        chosen = strategy or fire.backends.get(backend) or fire.strategy or None
        prefix = f"{app}."
        jobs = {key[len(prefix) :]: value for key, value in fire.jobs.items() if key.startswith(prefix)}
        return cls(chosen, fallback or fire.fallback or None, jobs)

    def for_backend(self, backend: Backend) -> StrategyRequest:
        unavailable = backend.unavailable_strategies() if isinstance(backend, SupportsStrategyCheck) else {}
        return StrategyRequest(
            backend.name,
            frozenset(backend.fire_strategies),
            self.strategy,
            self.jobs,
            self.fallback,
            unavailable,
        )


@dataclass(frozen=True, slots=True)
class StrategyChoice:
    """The strategy of every job, and the degradations to print loudly."""

    strategy: str
    jobs: Mapping[str, str] = field(default_factory=dict)
    degraded: tuple[str, ...] = ()

    def for_job(self, name: str) -> str:
        return self.jobs.get(name, self.strategy)

    def as_json(self) -> dict[str, object]:
        return {"strategy": self.strategy, "jobs": dict(self.jobs), "degraded": list(self.degraded)}

    @property
    def summary(self) -> str:
        """One line for ``plan`` headers and ``global-status``: the strategies, and DEGRADED."""
        used = sorted({self.strategy, *self.jobs.values()})
        return ", ".join(used) + (" (DEGRADED)" if self.degraded else "")


def _known(name: str, what: str) -> None:
    if name not in FIRE_STRATEGIES:
        raise StrategyError(f'unknown fire strategy "{name}" in {what} (known: {", ".join(FIRE_STRATEGIES)})')


def _default(request: StrategyRequest) -> str:
    if LOCAL_SHIM in request.supported:
        return LOCAL_SHIM
    if len(request.supported) == 1:
        return next(iter(request.supported))
    offered = ", ".join(sorted(request.supported)) or "none"
    raise StrategyError(
        f"backend {request.backend} cannot fire with {LOCAL_SHIM}; choose a fire strategy "
        f"(it supports: {offered}) with --fire-strategy or fire.strategy in cronix.yaml"
    )


def _problem(request: StrategyRequest, strategy: str) -> str | None:
    """Why ``strategy`` cannot be used on this backend, or ``None``."""
    if strategy not in request.supported:
        offered = ", ".join(sorted(request.supported)) or "none"
        return f"backend {request.backend} does not support {strategy} (it supports: {offered})"
    reason = request.unavailable.get(strategy)
    if reason:
        return f"{strategy} is not available on backend {request.backend}: {reason}"
    return None


def choose_strategies(request: StrategyRequest, jobs: Iterable[str]) -> StrategyChoice:
    """The strategy per job of ``jobs`` (job names of one app), or :class:`StrategyError`."""
    if request.strategy is not None:
        _known(request.strategy, "the backend's fire strategy")
    for job, strategy in request.jobs.items():
        _known(strategy, f"the fire strategy of job {job}")
    if request.fallback is not None and request.fallback != LOCAL_SHIM:
        raise StrategyError(f'fire fallback must be "{LOCAL_SHIM}" or unset, got "{request.fallback}"')
    wanted_default = request.strategy if request.strategy is not None else _default(request)
    chosen: dict[str, str] = {}
    degraded: dict[tuple[str, str], list[str]] = {}
    names = list(jobs)
    for name in names:
        wanted = request.jobs.get(name, wanted_default)
        problem = _problem(request, wanted)
        if problem is None:
            chosen[name] = wanted
            continue
        if request.fallback == LOCAL_SHIM and _problem(request, LOCAL_SHIM) is None:
            chosen[name] = LOCAL_SHIM
            degraded.setdefault((wanted, problem), []).append(name)
            continue
        hint = (
            ""
            if request.fallback
            else f"; set fallback: {LOCAL_SHIM} to fire with {LOCAL_SHIM} instead, loudly"
        )
        raise StrategyError(f"job {name}: fire strategy {wanted} cannot be used: {problem}{hint}")
    base = wanted_default
    base_problem = _problem(request, wanted_default)
    if base_problem is not None:
        if request.fallback == LOCAL_SHIM and _problem(request, LOCAL_SHIM) is None:
            base = LOCAL_SHIM
        elif not names:
            raise StrategyError(f"fire strategy {wanted_default} cannot be used: {base_problem}")
        else:  # every job has a usable strategy of its own
            base = next(iter(chosen.values()))
    messages = tuple(
        f"DEGRADED: {len(who)} job(s) ({', '.join(who)}) fire with {LOCAL_SHIM} instead of {wanted}: "
        f"{problem} (fallback: {LOCAL_SHIM})"
        for (wanted, problem), who in degraded.items()
    )
    return StrategyChoice(base, {n: s for n, s in chosen.items() if s != base}, messages)
