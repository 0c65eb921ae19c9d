"""Choosing the fire strategy of every job: the pure decision, then the real CLI on crontab."""

from __future__ import annotations

import json

import pytest

from cronix.config import FireConfig, parse_config
from cronix.errors import ConfigError
from cronix.reconcile.strategies import (
    FireSelection,
    StrategyError,
    StrategyRequest,
    choose_strategies,
)
from tests.reconcile.conftest import Host, job

BOTH = frozenset({"local-shim", "managed-jwt"})
SHIM = frozenset({"local-shim"})
MANAGED = frozenset({"managed-jwt"})


def choose(names: tuple[str, ...] = ("a", "b"), **kw: object) -> tuple[str, dict[str, str], tuple[str, ...]]:
    request = StrategyRequest(**{"backend": "x", "supported": BOTH, **kw})  # type: ignore[arg-type]
    choice = choose_strategies(request, names)
    return choice.strategy, {j: choice.for_job(j) for j in names}, choice.degraded


def test_nothing_asked_is_local_shim() -> None:
    assert choose() == ("local-shim", {"a": "local-shim", "b": "local-shim"}, ())


def test_a_backend_without_local_shim_defaults_to_its_only_strategy() -> None:
    assert choose(supported=MANAGED)[0] == "managed-jwt"


def test_a_backend_with_several_strategies_but_no_shim_needs_a_choice() -> None:
    with pytest.raises(StrategyError, match="choose a fire strategy"):
        choose(supported=frozenset({"managed-jwt", "other"}))


def test_per_backend_and_per_job_choices() -> None:
    strategy, per_job, degraded = choose(strategy="managed-jwt", jobs={"b": "local-shim"})
    assert (strategy, per_job, degraded) == ("managed-jwt", {"a": "managed-jwt", "b": "local-shim"}, ())


@pytest.mark.parametrize(
    ("kw", "fragment"),
    [
        ({"strategy": "bogus"}, 'unknown fire strategy "bogus"'),
        ({"jobs": {"a": "bogus"}}, 'unknown fire strategy "bogus" in the fire strategy of job a'),
        ({"fallback": "managed-jwt"}, 'fallback must be "local-shim"'),
        (
            {"supported": SHIM, "strategy": "managed-jwt"},
            "backend x does not support managed-jwt (it supports: local-shim)",
        ),
        (
            {"strategy": "managed-jwt", "unavailable": {"managed-jwt": "no issuer key configured"}},
            "managed-jwt is not available on backend x: no issuer key configured",
        ),
    ],
)
def test_refusals_name_the_strategy(kw: dict[str, object], fragment: str) -> None:
    with pytest.raises(StrategyError) as info:
        choose(**kw)
    assert fragment in str(info.value)
    assert info.value.exit_code == 2


def test_unusable_without_fallback_says_how_to_degrade() -> None:
    with pytest.raises(StrategyError, match="set fallback: local-shim"):
        choose(supported=SHIM, strategy="managed-jwt")


def test_explicit_fallback_degrades_loudly() -> None:
    strategy, per_job, degraded = choose(supported=SHIM, strategy="managed-jwt", fallback="local-shim")
    assert (strategy, per_job) == ("local-shim", {"a": "local-shim", "b": "local-shim"})
    assert degraded == (
        "DEGRADED: 2 job(s) (a, b) fire with local-shim instead of managed-jwt: backend x does not support "
        "managed-jwt (it supports: local-shim) (fallback: local-shim)",
    )


def test_fallback_only_degrades_the_jobs_that_need_it() -> None:
    request = StrategyRequest("x", SHIM, None, {"b": "managed-jwt"}, "local-shim")
    choice = choose_strategies(request, ["a", "b"])
    assert (choice.for_job("a"), choice.for_job("b")) == ("local-shim", "local-shim")
    assert len(choice.degraded) == 1 and "(b)" in choice.degraded[0]
    assert choice.summary == "local-shim (DEGRADED)"


def test_fallback_cannot_help_a_backend_without_local_shim() -> None:
    with pytest.raises(StrategyError, match="job a: fire strategy managed-jwt cannot be used"):
        choose(
            supported=MANAGED,
            strategy="managed-jwt",
            fallback="local-shim",
            unavailable={"managed-jwt": "token missing"},
        )


