"""The rate limiter: picks the policy and the key for a request, and asks the store.

Who is limited: a client by its id, an anonymous caller by its IP address (IPv6 callers by
their /64 network, since one host usually owns a whole /64). Which limit: the caller's tier
(unknown or unset: ``default_tier``; anonymous: ``anonymous_tier``), reads (GET, HEAD,
OPTIONS) and writes apart, and an API's override instead of the tier's limit where one is
configured. An overridden API has buckets of its own; its requests do not also count
against the caller's general limit.

When the shared store is unreachable the limiter follows ``on_store_error``:

- ``local`` (default): fail open to limits kept in this process's memory. The shared limit
  is not enforced (N gateway processes let through up to N times the limit) but no single
  caller can flood the backends, and Strata keeps serving. Rate limits protect capacity,
  they are not an access control, so an unavailable Redis should not take the API down.
- ``allow``: fail open entirely; every request is allowed.
- ``deny``: fail closed; every request is refused with 503 until the store answers.

Every such decision is marked ``degraded``, counted in
``strata_ratelimit_store_failures_total``, and the outage is logged once as a warning (and
its end once as info). After a failure the store is not asked again for
``store_retry_seconds``, so an outage costs no time per request.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import time
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache
from typing import get_args
from urllib.parse import quote

import structlog
from prometheus_client import CollectorRegistry

from gateway.ratelimit.config import Kind, RateLimitSettings
from gateway.ratelimit.memory import MemoryStore
from gateway.ratelimit.metrics import RateLimitMetrics
from gateway.ratelimit.policy import Decision, Policy
from gateway.ratelimit.redis_store import RedisStore
from gateway.ratelimit.store import Store, StoreUnavailable
from strata.errors import ConfigurationError

log = structlog.get_logger(__name__)

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
KINDS: tuple[Kind, ...] = get_args(Kind)
PolicyTable = dict[tuple[str | None, str, Kind], Policy]

_KIND_OF_METHOD: dict[str, Kind] = {
    method: "read" if method in READ_METHODS else "write"
    for method in ("GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE")
}
_MAX_CHOSEN = 4096
_SAFE_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
_IPV4 = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")


class RateLimiter:
    """Decides whether a request may pass. Call :meth:`check` once per request."""

    def __init__(
        self,
        settings: RateLimitSettings,
        store: Store,
        *,
        fallback: Store | None = None,
        metrics: RateLimitMetrics | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.store = store
        self.metrics = metrics or RateLimitMetrics()
        self._fallback = fallback or MemoryStore(max_keys=settings.memory_max_keys)
        self._clock = clock
        self._policies = compile_policies(settings)
        self._store_down_until: float | None = None
        self._unknown_tiers: set[str] = set()
        self._chosen: dict[tuple[Kind, str | None, str | None, bool], Policy] = {}
        self._memory_hit = store.hit_now if type(store) is MemoryStore else None

    async def check(
        self,
        method: str,
        *,
        client_id: str | None = None,
        tier: str | None = None,
        ip: str | None = None,
        api: str | None = None,
    ) -> Decision:
        """Counts this request and decides. ``client_id`` None means anonymous, limited by
        ``ip``; ``api`` is the gateway's id of the API called (for per-API overrides)."""
        kind = _KIND_OF_METHOD.get(method) or _kind(method)
        anonymous = client_id is None
        policy = self._chosen.get((kind, tier, api, anonymous))
        if policy is None:
            policy = self._choose(kind, tier, api, anonymous)
        if client_id is not None:
            identity = client_identity(client_id)
        else:
            identity = ip_identity(ip, self.settings.ipv6_prefix_length)
        key = policy.key_prefix + identity
        if self._store_down_until is None and self._memory_hit is not None:
            decision = self._memory_hit(key, policy)  # no await: nothing to wait for
        else:
            decision = await self._decide(key, policy)
        (self.metrics.allowed if decision.allowed else self.metrics.refused).inc()
        return decision

    def _choose(self, kind: Kind, tier: str | None, api: str | None, anonymous: bool) -> Policy:
        # Requests name few distinct (tier, API) pairs, so the choice is made once per pair;
        # the bound only matters against a flood of made-up names.
        if len(self._chosen) >= _MAX_CHOSEN:
            self._chosen.clear()
        policy = self.policy(kind, tier=tier, api=api, anonymous=anonymous)
        self._chosen[(kind, tier, api, anonymous)] = policy
        return policy

    def policy(
        self,
        kind: Kind,
        *,
        tier: str | None = None,
        api: str | None = None,
        anonymous: bool = False,
    ) -> Policy:
        """The policy that applies to a request of ``kind`` from ``tier`` to ``api``."""
        tier_name = self._tier(tier, anonymous)
        if api is not None:
            found = self._policies.get((api, tier_name, kind))
            if found is not None:
                return found
        return self._policies[(None, tier_name, kind)]

    def _tier(self, tier: str | None, anonymous: bool) -> str:
        if tier is not None and tier in self.settings.tiers:
            return tier
        if tier is not None and tier not in self._unknown_tiers:
            # Once per name: a client record naming a tier the settings lack is an
            # operator's mistake worth one line, not one per request.
            self._unknown_tiers.add(tier)
            log.warning(
                "unknown rate limit tier; using the default",
                tier=tier,
                default_tier=self.settings.default_tier,
            )
        return self.settings.anonymous_tier if anonymous else self.settings.default_tier

    async def _decide(self, key: str, policy: Policy) -> Decision:
        if self._store_down_until is not None and self._clock() < self._store_down_until:
            return await self._without_store(key, policy)
        try:
            decision = await self.store.hit(key, policy)
        except StoreUnavailable as exc:
            self._store_failed(exc)
            return await self._without_store(key, policy)
        if self._store_down_until is not None:
            self._store_down_until = None
            log.info("rate limit store answers again; limits are shared again")
        return decision

    def _store_failed(self, exc: StoreUnavailable) -> None:
        if self._store_down_until is None:
            log.warning(
                "rate limit store unreachable; deciding without it until it answers",
                error=str(exc),
                on_store_error=self.settings.on_store_error,
            )
        self._store_down_until = self._clock() + self.settings.store_retry_seconds

    async def _without_store(self, key: str, policy: Policy) -> Decision:
        self.metrics.store_failures.inc()
        mode = self.settings.on_store_error
        if mode == "local":
            return replace(await self._fallback.hit(key, policy), degraded=True)
        if mode == "allow":
            return Decision(True, policy.burst, policy.burst, 0.0, 0.0, policy, degraded=True)
        retry = self.settings.store_retry_seconds
        return Decision(False, policy.burst, 0, retry, retry, policy, degraded=True)

    async def aclose(self) -> None:
        await self.store.aclose()
        await self._fallback.aclose()


