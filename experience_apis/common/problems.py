"""A refusal from the layer below, passed on as an experience API's own problem.

A considered refusal (too little stock, an order that is not payable, a reused
Idempotency-Key) keeps its status, type and extension members, so the caller learns which
line or field is wrong; paths into the layer below (a ``trace`` link), which a client of
this layer cannot follow, are left out. The answer's headers that mean something to the
caller too (a replay, when to retry) pass on with it.
"""

from __future__ import annotations

from experience_apis.common.clients import DownstreamError
from strata.errors import Problem

# Members the Problem writes itself rather than copies (and the names of its own
# arguments, which an extension must not take).
OWN_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "request_id", "kind", "headers"}
)
# Paths into the layer below.
LINKS_BELOW = frozenset({"trace", "links", "location"})
PASSED_HEADERS = ("Idempotent-Replayed", "Retry-After")


def passed_members(error: DownstreamError) -> dict[str, object]:
    """The problem's extension members worth passing on."""
    return {
        key: value
        for key, value in error.problem.items()
        if key not in OWN_MEMBERS and key not in LINKS_BELOW
    }


def passed_headers(error: DownstreamError) -> dict[str, str]:
    answered = {name.lower(): value for name, value in error.headers.items()}
    return {name: answered[name.lower()] for name in PASSED_HEADERS if name.lower() in answered}


def refusal(error: DownstreamError) -> Problem:
    """The refusal below (a 4xx problem) as this API's problem."""
    detail = error.problem.get("detail")
    return Problem(
        error.status,
        str(error.problem.get("title") or "Refused"),
        str(detail) if detail else None,
        kind=error.kind or "upstream-refused",
        headers=passed_headers(error),
        **passed_members(error),
    )