def test_selection_from_config_flags_win() -> None:
    fire = FireConfig(
        strategy="local-shim",
        backends={"managed": "managed-jwt"},
        jobs={"billing.x": "local-shim", "other.y": "managed-jwt"},
    )
    selection = FireSelection.from_config(fire, "managed", "billing")
    assert selection == FireSelection("managed-jwt", None, {"x": "local-shim"})
    assert FireSelection.from_config(fire, "crontab", "billing").strategy == "local-shim"
    flagged = FireSelection.from_config(
        fire, "managed", "billing", strategy="local-shim", fallback="local-shim"
    )
    assert (flagged.strategy, flagged.fallback) == ("local-shim", "local-shim")


def test_config_section_is_strict() -> None:
    assert parse_config("fire: {strategy: managed-jwt, fallback: local-shim}\n").fire.fallback == "local-shim"
    with pytest.raises(ConfigError, match=r"fire\.fallback: must be one of"):
        parse_config("fire: {fallback: crontab}\n")
    with pytest.raises(ConfigError, match=r"fire\.bogus: unknown key"):
        parse_config("fire: {bogus: 1}\n")


# ---------------------------------------------------------------------- through the CLI


def test_plan_and_apply_refuse_an_unsupported_strategy_with_exit_2(host: Host) -> None:
    manifest = host.manifest("billing", job("ping"))
    for run in (host.plan, host.apply):
        result = run(manifest, "--fire-strategy", "managed-jwt")
        assert result.code == 2, result.err
        assert "fire strategy managed-jwt cannot be used" in result.err
        assert "backend crontab does not support managed-jwt" in result.err
    assert not host.crontab.exists()  # nothing was written


def test_an_unknown_strategy_in_cronix_yaml_is_exit_2(host: Host) -> None:
    config = host.root / "cronix.yaml"
    config.write_text("fire:\n  strategy: carrier-pigeon\n")
    result = host.apply(host.manifest("billing", job("ping")), "--config", str(config))
    assert result.code == 2
    assert 'unknown fire strategy "carrier-pigeon"' in result.err


def test_fallback_applies_and_prints_degraded_on_every_run(host: Host) -> None:
    manifest = host.manifest("billing", job("ping"))
    flags = ("--fire-strategy", "managed-jwt", "--fire-fallback", "local-shim", "--secret-ref", "env:S")
    first = host.apply(manifest, *flags)
    assert first.code == 0, first.err
    assert (
        "cronix: warning: DEGRADED: 1 job(s) (ping) fire with local-shim instead of managed-jwt" in first.err
    )
    assert "trigger billing.ping" in host.crontab.read_text()
    again = host.plan(manifest, "--fire-strategy", "managed-jwt", "--fire-fallback", "local-shim")
    assert again.code == 0 and "DEGRADED" in again.err
    doc = host.plan(
        manifest, "--fire-strategy", "managed-jwt", "--fire-fallback", "local-shim", "-o", "json"
    ).json()
    assert any(w.startswith("DEGRADED:") for w in doc["warnings"])
    applied = host.apply(manifest, *flags, "-o", "json").json()
    assert applied["fire"]["strategy"] == "local-shim"
    assert json.dumps(applied["fire"]["degraded"]).count("DEGRADED") == 1


def test_global_status_shows_the_strategies_and_the_degradation(host: Host) -> None:
    cfg = host.root / "cronix.yaml"
    cfg.write_text(
        f"spec_dir: {host.spec_dir}\nbackends:\n  crontab:\n    path: {host.crontab}\n"
        "fire:\n  strategy: managed-jwt\n  fallback: local-shim\n"
    )
    manifest = host.manifest("billing", job("ping"))
    assert host.apply(manifest, "--config", str(cfg), "--secret-ref", "env:S").code == 0
    rows = host.run("global-status", "--config", str(cfg), "-o", "json").json()["backends"]
    assert rows[0]["fire"]["strategies"] == ["local-shim"]
    assert rows[0]["fire"]["degraded"][0].startswith(
        "billing: DEGRADED: 1 job(s) (ping) fire with local-shim"
    )
    table = host.run("global-status", "--config", str(cfg))
    assert "DEGRADED" in table.out and "cronix: warning: crontab: billing: DEGRADED" in table.err
