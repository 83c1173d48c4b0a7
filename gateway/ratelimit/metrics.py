"""Prometheus counters of the rate limiter, registered in the registry the caller passes."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class RateLimitMetrics:
    """``strata_ratelimit_decisions_total{outcome}`` and
    ``strata_ratelimit_store_failures_total``. Without a registry the counters still count
    but are exported nowhere (no process-wide state)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        decisions = Counter(
            "strata_ratelimit_decisions",
            "Rate limit decisions, by outcome.",
            ["outcome"],
            registry=registry,
        )
        # Children bound once: labels() on every request would cost more than the decision.
        self.allowed = decisions.labels(outcome="allowed")
        self.refused = decisions.labels(outcome="refused")
        self.store_failures = Counter(
            "strata_ratelimit_store_failures",
            "Decisions made without the shared store because it was unreachable.",
            registry=registry,
        )