def compile_policies(settings: RateLimitSettings) -> PolicyTable:
    """Every (api or None, tier, kind) → its policy, so a check is one dict lookup.

    The key names the tier: an API registered with its own ``rate_tier`` counts a client's
    calls in a bucket of that tier, never in the same bucket under a different limit."""
    prefix = settings.key_prefix
    table: PolicyTable = {}
    for tier_name, limits in settings.tiers.items():
        for kind in KINDS:
            rate = limits.read if kind == "read" else limits.write
            table[(None, tier_name, kind)] = Policy.compile(
                f"{tier_name}.{kind}",
                kind,
                rate,
                f"{prefix}{kind}:t={quote(tier_name, safe='')}:",
            )
    for api, override in settings.apis.items():
        scope = f"{prefix}{{kind}}:api={quote(api, safe='')}:"
        for tier_name in settings.tiers:
            tier_override = override.tiers.get(tier_name)
            for kind in KINDS:
                chosen = (tier_override and tier_override.rate(kind)) or override.rate(kind)
                if chosen is not None:
                    table[(api, tier_name, kind)] = Policy.compile(
                        f"{tier_name}.{kind}@{api}",
                        kind,
                        chosen,
                        scope.format(kind=kind),
                    )
    return table


def _kind(method: str) -> Kind:
    return "read" if method.upper() in READ_METHODS else "write"


@lru_cache(maxsize=65536)
def client_identity(client_id: str) -> str:
    """The key part for a client; odd or long ids are hashed so keys stay short and unambiguous.
    Cached: the same few clients call again and again."""
    if _SAFE_ID.fullmatch(client_id):
        return "c:" + client_id
    return "c#" + hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def ip_identity(ip: str | None, ipv6_prefix_length: int = 64) -> str:
    """The key part for an anonymous caller: its IPv4 address or its IPv6 network."""
    if ip is None:
        return "ip:unknown"
    if _IPV4.fullmatch(ip):
        return "ip:" + ip
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return "ip#" + hashlib.sha256(ip.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return "ip:" + str(address.ipv4_mapped)
        network = ipaddress.IPv6Network((address, ipv6_prefix_length), strict=False)
        return "ip:" + network.with_prefixlen
    return "ip:" + str(address)


def build_limiter(
    settings: RateLimitSettings,
    redis_url: str | None,
    *,
    registry: CollectorRegistry | None = None,
) -> RateLimiter:
    """The limiter Strata runs: Redis-backed when ``redis_url`` (``STRATA_REDIS_URL``) is
    set, in memory otherwise. Close it with :meth:`RateLimiter.aclose`."""
    metrics = RateLimitMetrics(registry)
    if redis_url is None:
        return RateLimiter(
            settings, MemoryStore(max_keys=settings.memory_max_keys), metrics=metrics
        )
    try:
        store = RedisStore.from_url(
            redis_url,
            timeout=settings.redis_timeout_seconds,
            max_connections=settings.redis_max_connections,
        )
    except ValueError as exc:
        raise ConfigurationError(f"invalid setting STRATA_REDIS_URL: {exc}") from None
    return RateLimiter(settings, store, metrics=metrics)
