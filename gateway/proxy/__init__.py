"""The gateway's data path: routing, token and scope checks, rate limits and forwarding.

Build it with the route table holder, the gateway's own app as the fallback, and the hooks::

    registry = CollectorRegistry()
    metrics = ProxyMetrics(registry)
    data_path = GatewayDataPath(
        holder,                     # gateway.routes.RouteTableHolder, kept current by the registry
        gateway_app,                # /oauth, /admin, /apis, /docs, /healthz, /metrics ...
        authenticate=verify_token,  # async (headers) -> Identity; raises strata.errors.Problem
        limit=rate_limit,           # async (identity | ip, route, method) -> LimitDecision
        metrics=metrics,
        inproc_apps={"inproc://system/crm": crm_api, ...},
        settings=ProxySettings(max_body_bytes=settings.max_body_bytes),
    )
    app = RequestContextMiddleware(data_path)   # request id and traceparent, outermost

    # in the gateway app's lifespan (also done automatically when lifespan events pass
    # through the data path): await data_path.start() ... await data_path.aclose()
    # at /metrics: metrics.asgi_app(), or metrics.render() -> (body, content_type)

A route with neither a read nor a write scope is public: anonymous callers are let through
and rate limited by IP (a token, when sent, is still checked). Any other route needs a
token, and the scope for the method when the route names one.
"""

from gateway.proxy.app import GatewayDataPath
from gateway.proxy.breaker import BreakerState, CircuitBreaker
from gateway.proxy.config import ProxySettings
from gateway.proxy.hooks import (
    ALLOWED,
    Authenticate,
    Caller,
    Identity,
    Limit,
    LimitDecision,
    StaticTokens,
    Verdict,
    no_limit,
)
from gateway.proxy.metrics import ProxyMetrics

__all__ = [
    "ALLOWED",
    "Authenticate",
    "BreakerState",
    "Caller",
    "CircuitBreaker",
    "GatewayDataPath",
    "Identity",
    "Limit",
    "LimitDecision",
    "ProxyMetrics",
    "ProxySettings",
    "StaticTokens",
    "Verdict",
    "no_limit",
]
