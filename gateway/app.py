"""The gateway assembled: the front door of a Strata process.

Its data path (routing, token and scope checks, rate limits, forwarding) takes every
``/{layer}/{api}/v{n}/...`` request; its own FastAPI app serves the authorization server,
the admin API, the catalog and docs, health and metrics. Built-in APIs register themselves in
the registry at start exactly as an integrator's API does, with ``inproc://`` targets.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI
from prometheus_client import CollectorRegistry
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from gateway.catalog.router import create_catalog_router
from gateway.catalog.swagger import DocsOAuth, create_gateway_docs_router
from gateway.guard import ScopeGuard
from gateway.health import HealthChecks, create_health_router
from gateway.oauth import Claims, OAuthServer, TokenVerifier, build_oauth
from gateway.oauth.router import JWKS_PATH, METADATA_PATH, REVOKE_PATH, TOKEN_PATH
from gateway.oauth.scopes import METRICS_SCOPE
from gateway.oauth.throttle import FailureThrottle, Throttled
from gateway.portal import create_portal_router
from gateway.proxy import GatewayDataPath, ProxyMetrics, ProxySettings
from gateway.proxy.cors import (
    ALLOWED_HEADERS,
    EXPOSED_HEADERS,
    MAX_AGE_SECONDS,
    is_preflight,
    refuse_origin,
)
from gateway.proxy.headers import header
from gateway.proxy.hooks import (
    Authenticate,
    Identity,
    Limit,
    LimitDecision,
    RawHeaders,
    RefusedAuthentication,
    Verdict,
)
from gateway.ratelimit import RateLimiter, build_limiter, rate_limit_header_list, refusal_response
from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import DocumentLoader
from gateway.registry.router import create_admin_router
from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from gateway.registry.upstream_auth import UpstreamSecrets
from gateway.registry.watcher import RegistryWatcher
from gateway.routes import ApiRoute, RouteTable, RouteTableHolder
from gateway.upstream_credentials import UpstreamCredentialIssuer
from strata.db import Database
from strata.errors import install_problem_handlers
from strata.middleware import BodySizeLimitMiddleware
from strata.settings import Settings

log = structlog.get_logger(__name__)

DOCS_CLIENT_ID = "strata-docs"
# The gateway's own endpoints a browser app (a public client using PKCE) calls with fetch;
# never the authorization page (a top-level navigation) nor the admin API.
CROSS_ORIGIN_ENDPOINTS = frozenset({TOKEN_PATH, REVOKE_PATH, METADATA_PATH, JWKS_PATH})


@dataclass
class Gateway:
    """One gateway process's parts; ``asgi`` is what the server runs."""

    settings: Settings
    database: Database
    oauth: OAuthServer
    limiter: RateLimiter
    registry: RegistryService
    routes: RouteTableHolder
    watcher: RegistryWatcher
    data_path: GatewayDataPath
    app: FastAPI
    metrics_registry: CollectorRegistry
    builtins: Sequence[ApiRegistration] = field(default_factory=tuple)

    @property
    def asgi(self) -> ASGIApp:
        return self.data_path

    async def start(self) -> None:
        """After migrations: keys, built-in APIs, the route table, upstream pools."""
        await self.oauth.start()
        self.watcher.add_reload_listener(self._learn_scopes)
        for registration in self.builtins:
            await self.registry.ensure_builtin(registration)
        await self.watcher.start()
        await self._learn_scopes(self.routes.current)
        await self.data_path.start()

    async def stop(self) -> None:
        await self.data_path.aclose()
        await self.watcher.stop()
        await self.limiter.aclose()
        await self.oauth.stop()

    async def _learn_scopes(self, table: RouteTable) -> None:
        # Scopes named by registered APIs become grantable, so an integrator's new API can be
        # called with a token (and tried out from its docs page) the moment it is routed,
        # whichever process registered it.
        learned = self.oauth.vocabulary.learn_api_scopes(table.routes)
        await self.oauth.grant_docs_scopes(learned)


def token_checker(verifier: TokenVerifier) -> Authenticate:
    """The data path's token check: the request's bearer token through ``verifier``; the
    data path itself checks the token's audience and scope against the route's."""
    verify = verifier.verify_any_audience

    async def authenticate(headers: RawHeaders) -> Identity:
        value = header(headers, b"authorization")
        claims: Claims = await verify(value.decode("latin-1") if value else None)
        return claims

    return authenticate


def refusal_counter(throttle: FailureThrottle) -> RefusedAuthentication:
    """The data path's count of refused credentials: against the same per-address budget as
    wrong passwords and client secrets."""

    async def refused(address: str) -> int | None:
        try:
            await throttle.check("bearer", None, address)
        except Throttled as spent:
            return spent.retry_after
        await throttle.failed("bearer", None, address)
        return None

    return refused


