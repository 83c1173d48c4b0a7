"""Strata in one process (the embedded default): every layer behind the gateway."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp

from experience_apis.web.site import create_site_router
from gateway.app import Gateway, create_gateway
from gateway.health import HealthChecks
from gateway.oauth import build_oauth
from strata.db import Database
from strata.layers import BACKEND_MODULES, Layers, build_layers
from strata.middleware import PageHeadersMiddleware, RequestContextMiddleware
from strata.migrate import upgrade_database
from strata.settings import Settings
from system_apis.backends.inventory import sweep_expired_reservations
from system_apis.demo import build_world

log = structlog.get_logger(__name__)

RESERVATION_SWEEP_SECONDS = 30.0


@dataclass
class Strata:
    """The gateway and the layers behind it; started and stopped by the server's lifespan."""

    settings: Settings
    layers: Layers
    gateway: Gateway
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def asgi(self) -> ASGIApp:
        """What a server runs: the request context outermost, then the gateway; every HTML
        page it answers has a Content-Security-Policy."""
        return RequestContextMiddleware(PageHeadersMiddleware(self.gateway.asgi))

    async def start(self) -> None:
        await upgrade_database(self.layers.database)
        if self.settings.seed_demo_data:
            written = await self.seed_demo_data()
            if any(written.values()):
                log.info("seeded demo data into an empty database", **written)
        await self.gateway.start()
        if self.layers.orders is not None:
            await self.layers.orders.start()
        if "inventory" in self.layers.backend_apps:
            self._tasks.append(asyncio.create_task(self._sweep_reservations()))
        log.info("strata is ready", apis=sorted(f"{k[0]}/{k[1]}" for k in self.layers.apis))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.layers.orders is not None:
            await self.layers.orders.aclose()
        await self.gateway.stop()
        await self.layers.aclose()
        await self.layers.database.dispose()

    async def seed_demo_data(self) -> dict[str, int]:
        """Seeds each in-process backend whose storage is empty, and the demo users and apps."""
        world = build_world()
        written = {
            name: await BACKEND_MODULES[name].seed(self.layers.database, world)
            for name in self.layers.backend_apps
        }
        written["users"] = await self.gateway.oauth.seed_demo_users(world)
        return written

    async def _sweep_reservations(self) -> None:
        # Expired holds are also released lazily on access; this returns stock nobody touches.
        while True:
            await asyncio.sleep(RESERVATION_SWEEP_SECONDS)
            try:
                await sweep_expired_reservations(self.layers.database)
            except Exception:
                log.warning("sweeping expired reservations failed; will retry", exc_info=True)


def create_strata(settings: Settings, database: Database | None = None) -> Strata:
    """Every layer and the gateway in front of them, built but not started."""
    database = database or Database(settings.async_database_url, echo=settings.database_echo)
    # Built first: the experience APIs check user tokens with the gateway's own verifier.
    oauth = build_oauth(database, settings.oauth, redis_url=settings.redis_url)
    layers = build_layers(settings, database, oauth.verifier)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await strata.start()
        try:
            yield
        finally:
            await strata.stop()

    gateway = create_gateway(
        settings,
        database,
        inproc_apps=layers.inproc_apps,
        builtins=layers.builtin_registrations(settings.cors.origins),
        health=HealthChecks(database, settings.redis_url, layers.inproc_apps),
        extra_routers=[create_site_router()],
        extra_mounts={f"/backends/{name}": app for name, app in layers.backend_apps.items()},
        lifespan=lifespan,
        oauth=oauth,
    )
    strata = Strata(settings, layers, gateway)
    return strata


def asgi_app(settings: Settings, database: Database | None = None) -> ASGIApp:
    return create_strata(settings, database).asgi
