"""Prometheus metrics of the data path, on a registry given by the caller.

Labels stay bounded: the API name and its route prefix come from the registry, statuses are
HTTP status codes and targets are the registered target URLs; raw paths never become labels.

The two series every request touches (requests with their latency, and the upstream's
latency) are plain counters in this process's event loop, read by a collector when
``/metrics`` is scraped: no lock and no Python loop over buckets per request. The rest are
ordinary prometheus-client metrics.
"""

from __future__ import annotations

import contextlib
from bisect import bisect_left
from collections.abc import Iterator

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    generate_latest,
    make_asgi_app,
)
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString
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
_BUCKET_LABELS = [*(floatToGoString(bound) for bound in LATENCY_BUCKETS), "+Inf"]


class LatencySeries:
    """One histogram series: counts per bucket (the last one is +Inf) and the sum."""

    __slots__ = ("buckets", "count", "total")

    def __init__(self) -> None:
        self.buckets = [0] * (len(LATENCY_BUCKETS) + 1)
        self.count = 0
        self.total = 0.0

    def observe(self, seconds: float) -> None:
        self.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        self.count += 1
        self.total += seconds

    def cumulative(self) -> list[tuple[str, float]]:
        running = 0
        points = []
        for label, count in zip(_BUCKET_LABELS, self.buckets, strict=True):
            running += count
            points.append((label, float(running)))
        return points


class _HotPathCollector(Collector):
    def __init__(self) -> None:
        self.requests: dict[tuple[str, str, str], LatencySeries] = {}
        self.upstream: dict[str, LatencySeries] = {}

    def collect(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "strata_gateway_requests",
            "Requests answered by the gateway's data path.",
            labels=["api", "prefix", "status"],
        )
        latency = HistogramMetricFamily(
            "strata_gateway_request_duration_seconds",
            "Time from the request's arrival until its response was sent.",
            labels=["api", "prefix", "status"],
        )
        for labels, series in list(self.requests.items()):
            requests.add_metric(list(labels), series.count)
            latency.add_metric(list(labels), series.cumulative(), series.total)
        upstream = HistogramMetricFamily(
            "strata_gateway_upstream_duration_seconds",
            "Time an upstream took to answer with its status and headers.",
            labels=["api"],
        )
        for api, series in list(self.upstream.items()):
            upstream.add_metric([api], series.cumulative(), series.total)
        yield requests
        yield latency
        yield upstream


class ProxyMetrics:
    """Every metric of the data path, registered on ``registry``."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._hot = _HotPathCollector()
        registry.register(self._hot)
        self.rate_limited = Counter(
            "strata_gateway_rate_limited",
            "Requests refused by the rate limiter.",
            ["api", "prefix"],
            registry=registry,
        )
        self.upstream_errors = Counter(
            "strata_gateway_upstream_errors",
            "Upstream attempts that failed, by reason (connect, disconnected, timeout, "
            "protocol, status, stream).",
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

    def request_series(self, api: str, prefix: str, status: int) -> LatencySeries:
        key = (api, prefix, str(status))
        series = self._hot.requests.get(key)
        if series is None:
            series = self._hot.requests[key] = LatencySeries()
        return series

    def upstream_series(self, api: str) -> LatencySeries:
        series = self._hot.upstream.get(api)
        if series is None:
            series = self._hot.upstream[api] = LatencySeries()
        return series

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
    """One API's series, looked up once instead of on every request."""

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
        self._series: dict[int, LatencySeries] = {}
        self.upstream_latency = metrics.upstream_series(self.api)
        self.rate_limited = metrics.rate_limited.labels(self.api, self._prefix)
        self.retries = metrics.retries.labels(self.api)

    def observe(self, status: int, seconds: float) -> None:
        series = self._series.get(status)
        if series is None:
            series = self._series[status] = self._metrics.request_series(
                self.api, self._prefix, status
            )
        series.observe(seconds)

    def upstream_error(self, reason: str) -> None:
        self._metrics.upstream_errors.labels(self.api, reason).inc()
