"""The gateway's data path: routing, token and scope checks, rate limits and forwarding.

Build it with the route table holder, the gateway's own app as the fallback, and the hooks::

    registry = CollectorRegistry()
    metrics = ProxyMetrics(registry)
    data_path = GatewayDataPath(
        holder,                     # gateway.routes.RouteTableHolder, kept current by the registry
        gateway_app,                # /oauth, /admin, /apis, /docs, /healthz, /metrics ...
        authenticate=verify_token,  # async (headers) -> Identity; raises strata.errors.Problem
        limit=rate_limit,           # async (identity | ip, route, method) -> LimitDecision
        upstream_credentials=creds, # async (identity | None, route) -> headers for remotes
        metrics=metrics,
        inproc_apps={"inproc://system/crm": crm_api, ...},
        settings=ProxySettings(base_url=issuer, max_body_bytes=settings.max_body_bytes),
    )
    app = RequestContextMiddleware(data_path)   # request id and traceparent, outermost

    # in the gateway app's lifespan (also done automatically when lifespan events pass
    # through the data path): await data_path.start() ... await data_path.aclose()
    # at /metrics: metrics.asgi_app(), or metrics.render() -> (body, content_type)

Remote targets never receive the caller's ``Authorization`` (nor ``Proxy-Authorization`` or
the gateway's cookies); ``upstream_credentials`` says what they receive instead. In-process
targets get the request as sent: the built-in APIs check the token themselves.

Every token is checked for the route's audience first: its ``aud`` must name
``base_url + prefix`` (the API's RFC 8707 resource indicator), else 401 ``invalid_token``.

A route with neither a read nor a write scope is public: anonymous callers are let through
and rate limited by IP (a token, when sent, is still checked). Any other route needs a
token, and the scope for the method when the route names one.

Remote targets are reached through ``ProxySettings.client``: ``"httptools"`` (default, a
lean HTTP/1.1 client with a keep-alive pool per target, :mod:`gateway.proxy.h1client`) or
``"aiohttp"``. In-process targets are called as ASGI apps mounted at the route's prefix:
``root_path`` gains the prefix and ``path`` stays whole, as Starlette's ``Mount`` does.

The hooks over the OAuth and rate-limit packages are a few lines each::

    async def verify_token(headers):
        value = gateway.proxy.headers.header(headers, b"authorization")
        # Claims; the data path checks the audience and the scope per route
        return await verifier.verify_any_audience(value.decode("latin-1") if value else None)

    async def rate_limit(caller, route, method):
        if isinstance(caller, str):
            decision = await limiter.check(method, ip=caller, api=route.name)
        else:
            decision = await limiter.check(method, client_id=caller.client_id,
                                           tier=route.rate_tier or caller.tier, api=route.name)
        headers = rate_limit_header_list(decision)
        if decision.allowed:
            return Verdict(True, headers)
        async def refusal(scope, receive, send):
            await refusal_response(decision, scope["path"])(scope, receive, send)
        return Verdict(False, headers, refusal)
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
    RefusedAuthentication,
    StaticTokens,
    UpstreamCredentials,
    Verdict,
    no_limit,
    no_refusal_count,
    no_upstream_credentials,
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
    "RefusedAuthentication",
    "StaticTokens",
    "UpstreamCredentials",
    "Verdict",
    "no_limit",
    "no_refusal_count",
    "no_upstream_credentials",
]
