"""Prometheus metrics of the data path, on a registry given by the caller.

Labels stay bounded: the API name and its route prefix come from the registry, statuses are
HTTP status codes and targets are the registered target URLs; raw paths never become labels.
"""

from __future__ import annotations

import contextlib

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    make_asgi_app,
)
from starlette.types import ASGIApp

from gateway.proxy.breaker import BreakerState
from gateway.routes import ApiRoute

LATENCY_BUCKETS = (
    0.0005,
    0.001,
    0.0025,
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
)


class ProxyMetrics:
    """Every metric of the data path, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.requests = Counter(
            "strata_gateway_requests",
            "Requests answered by the gateway's data path.",
            ["api", "prefix", "status"],
            registry=registry,
        )
        self.latency = Histogram(
            "strata_gateway_request_duration_seconds",
            "Time from the request's arrival until its response was sent.",
            ["api", "prefix", "status"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.upstream_latency = Histogram(
            "strata_gateway_upstream_duration_seconds",
            "Time an upstream took to answer with its status and headers.",
            ["api"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.rate_limited = Counter(
            "strata_gateway_rate_limited",
            "Requests refused by the rate limiter.",
            ["api", "prefix"],
            registry=registry,
        )
        self.upstream_errors = Counter(
            "strata_gateway_upstream_errors",
            "Upstream attempts that failed, by reason (connect, timeout, status, protocol).",
            ["api", "reason"],
            registry=registry,
        )
        self.retries = Counter(
            "strata_gateway_retries",
            "Requests sent again to another target after a failed attempt.",
            ["api"],
            registry=registry,
        )
        self.breaker_state = Gauge(
            "strata_gateway_breaker_state",
            "Circuit breaker state per target: 0 closed, 1 half-open, 2 open.",
            ["target"],
            registry=registry,
        )

    def for_route(self, route: ApiRoute) -> RouteMetrics:
        return RouteMetrics(self, route)

    def set_breaker_state(self, target: str, state: BreakerState) -> None:
        self.breaker_state.labels(target).set(int(state))

    def forget_target(self, target: str) -> None:
        with contextlib.suppress(KeyError):
            self.breaker_state.remove(target)

    def render(self) -> tuple[bytes, str]:
        """The exposition text and its content type, for a ``/metrics`` endpoint."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def asgi_app(self) -> ASGIApp:
        """An ASGI app serving the exposition (mount it at ``/metrics``)."""
        app: ASGIApp = make_asgi_app(self.registry)
        return app


class RouteMetrics:
    """One API's metric children, looked up once instead of on every request."""

    __slots__ = (
        "_metrics",
        "_prefix",
        "_series",
        "api",
        "rate_limited",
        "retries",
        "upstream_latency",
    )

    def __init__(self, metrics: ProxyMetrics, route: ApiRoute) -> None:
        self._metrics = metrics
        self.api = route.name
        self._prefix = route.prefix
        self._series: dict[int, tuple[Counter, Histogram]] = {}
        self.upstream_latency = metrics.upstream_latency.labels(self.api)
        self.rate_limited = metrics.rate_limited.labels(self.api, self._prefix)
        self.retries = metrics.retries.labels(self.api)

    def observe(self, status: int, seconds: float) -> None:
        series = self._series.get(status)
        if series is None:
            label = str(status)
            series = (
                self._metrics.requests.labels(self.api, self._prefix, label),
                self._metrics.latency.labels(self.api, self._prefix, label),
            )
            self._series[status] = series
        series[0].inc()
        series[1].observe(seconds)

    def upstream_error(self, reason: str) -> None:
        self._metrics.upstream_errors.labels(self.api, reason).inc()
