"""Prometheus counters of the rate limiter, registered in the registry the caller passes."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector


class DecisionCount:
    """A counter bumped on every request: a plain integer in this process's event loop,
    read by the collector when ``/metrics`` is scraped (a prometheus-client counter takes
    a lock on every increment, which costs more than the in-memory decision)."""

    __slots__ = ("value",)

    def __init__(self) -> None:
        self.value = 0

    def inc(self, amount: int = 1) -> None:
        self.value += amount


class _DecisionsCollector(Collector):
    def __init__(self, allowed: DecisionCount, refused: DecisionCount) -> None:
        self._counts = (("allowed", allowed), ("refused", refused))

    def describe(self) -> Iterator[Metric]:
        yield CounterMetricFamily(
            "strata_ratelimit_decisions", "Rate limit decisions, by outcome.", labels=["outcome"]
        )

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "strata_ratelimit_decisions", "Rate limit decisions, by outcome.", labels=["outcome"]
        )
        for outcome, count in self._counts:
            family.add_metric([outcome], count.value)
        yield family


class RateLimitMetrics:
    """``strata_ratelimit_decisions_total{outcome}`` and
    ``strata_ratelimit_store_failures_total``. Without a registry the counters still count
    but are exported nowhere (no process-wide state)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.allowed = DecisionCount()
        self.refused = DecisionCount()
        if registry is not None:
            registry.register(_DecisionsCollector(self.allowed, self.refused))
        self.store_failures = Counter(
            "strata_ratelimit_store_failures",
            "Decisions made without the shared store because it was unreachable.",
            registry=registry,
        )