def rate_limit_hook(limiter: RateLimiter) -> Limit:
    """The data path's rate limit: a client by its id and tier (the route's own rate tier
    first), an anonymous caller by its IP address."""
    check = limiter.check

    async def limit(caller: Identity | str, route: ApiRoute, method: str) -> LimitDecision:
        if isinstance(caller, str):
            decision = await check(method, ip=caller, api=route.name)
        else:
            decision = await check(
                method,
                client_id=caller.client_id,
                tier=route.rate_tier or caller.tier,
                api=route.name,
            )
        headers = rate_limit_header_list(decision)
        if decision.allowed:
            return Verdict(True, headers)

        async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
            await refusal_response(decision, scope["path"])(scope, receive, send)

        return Verdict(False, headers, refuse)

    return limit


class OwnEndpointsCors:
    """Starlette's ``CORSMiddleware`` on the gateway's :data:`CROSS_ORIGIN_ENDPOINTS` only,
    for the origins of ``STRATA_CORS__ORIGINS``; a preflight from any other origin gets a
    403 problem+json (rather than the middleware's plain-text 400), with no CORS headers."""

    def __init__(self, app: ASGIApp, origins: Sequence[str]) -> None:
        self._app = app
        self._cors = CORSMiddleware(
            app,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=ALLOWED_HEADERS,
            allow_credentials=False,
            expose_headers=EXPOSED_HEADERS,
            max_age=MAX_AGE_SECONDS,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] not in CROSS_ORIGIN_ENDPOINTS:
            await self._app(scope, receive, send)
            return
        origin = header(scope["headers"], b"origin")
        if (
            origin is not None
            and is_preflight(scope["method"], scope["headers"])
            and not self._cors.is_allowed_origin(origin.decode("latin-1"))
        ):
            await refuse_origin(send, origin, scope["path"], "STRATA_CORS__ORIGINS lists those")
            return
        await self._cors(scope, receive, send)


def create_gateway(
    settings: Settings,
    database: Database,
    *,
    inproc_apps: Mapping[str, ASGIApp],
    builtins: Sequence[ApiRegistration] = (),
    health: HealthChecks | None = None,
    extra_routers: Sequence[APIRouter] = (),
    extra_mounts: Mapping[str, ASGIApp] | None = None,
    document_loader: DocumentLoader | None = None,
    lifespan: Any = None,
    oauth: OAuthServer | None = None,
) -> Gateway:
    """The gateway; ``oauth`` is passed in when the layers behind it need its token verifier
    before the gateway exists (the experience APIs check user tokens themselves)."""
    metrics_registry = CollectorRegistry()
    oauth = oauth or build_oauth(database, settings.oauth, redis_url=settings.redis_url)
    limiter = build_limiter(settings.rate_limits, settings.redis_url, registry=metrics_registry)
    addresses = AddressPolicy.allowing(settings.registry.allowed_networks)
    registry = RegistryService(
        database,
        document_loader,
        addresses=addresses,
        secrets=UpstreamSecrets.from_settings(oauth.settings),
    )
    routes = RouteTableHolder()
    watcher = RegistryWatcher(
        registry,
        routes,
        poll_seconds=settings.registry_poll_seconds,
        redis_url=settings.redis_url,
    )
    # The gateway's own endpoints are for tokens issued for the gateway: the issuer.
    own_endpoints = oauth.verifier.for_audience(oauth.settings.issuer)
    admin_guard = own_endpoints.require_scopes("admin")

    app = FastAPI(
        title="Strata gateway",
        version="0.1.0",
        description="The front door: OAuth2 authorization server, the registry and catalog of "
        "APIs, and operations. Every API behind it is listed at `/apis`.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    for router in oauth.routers:
        app.include_router(router)
    app.include_router(create_admin_router(registry, admin_guard))
    app.include_router(create_catalog_router(registry, docs_client_id=DOCS_CLIENT_ID))
    app.include_router(create_portal_router(oauth))
    app.include_router(
        create_gateway_docs_router(
            oauth=DocsOAuth(client_id=DOCS_CLIENT_ID),
        )
    )
    app.include_router(
        create_health_router(
            health or HealthChecks(database, settings.redis_url),
            metrics_registry,
            metrics_guard=own_endpoints.require_scopes(METRICS_SCOPE),
        )
    )
    for router in extra_routers:
        app.include_router(router)
    for path, mounted in (extra_mounts or {}).items():
        app.mount(path, ScopeGuard(mounted, own_endpoints, ("admin",)))

    data_path = GatewayDataPath(
        routes,
        OwnEndpointsCors(
            BodySizeLimitMiddleware(app, settings.max_body_bytes), settings.cors.origins
        ),
        authenticate=token_checker(oauth.verifier),
        limit=rate_limit_hook(limiter),
        refused=refusal_counter(oauth.throttle),
        upstream_credentials=UpstreamCredentialIssuer(
            oauth.keys, oauth.settings.issuer, oauth.clock
        ),
        metrics=ProxyMetrics(metrics_registry),
        inproc_apps=inproc_apps,
        settings=ProxySettings(
            base_url=oauth.settings.issuer, max_body_bytes=settings.max_body_bytes
        ),
    )
    return Gateway(
        settings=settings,
        database=database,
        oauth=oauth,
        limiter=limiter,
        registry=registry,
        routes=routes,
        watcher=watcher,
        data_path=data_path,
        app=app,
        metrics_registry=metrics_registry,
        builtins=tuple(builtins),
    )
