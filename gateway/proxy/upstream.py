"""Targets, their pools per route, and what the data path precomputes per route.

A :class:`Target` is one URL with its circuit breaker. Targets are shared by URL across route
tables, so a breaker's state survives a registry change that keeps the target.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import aiohttp
import structlog
from starlette.types import ASGIApp
from yarl import URL

from gateway.proxy.breaker import BreakerState, CircuitBreaker, Clock
from gateway.proxy.client import route_timeout
from gateway.proxy.config import ProxySettings
from gateway.proxy.metrics import ProxyMetrics, RouteMetrics
from gateway.routes import INPROC_SCHEME, ApiRoute

log = structlog.get_logger(__name__)


@dataclass(eq=False, slots=True)
class Target:
    """One place an API is served: a remote base URL, or an ASGI app in this process."""

    url: str
    breaker: CircuitBreaker
    app: ASGIApp | None = None
    base: str = ""
    usable: bool = True

    def remote_url(self, raw_rest: str) -> URL:
        # Already percent-encoded as the client sent it: yarl must neither decode nor
        # re-encode it (``%2F`` in an id stays one path segment).
        return URL(self.base + raw_rest, encoded=True)


class TargetPool:
    """Round-robin over one route's targets, skipping those whose circuit is open."""

    __slots__ = ("_next", "targets")

    def __init__(self, targets: Iterable[Target]) -> None:
        self.targets = tuple(target for target in targets if target.usable)
        self._next = 0

    def choose(self, exclude: Collection[Target] = ()) -> Target | None:
        targets = self.targets
        count = len(targets)
        start = self._next
        for step in range(count):
            index = (start + step) % count
            target = targets[index]
            if exclude and target in exclude:
                continue
            if target.breaker.allow():
                self._next = index + 1 if index + 1 < count else 0
                return target
        return None

    def retry_after(self) -> float:
        """Seconds until the first open circuit lets a trial through."""
        waits = [target.breaker.retry_after() for target in self.targets]
        return min(waits, default=0.0)


class TargetSet:
    """Every target the current routes use, by URL, with their breakers."""

    def __init__(
        self,
        settings: ProxySettings,
        inproc_apps: Mapping[str, ASGIApp],
        metrics: ProxyMetrics,
        clock: Clock,
    ) -> None:
        self._settings = settings
        self._inproc_apps = inproc_apps
        self._metrics = metrics
        self._clock = clock
        self._targets: dict[str, Target] = {}

    def get(self, url: str) -> Target:
        target = self._targets.get(url)
        if target is None:
            target = self._targets[url] = self._new_target(url)
        return target

    def retain(self, urls: Collection[str]) -> None:
        """Forgets the targets no route uses any more (and their gauges)."""
        for url in [url for url in self._targets if url not in urls]:
            del self._targets[url]
            self._metrics.forget_target(url)

    def _new_target(self, url: str) -> Target:
        breaker = CircuitBreaker(
            self._settings.breaker_failures,
            self._settings.breaker_cooldown_seconds,
            clock=self._clock,
            listener=self._listener(url),
        )
        self._metrics.set_breaker_state(url, BreakerState.CLOSED)
        if url.startswith(INPROC_SCHEME):
            app = self._inproc_apps.get(url)
            if app is None:
                log.warning("in-process target is not served by this process", target=url)
            return Target(url, breaker, app=app, usable=app is not None)
        base = _remote_base(url)
        if base is None:
            log.warning("target is not an http(s) URL; it is skipped", target=url)
        return Target(url, breaker, base=base or "", usable=base is not None)

    def _listener(self, url: str) -> Callable[[BreakerState], None]:
        def on_change(state: BreakerState) -> None:
            self._metrics.set_breaker_state(url, state)
            log.info("circuit breaker changed state", target=url, state=state.name.lower())

        return on_change


def _remote_base(url: str) -> str | None:
    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        return None
    return str(parsed.with_query(None).with_fragment(None)).rstrip("/")


@dataclass(eq=False, slots=True)
class RouteRuntime:
    """What the data path needs for one route, computed once per route table."""

    route: ApiRoute
    pool: TargetPool
    metrics: RouteMetrics
    prefix: str
    prefix_bytes: bytes
    public: bool
    timeout: aiohttp.ClientTimeout

    @classmethod
    def build(cls, route: ApiRoute, targets: TargetSet, metrics: ProxyMetrics) -> RouteRuntime:
        prefix = route.prefix
        return cls(
            route=route,
            pool=TargetPool(targets.get(url) for url in route.targets),
            metrics=metrics.for_route(route),
            prefix=prefix,
            prefix_bytes=prefix.encode(),
            public=route.read_scope is None and route.write_scope is None,
            timeout=route_timeout(route.timeout_seconds),
        )
