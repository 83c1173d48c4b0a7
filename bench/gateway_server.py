"""The processes bench/gateway.py measures: Strata's data path on uvicorn, and a minimal
uvicorn upstream for machines without nginx. Started by bench/gateway.py, not by hand::

    python bench/gateway_server.py serve --port P --upstream URL [--stand-ins]
    python bench/gateway_server.py static --port P

``serve`` prints ``READY <token> <hooks>`` once built: the bearer token to send and which
token check and rate limit it runs (the real ones when their packages are importable, the
data path's stand-ins otherwise or when asked).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve()

# bench/gateway.py sits next to this file and would shadow the ``gateway`` package.
if sys.path and Path(sys.path[0] or ".").resolve() == HERE.parent:
    sys.path.pop(0)

BODY = b'{"message":"hello from the upstream"}'
BASE_URL = "http://127.0.0.1:8000"
# The bench route's resource indicator: tokens are issued for it.
AUDIENCE = BASE_URL + "/system/bench/v1"


def serve(port: int, upstream: str, stand_ins: bool = False) -> None:
    """Runs in the child process: the data path on uvicorn, one worker."""
    import uvicorn
    from prometheus_client import CollectorRegistry

    from gateway.proxy import GatewayDataPath, ProxyMetrics, ProxySettings
    from gateway.routes import ApiRoute, RouteTable, RouteTableHolder
    from strata.middleware import RequestContextMiddleware

    route = ApiRoute(
        name="bench",
        layer="system",
        version=1,
        targets=(upstream,),
        read_scope="bench:read",
        write_scope="bench:write",
    )
    registry = CollectorRegistry()
    authenticate, token, auth_label = stand_in_token_check() if stand_ins else token_check()
    limit, limit_label = stand_in_rate_limit() if stand_ins else rate_limit(registry)
    data_path = GatewayDataPath(
        RouteTableHolder(RouteTable.of([route])),
        _not_found,
        authenticate=authenticate,
        limit=limit,
        metrics=ProxyMetrics(registry),
        settings=ProxySettings(base_url=BASE_URL),
    )
    print(f"READY {token} {auth_label}; {limit_label}", flush=True)
    uvicorn.run(
        RequestContextMiddleware(data_path),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="on",
        access_log=False,
        log_level="warning",
        server_header=False,
        proxy_headers=False,  # the gateway is the front door: no proxy in front to trust
    )


async def _not_found(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    await send({"type": "http.response.start", "status": 404, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def token_check() -> tuple[Any, str, str]:
    """The real verifier on an RS256 token when ``gateway.oauth`` is there; else the stand-in."""
    try:
        return _oauth_token_check()
    except ImportError as exc:
        return stand_in_token_check(f"{exc.name} not importable")


def stand_in_token_check(why: str = "asked for") -> tuple[Any, str, str]:
    from gateway.proxy import Caller, StaticTokens

    identity = Caller("bench", "bench", frozenset({"bench:read"}), "bench", frozenset({AUDIENCE}))
    note = f"token: STAND-IN StaticTokens ({why})"
    return StaticTokens({"bench-token": identity}), "bench-token", note


def stand_in_rate_limit(why: str = "asked for") -> tuple[Any, str]:
    from gateway.proxy import no_limit

    return no_limit, f"rate limit: STAND-IN no_limit ({why})"


def _oauth_token_check() -> tuple[Any, str, str]:
    import secrets as random

    from joserfc import jwt
    from joserfc.jwk import RSAKey

    from gateway.app import token_checker
    from gateway.oauth import TokenVerifier
    from gateway.oauth.keysources import CachedKeySet

    key = RSAKey.generate_key(2048, parameters={"kid": "bench", "alg": "RS256", "use": "sig"})
    now = int(time.time())
    issuer = "https://strata.bench"
    claims: dict[str, Any] = {
        "iss": issuer,
        "sub": "bench",
        "aud": AUDIENCE,
        "exp": now + 3600,
        "iat": now,
        "jti": random.token_hex(8),
        "client_id": "bench",
        "scope": "bench:read",
        "tier": "bench",
    }
    token = jwt.encode({"alg": "RS256", "typ": "at+jwt", "kid": "bench"}, claims, key)

    async def load_keys() -> list[dict[str, Any]]:
        return [key.as_dict(private=False)]

    verifier = TokenVerifier(CachedKeySet(load_keys), issuer=issuer)
    # Wired exactly as the gateway wires it (gateway.app), so the numbers describe the product.
    return token_checker(verifier), token, "token: gateway.oauth TokenVerifier (RS256, cached)"


def rate_limit(registry: Any) -> tuple[Any, str]:
    try:
        from gateway.app import rate_limit_hook
        from gateway.ratelimit import RateLimitSettings, build_limiter
    except ImportError as exc:
        return stand_in_rate_limit(f"{exc.name} not importable")

    generous = "1000000/s burst 1000000"
    limiter = build_limiter(
        RateLimitSettings(
            tiers={"bench": {"read": generous, "write": generous}}, default_tier="bench"
        ),
        None,
        registry=registry,
    )
    # Wired exactly as the gateway wires it (gateway.app), so the numbers describe the product.
    return rate_limit_hook(limiter), "rate limit: gateway.ratelimit RateLimiter (memory store)"


def static_upstream(port: int) -> None:
    import uvicorn

    body = BODY
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]

    async def app(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        lifespan="off",
        access_log=False,
        log_level="warning",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("mode", choices=["serve", "static"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--upstream")
    parser.add_argument("--stand-ins", action="store_true")
    args = parser.parse_args()
    if args.mode == "serve":
        serve(args.port, args.upstream, args.stand_ins)
    else:
        static_upstream(args.port)


if __name__ == "__main__":
    main()
