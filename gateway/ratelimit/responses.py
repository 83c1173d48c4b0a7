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


@lru_cache(maxsize=1024)
def _limit_values(limit: int, window_seconds: int) -> tuple[bytes, bytes]:
    # Limit and policy only change with the policy: encoded once, not on every request.
    encoded = str(limit).encode("latin-1")
    return encoded, b"%s;w=%d" % (encoded, window_seconds)


def rate_limit_header_list(decision: Decision) -> list[tuple[bytes, bytes]]:
    """The same headers as raw ASGI header pairs (lower-case names), for pure ASGI code.

    Built directly as bytes: it runs on every proxied request."""
    limit, policy = _limit_values(decision.limit, _seconds(decision.policy.window_seconds))
    remaining = b"%d" % decision.remaining
    reset = b"%d" % _seconds(decision.reset)
    headers = [
        (_LIMIT, limit),
        (_REMAINING, remaining),
        (_RESET, reset),
        (_POLICY, policy),
        (_X_LIMIT, limit),
        (_X_REMAINING, remaining),
        (_X_RESET, reset),
    ]
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
