"""Targets, their pools per route, and what the data path precomputes per route.

A :class:`Target` is one URL with its circuit breaker. Targets are shared by URL across route
tables, so a breaker's state survives a registry change that keeps the target.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

import structlog
from starlette.types import ASGIApp
from yarl import URL

from gateway.proxy.breaker import BreakerState, CircuitBreaker, Clock
from gateway.proxy.config import ProxySettings
from gateway.proxy.cors import CorsPolicy
from gateway.proxy.metrics import ProxyMetrics, RouteMetrics
from gateway.routes import INPROC_SCHEME, ApiRoute

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class Remote:
    """Where a remote target lives: its origin, and the base path the API is served under."""

    scheme: str
    host: str
    port: int
    base_path: bytes
    origin: str
    host_header: bytes

    @classmethod
    def parse(cls, url: str) -> Remote | None:
        try:
            parsed = URL(url)
        except (TypeError, ValueError):
            return None
        if parsed.scheme not in ("http", "https") or not parsed.host or parsed.user:
            return None
        netloc = parsed.host_port_subcomponent  # as in a Host header: default port left out
        if not parsed.raw_host or parsed.port is None or netloc is None:
            return None
        return cls(
            scheme=parsed.scheme,
            host=parsed.raw_host,
            port=parsed.port,
            base_path=parsed.raw_path.rstrip("/").encode("ascii"),
            origin=f"{parsed.scheme}://{netloc}",
            host_header=netloc.encode("ascii"),
        )

    def path(self, rest: bytes) -> bytes:
        """The upstream path (with query) for the rest of the client's path."""
        path = self.base_path + rest
        return path if path.startswith(b"/") else b"/" + path


@dataclass(eq=False, slots=True)
class Target:
    """One place an API is served: a remote origin, or an ASGI app in this process."""

    url: str
    breaker: CircuitBreaker
    app: ASGIApp | None = None
    remote: Remote | None = None
    usable: bool = True


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
        remote = Remote.parse(url)
        if remote is None:
            log.warning("target is not an http(s) URL; it is skipped", target=url)
        return Target(url, breaker, remote=remote, usable=remote is not None)

    def _listener(self, url: str) -> Callable[[BreakerState], None]:
        def on_change(state: BreakerState) -> None:
            self._metrics.set_breaker_state(url, state)
            log.info("circuit breaker changed state", target=url, state=state.name.lower())

        return on_change


@dataclass(eq=False, slots=True)
class RouteRuntime:
    """What the data path needs for one route, computed once per route table."""

    route: ApiRoute
    pool: TargetPool
    metrics: RouteMetrics
    prefix: str
    prefix_bytes: bytes
    public: bool
    timeout: float
    # The URL a token must be issued for to be accepted here (RFC 8707 resource).
    audience: str
    cors: CorsPolicy

    @classmethod
    def build(
        cls, route: ApiRoute, targets: TargetSet, metrics: ProxyMetrics, base_url: str
    ) -> RouteRuntime:
        prefix = route.prefix
        return cls(
            route=route,
            pool=TargetPool(targets.get(url) for url in route.targets),
            metrics=metrics.for_route(route),
            prefix=prefix,
            prefix_bytes=prefix.encode(),
            public=route.public,
            timeout=route.timeout_seconds,
            audience=base_url + prefix,
            cors=CorsPolicy.of(
                route.cors_origins, writable=route.public or route.write_scope is not None
            ),
        )
