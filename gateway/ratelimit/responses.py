"""What a decision looks like on the wire: the rate limit headers and the refusal.

Headers follow the IETF RateLimit fields (``RateLimit-Limit``, ``RateLimit-Remaining``,
``RateLimit-Reset``, ``RateLimit-Policy``) and repeat them as the ``X-RateLimit-*`` names
older clients read. Seconds are rounded up, so a client that waits as told is never early.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any

from fastapi.responses import JSONResponse

from gateway.ratelimit.policy import Decision
from strata.errors import PROBLEM_JSON, Problem


def _seconds(value: float) -> int:
    return max(0, math.ceil(value))


def retry_after_seconds(decision: Decision) -> int:
    """Whole seconds to wait before retrying (at least 1: a refusal never says "now")."""
    return max(1, math.ceil(decision.retry_after))


def rate_limit_headers(decision: Decision) -> dict[str, str]:
    """The headers to put on the response, allowed or refused."""
    limit = str(decision.limit)
    remaining = str(decision.remaining)
    reset = str(_seconds(decision.reset))
    headers = {
        "RateLimit-Limit": limit,
        "RateLimit-Remaining": remaining,
        "RateLimit-Reset": reset,
        "RateLimit-Policy": f"{limit};w={_seconds(decision.policy.window_seconds)}",
        "X-RateLimit-Limit": limit,
        "X-RateLimit-Remaining": remaining,
        "X-RateLimit-Reset": reset,
    }
    if not decision.allowed:
        headers["Retry-After"] = str(retry_after_seconds(decision))
    return headers


_LIMIT = b"ratelimit-limit"
_REMAINING = b"ratelimit-remaining"
_RESET = b"ratelimit-reset"
_POLICY = b"ratelimit-policy"
_X_LIMIT = b"x-ratelimit-limit"
_X_REMAINING = b"x-ratelimit-remaining"
_X_RESET = b"x-ratelimit-reset"
_RETRY_AFTER = b"retry-after"


Pair = tuple[bytes, bytes]


# The header pairs are built once per value and reused: limit and policy only change with
# the policy, and remaining and reset take few distinct values, so a request's headers cost
# three cache look-ups instead of seven new pairs (fewer allocations, fewer collections).
@lru_cache(maxsize=1024)
def _limit_pairs(limit: int, window_seconds: int) -> tuple[Pair, Pair, Pair]:
    encoded = str(limit).encode("latin-1")
    return (_LIMIT, encoded), (_POLICY, b"%s;w=%d" % (encoded, window_seconds)), (_X_LIMIT, encoded)


@lru_cache(maxsize=4096)
def _remaining_pairs(remaining: int) -> tuple[Pair, Pair]:
    encoded = b"%d" % remaining
    return (_REMAINING, encoded), (_X_REMAINING, encoded)


@lru_cache(maxsize=4096)
def _reset_pairs(seconds: int) -> tuple[Pair, Pair]:
    encoded = b"%d" % seconds
    return (_RESET, encoded), (_X_RESET, encoded)


def rate_limit_header_list(decision: Decision) -> list[tuple[bytes, bytes]]:
    """The same headers as raw ASGI header pairs (lower-case names), for pure ASGI code."""
    limit, policy, x_limit = _limit_pairs(decision.limit, _seconds(decision.policy.window_seconds))
    remaining, x_remaining = _remaining_pairs(decision.remaining)
    reset, x_reset = _reset_pairs(_seconds(decision.reset))
    headers = [limit, remaining, reset, policy, x_limit, x_remaining, x_reset]
    if not decision.allowed:
        headers.append((_RETRY_AFTER, b"%d" % retry_after_seconds(decision)))
    return headers


def refusal_problem(decision: Decision) -> Problem:
    """The refusal as a :class:`Problem` (raise it from a FastAPI route or dependency):
    429 when the caller is over its limit, 503 when the limit could not be checked."""
    retry = retry_after_seconds(decision)
    headers = rate_limit_headers(decision)
    policy = decision.policy
    if decision.degraded:
        return Problem(
            503,
            "Rate limiting unavailable",
            f"The rate limit store is unreachable, so requests are refused; retry in {retry} s.",
            kind="rate-limit-unavailable",
            headers=headers,
            retry_after=retry,
        )
    return Problem(
        429,
        "Too many requests",
        f"Rate limit {policy.name} exceeded ({policy.rate.sustained}, at most "
        f"{decision.limit} at once); retry in {retry} s.",
        kind="rate-limited",
        headers=headers,
        policy=policy.name,
        limit=decision.limit,
        remaining=0,
        retry_after=retry,
    )


def refusal_body(decision: Decision, instance: str | None = None) -> dict[str, Any]:
    """The problem+json body of the refusal."""
    return refusal_problem(decision).body(instance=instance)


def refusal_response(decision: Decision, instance: str | None = None) -> JSONResponse:
    """The refusal as a response, which is also an ASGI app:
    ``await refusal_response(decision, scope["path"])(scope, receive, send)``."""
    problem = refusal_problem(decision)
    return JSONResponse(
        problem.body(instance=instance),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )
