"""Rate limit settings: tiers with read and write rates and bursts, and per-API overrides.

A rate is written either as a mapping (``{"requests": 60, "period_seconds": 60, "burst": 20}``)
or as a short string, which is handy in environment variables::

    STRATA_RATE_LIMITS__TIERS__FREE__READ="60/min burst 20"
    STRATA_RATE_LIMITS__APIS__CRM__WRITE="10/s"

``requests`` per ``period_seconds`` is the sustained rate; ``burst`` is how many requests a
client with an idle history may send at once (default: ``requests``). Tiers given in settings
are merged over the default tiers, field by field, so one value can be changed alone.
"""

from __future__ import annotations

import json
import math
import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_settings import NoDecode

MICROSECONDS = 1_000_000
# Every time in the algorithm is whole microseconds, so Lua (doubles) and Python (ints) agree
# exactly; a window must stay far below 2**53 µs.
MAX_WINDOW_SECONDS = 366 * 24 * 3600

_UNITS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
}
_RATE_TEXT = re.compile(
    r"^\s*(?P<requests>\d+)\s*/\s*(?P<count>\d+(?:\.\d+)?)?\s*(?P<unit>[a-z]+)"
    r"(?:\s+burst\s+(?P<burst>\d+))?\s*$",
    re.IGNORECASE,
)

Kind = Literal["read", "write"]
StoreErrorMode = Literal["local", "allow", "deny"]


def parse_rate(text: str) -> dict[str, Any]:
    """``"60/min"``, ``"100/30s"``, ``"5/second burst 10"`` → the fields of a :class:`Rate`."""
    match = _RATE_TEXT.match(text)
    unit = match and _UNITS.get(match["unit"].lower())
    if not match or not unit:
        raise ValueError(
            f"{text!r} is not a rate; write e.g. '60/min', '100/30s' or '5/s burst 10'"
        )
    fields: dict[str, Any] = {
        "requests": int(match["requests"]),
        "period_seconds": float(match["count"] or 1) * unit,
    }
    if match["burst"]:
        fields["burst"] = int(match["burst"])
    return fields


class Rate(BaseModel):
    """``requests`` per ``period_seconds`` sustained, up to ``burst`` at once."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    requests: Annotated[int, Field(ge=1, le=1_000_000_000)]
    period_seconds: Annotated[float, Field(gt=0, le=MAX_WINDOW_SECONDS)]
    burst: Annotated[int | None, Field(ge=1, le=1_000_000_000)] = None

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value) if value.lstrip().startswith("{") else parse_rate(value)
        return value

    @model_validator(mode="after")
    def _representable(self) -> Rate:
        if self.interval_us < 1:
            raise ValueError("a rate may not exceed 1,000,000 requests per second")
        if self.interval_us * self.effective_burst > MAX_WINDOW_SECONDS * MICROSECONDS:
            raise ValueError(
                "burst x (period_seconds / requests) must be at most one year; "
                "lower the burst or raise the rate"
            )
        return self

    @property
    def effective_burst(self) -> int:
        return self.burst if self.burst is not None else self.requests

    @property
    def interval_us(self) -> int:
        """The emission interval: one request's share of the period, in whole microseconds."""
        return round(self.period_seconds * MICROSECONDS / self.requests)

    @property
    def sustained(self) -> str:
        """The sustained rate as text, e.g. ``60/min``."""
        return f"{self.requests}/{_format_period(self.period_seconds)}"

    def __str__(self) -> str:
        return f"{self.sustained} burst {self.effective_burst}"


def _format_period(seconds: float) -> str:
    for name, size in (("day", 86400), ("hour", 3600), ("min", 60)):
        if seconds == size:
            return name
    if math.isclose(seconds, round(seconds)):
        return "s" if round(seconds) == 1 else f"{round(seconds)}s"
    return f"{seconds:g}s"


# Settings sources leave a rate's text to the validator instead of decoding it as JSON.
RateSetting = Annotated[Rate, NoDecode]


class TierLimits(BaseModel):
    """The limits of one tier: reads (GET, HEAD, OPTIONS) and writes are counted apart."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: RateSetting
    write: RateSetting


class LimitOverride(BaseModel):
    """Replaces the read and/or the write limit; an unset one keeps the tier's limit."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read: RateSetting | None = None
    write: RateSetting | None = None

    def rate(self, kind: Kind) -> Rate | None:
        return self.read if kind == "read" else self.write


class ApiOverride(LimitOverride):
    """Limits for one API: ``read``/``write`` apply to every tier, ``tiers`` to named tiers
    (a tier's entry wins over the API-wide one)."""

    tiers: dict[str, LimitOverride] = {}


def default_tiers() -> dict[str, TierLimits]:
    return {
        "free": TierLimits(
            read=Rate.model_validate("60/min burst 20"), write=Rate.model_validate("20/min burst 5")
        ),
        "standard": TierLimits(
            read=Rate.model_validate("600/min burst 100"),
            write=Rate.model_validate("120/min burst 30"),
        ),
        "premium": TierLimits(
            read=Rate.model_validate("6000/min burst 1000"),
            write=Rate.model_validate("1200/min burst 200"),
        ),
    }


class RateLimitSettings(BaseModel):
    """How the gateway limits callers. Nested in the Strata settings as ``rate_limits``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tiers: dict[str, TierLimits] = Field(default_factory=default_tiers)
    anonymous_tier: str = "free"
    default_tier: str = "standard"
    apis: dict[str, ApiOverride] = {}
    key_prefix: Annotated[str, Field(min_length=1, max_length=64)] = "strata:rl:"
    ipv6_prefix_length: Annotated[int, Field(ge=1, le=128)] = 64
    on_store_error: StoreErrorMode = "local"
    store_retry_seconds: Annotated[float, Field(gt=0, le=300)] = 1.0
    redis_timeout_seconds: Annotated[float, Field(gt=0, le=30)] = 0.25
    redis_max_connections: Annotated[int, Field(ge=1, le=10_000)] = 64
    memory_max_keys: Annotated[int, Field(ge=1)] = 1_000_000

    @model_validator(mode="before")
    @classmethod
    def _merge_tiers_over_defaults(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("tiers"), dict):
            return value
        merged: dict[str, Any] = {name: tier.model_dump() for name, tier in default_tiers().items()}
        for name, given in value["tiers"].items():
            base = merged.get(name, {})
            if isinstance(given, TierLimits):
                given = {"read": given.read, "write": given.write}
            merged[name] = {**base, **given} if isinstance(given, dict) else given
        return {**value, "tiers": merged}

    @model_validator(mode="after")
    def _tiers_named_exist(self) -> RateLimitSettings:
        known = ", ".join(sorted(self.tiers))
        named = [("anonymous_tier", self.anonymous_tier), ("default_tier", self.default_tier)]
        for api, override in self.apis.items():
            named.extend((f"apis.{api}.tiers", tier) for tier in override.tiers)
        for where, tier in named:
            if tier not in self.tiers:
                raise ValueError(f"{where}: unknown tier {tier!r} (known tiers: {known})")
        return self
