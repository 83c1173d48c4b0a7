"""Rate limit settings: the rate syntax, the tiers, the overrides, and reading them from env."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from gateway.ratelimit import (
    MemoryStore,
    Rate,
    RateLimitSettings,
    RedisStore,
    build_limiter,
)
from gateway.ratelimit.limiter import client_identity, compile_policies, ip_identity
from strata.errors import ConfigurationError


@pytest.mark.parametrize(
    ("text", "requests", "period", "burst"),
    [
        ("60/min", 60, 60.0, 60),
        ("100/30s", 100, 30.0, 100),
        ("5/second burst 10", 5, 1.0, 10),
        ("1/d", 1, 86400.0, 1),
        ("3 / 1.5 hours  BURST 2", 3, 5400.0, 2),
    ],
)
def test_rates_are_written_as_text(text: str, requests: int, period: float, burst: int) -> None:
    rate = Rate.model_validate(text)

    assert (rate.requests, rate.period_seconds, rate.effective_burst) == (requests, period, burst)


def test_rate_describes_itself() -> None:
    assert str(Rate.model_validate("60/min burst 20")) == "60/min burst 20"
    assert Rate.model_validate("100/30s").sustained == "100/30s"
    assert Rate(requests=10, period_seconds=1).interval_us == 100_000


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("sixty a minute", "is not a rate"),
        ("10/fortnight", "is not a rate"),
        ("0/min", "greater than or equal to 1"),
        ("10/min burst 0", "greater than or equal to 1"),
        ("2000000/s", "1,000,000 requests per second"),
        ("1/day burst 1000", "at most one year"),
        ({"requests": 10}, "period_seconds"),
        ({"requests": "ten", "period_seconds": 1}, "requests"),
        ({"requests": 1, "period_seconds": 1, "bursts": 3}, "bursts"),
    ],
)
def test_bad_rates_are_refused_with_the_reason(value: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Rate.model_validate(value)


def test_a_bad_rate_in_the_environment_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_RATE_LIMITS__TIERS__FREE__READ", "lots")

    with pytest.raises(ValidationError, match=r"rate_limits\.tiers\.free\.read"):
        _Settings()


def test_default_tiers_are_sane() -> None:
    settings = RateLimitSettings()

    assert set(settings.tiers) == {"free", "standard", "premium"}
    reads = [settings.tiers[name].read for name in ("free", "standard", "premium")]
    assert reads[0].interval_us > reads[1].interval_us > reads[2].interval_us
    for tier in settings.tiers.values():
        assert tier.write.interval_us > tier.read.interval_us
        assert tier.write.effective_burst <= tier.read.effective_burst
    assert settings.anonymous_tier == "free"


def test_given_tiers_are_merged_over_the_defaults() -> None:
    settings = RateLimitSettings(
        tiers={
            "free": {"read": "5/s"},
            "partner": {
                "read": "50/s",
                "write": "10/s",
            },
        }
    )

    assert settings.tiers["free"].read == Rate.model_validate("5/s")
    assert settings.tiers["free"].write == RateLimitSettings().tiers["free"].write
    assert {"standard", "premium", "partner"} <= set(settings.tiers)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"anonymous_tier": "gold"}, "anonymous_tier: unknown tier 'gold'"),
        ({"default_tier": "gold"}, "default_tier: unknown tier 'gold'"),
        ({"apis": {"crm": {"tiers": {"gold": {"read": "1/s"}}}}}, "apis.crm.tiers: unknown tier"),
        ({"tiers": {"partner": {"read": "1/s"}}}, "tiers.partner.write"),
        ({"apis": {"crm": {"read": "fast"}}}, "is not a rate"),
        ({"on_store_error": "panic"}, "on_store_error"),
        ({"color": "blue"}, "color"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        RateLimitSettings.model_validate(settings)


class _Settings(BaseSettings):
    """Stands in for ``strata.settings.Settings``, which nests these as ``rate_limits``."""

    model_config = SettingsConfigDict(env_prefix="STRATA_", env_nested_delimiter="__")

    rate_limits: RateLimitSettings = RateLimitSettings()


def test_settings_come_from_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_RATE_LIMITS__TIERS__FREE__READ", "5/s burst 7")
    monkeypatch.setenv("STRATA_RATE_LIMITS__APIS__CRM__WRITE", "1/s")
    as_json = '{"requests": 2, "period_seconds": 1}'
    monkeypatch.setenv("STRATA_RATE_LIMITS__TIERS__FREE__WRITE", as_json)
    monkeypatch.setenv("STRATA_RATE_LIMITS__APIS__ERP", '{"read": "9/min", "tiers": {}}')
    monkeypatch.setenv("STRATA_RATE_LIMITS__ON_STORE_ERROR", "deny")

    settings = _Settings().rate_limits

    assert str(settings.tiers["free"].read) == "5/s burst 7"
    assert str(settings.tiers["free"].write) == "2/s burst 2"
    assert settings.tiers["standard"] == RateLimitSettings().tiers["standard"]
    assert settings.apis["crm"].write == Rate.model_validate("1/s")
    assert settings.apis["erp"].read == Rate.model_validate("9/min")
    assert settings.on_store_error == "deny"


def test_policies_are_compiled_per_api_tier_and_kind() -> None:
    settings = RateLimitSettings(
        apis={
            "system/crm/v1": {
                "write": "1/s",
                "tiers": {"premium": {"read": "100/s"}},
            }
        }
    )
    table = compile_policies(settings)

    assert table[(None, "free", "read")].key_prefix == "strata:rl:read:t=free:"
    # Two tiers never share a bucket: a route's own rate_tier counts apart from the client's.
    assert table[(None, "premium", "read")].key_prefix != table[(None, "free", "read")].key_prefix
    assert table[("system/crm/v1", "free", "write")].key_prefix == (
        "strata:rl:write:api=system%2Fcrm%2Fv1:"
    )
    assert table[("system/crm/v1", "premium", "read")].burst == 100
    assert ("system/crm/v1", "free", "read") not in table


def test_identities_are_unambiguous_key_parts() -> None:
    assert client_identity("app-1") == "c:app-1"
    assert client_identity("a:b").startswith("c#")
    assert client_identity("a:b") != client_identity("a/b")
    assert ip_identity("203.0.113.7") == "ip:203.0.113.7"
    assert ip_identity("2001:db8::1") == "ip:2001:db8::/64"
    assert ip_identity("2001:db8::1", 128) == "ip:2001:db8::1/128"
    assert ip_identity("::ffff:203.0.113.7") == "ip:203.0.113.7"
    assert ip_identity(None) == "ip:unknown"
    assert ip_identity("not an address").startswith("ip#")


async def test_build_limiter_picks_the_store_from_the_redis_url() -> None:
    memory = build_limiter(RateLimitSettings(), None)
    redis = build_limiter(RateLimitSettings(), "redis://127.0.0.1:6379/0")
    try:
        assert isinstance(memory.store, MemoryStore)
        assert isinstance(redis.store, RedisStore)
    finally:
        await memory.aclose()
        await redis.aclose()


def test_build_limiter_refuses_a_url_that_is_not_redis() -> None:
    with pytest.raises(ConfigurationError, match="STRATA_REDIS_URL"):
        build_limiter(RateLimitSettings(), "http://127.0.0.1:6379")
