"""The gateway's rate limiter: GCRA per caller, by tier, reads and writes apart, per-API
overrides, in memory or shared through Redis with one behaviour.

The gateway calls it once per proxied request, after the token check::

    limiter = build_limiter(settings.rate_limits, settings.redis_url)
    ...
    decision = await limiter.check(
        scope["method"], client_id=token.client_id, tier=client.tier,
        ip=scope["client"][0] if scope.get("client") else None, api=route.api_id,
    )
    if not decision.allowed:
        await refusal_response(decision, scope["path"])(scope, receive, send)
        return
    extra_headers = rate_limit_header_list(decision)  # added to the proxied response
    ...
    await limiter.aclose()  # at shutdown
"""

from gateway.ratelimit.config import (
    ApiOverride,
    LimitOverride,
    Rate,
    RateLimitSettings,
    TierLimits,
)
from gateway.ratelimit.limiter import READ_METHODS, RateLimiter, build_limiter
from gateway.ratelimit.memory import MemoryStore
from gateway.ratelimit.metrics import RateLimitMetrics
from gateway.ratelimit.policy import Decision, Policy
from gateway.ratelimit.redis_store import RedisStore
from gateway.ratelimit.responses import (
    rate_limit_header_list,
    rate_limit_headers,
    refusal_body,
    refusal_problem,
    refusal_response,
)
from gateway.ratelimit.store import Store, StoreUnavailable

__all__ = [
    "READ_METHODS",
    "ApiOverride",
    "Decision",
    "LimitOverride",
    "MemoryStore",
    "Policy",
    "Rate",
    "RateLimitMetrics",
    "RateLimitSettings",
    "RateLimiter",
    "RedisStore",
    "Store",
    "StoreUnavailable",
    "TierLimits",
    "build_limiter",
    "rate_limit_header_list",
    "rate_limit_headers",
    "refusal_body",
    "refusal_problem",
    "refusal_response",
]
