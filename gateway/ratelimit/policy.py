"""Policies (one limit, compiled for the hot path) and the decisions the stores return.

The algorithm is GCRA, the generic cell rate algorithm (a leaky bucket measured in time):
each key stores one number, its *theoretical arrival time* (TAT), the moment the key's
bucket will have drained. With emission interval ``T = period / requests`` and tolerance
``τ = T * burst``, a request at ``now`` is allowed when ``max(TAT, now) + T - now <= τ``, and
then TAT moves to ``max(TAT, now) + T``. One read and one conditional write of one number is
exact (no window edges that let twice the limit through, unlike fixed windows), needs no
timer to refill, is trivially atomic in a Redis script, and a key whose TAT has passed
carries no information, so it can simply expire.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.ratelimit.config import MICROSECONDS, Kind, Rate


@dataclass(frozen=True, slots=True)
class Policy:
    """One limit as the stores apply it: whole-microsecond interval and tolerance."""

    name: str
    kind: Kind
    rate: Rate
    interval_us: int
    burst: int
    tolerance_us: int
    key_prefix: str

    @classmethod
    def compile(cls, name: str, kind: Kind, rate: Rate, key_prefix: str) -> Policy:
        interval = rate.interval_us
        burst = rate.effective_burst
        return cls(
            name=name,
            kind=kind,
            rate=rate,
            interval_us=interval,
            burst=burst,
            tolerance_us=interval * burst,
            key_prefix=key_prefix,
        )

    @property
    def window_seconds(self) -> float:
        """How long an idle key takes to get its whole burst back."""
        return self.tolerance_us / MICROSECONDS

    def describe(self) -> str:
        return f"{self.name} ({self.rate})"


@dataclass(slots=True)
class Decision:
    """What the limiter decided for one request (read-only by convention: a frozen
    dataclass costs more to build than the whole in-memory decision).

    ``limit`` is the burst (requests allowed at once), ``remaining`` how many more are
    allowed right now, ``reset`` the seconds until the whole burst is available again and
    ``retry_after`` the seconds until the next request would be allowed (0 when allowed).
    ``degraded`` is true when the shared store was unreachable and the decision was made
    without it (see ``RateLimitSettings.on_store_error``).
    """

    allowed: bool
    limit: int
    remaining: int
    reset: float
    retry_after: float
    policy: Policy
    degraded: bool = False


def decision(
    policy: Policy,
    allowed: bool,
    remaining: int,
    reset_us: int,
    retry_us: int,
) -> Decision:
    # Positional: this runs on every request.
    return Decision(
        allowed, policy.burst, remaining, reset_us / MICROSECONDS, retry_us / MICROSECONDS, policy
    )
