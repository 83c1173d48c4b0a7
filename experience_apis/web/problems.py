"""The web API's own problems, and the layer below's problems passed on as this API's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from experience_apis.common.clients import DownstreamError
from strata.errors import NotFound, Problem

# Members of a problem below that describe the answer below, not the caller's request: its
# links point into an API the caller does not see.
_NOT_PASSED = frozenset({"type", "title", "status", "detail", "instance", "request_id", "trace"})
# A failure below is described afresh (naming the API that failed); these it replaces.
_DESCRIBED = frozenset({"system", "upstream_status", "errors"})
# Headers of an answer below that mean something to this API's caller too.
PASSED_HEADERS = ("Idempotent-Replayed", "Retry-After")
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def passthrough(error: DownstreamError) -> Problem:
    """The problem an API below answered, as this API's. A failure below is 502/503/504
    naming the API, with what else it said (the order it rolled back...); a refusal (409
    out of stock, 422 naming a field...) keeps its status, type and members, so the caller
    learns which line or field is wrong."""
    members = {k: v for k, v in error.problem.items() if k not in _NOT_PASSED}
    if error.transient:
        # What it says beyond the failure (the order it rolled back...) still helps.
        problem = error.as_problem()
        problem.extensions = {
            **{k: v for k, v in members.items() if k not in _DESCRIBED},
            **problem.extensions,
        }
    else:
        problem = Problem(
            error.status,
            str(error.problem.get("title") or "Refused"),
            str(error.problem.get("detail") or "") or None,
            kind=error.kind or "upstream-refused",
            **members,
        )
    answered = {name.lower(): value for name, value in error.headers.items()}
    for name in PASSED_HEADERS:
        if name.lower() in answered:
            problem.headers[name] = answered[name.lower()]
    return problem


def order_not_found(order_id: str) -> Problem:
    """The same answer for an order that does not exist and for another customer's."""
    return NotFound("order", order_id)


def product_not_found(sku: str) -> Problem:
    return NotFound("product", sku)


def idempotency_key(header: str | None) -> str:
    """The checkout's Idempotency-Key, checked before anything is asked below: 400 without
    one (so a retried checkout never places the order twice) or with a malformed one."""
    if header is None or not header.strip():
        raise Problem(
            400,
            "Idempotency-Key required",
            "Send an Idempotency-Key header (1 to 255 printable characters, a new one per "
            "cart) so a retried checkout never places the order twice.",
            kind="idempotency-key-missing",
            errors=[{"field": "Idempotency-Key", "in": "header", "message": "is required"}],
        )
    if not _KEY.match(header.strip()):
        raise Problem(
            400,
            "Idempotency-Key invalid",
            "An Idempotency-Key is 1 to 255 printable ASCII characters.",
            kind="idempotency-key-invalid",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "message": "must be 1 to 255 printable ASCII characters",
                }
            ],
        )
    return header.strip()


def no_location(lines: Sequence[dict[str, Any]]) -> Problem:
    """No one location has every line: ``lines`` says, per line, the most one location has
    and how many there are in all."""
    short = ", ".join(
        f"{line['sku']} x{line['quantity']} (at most {line['best_location_available']} at one "
        f"location)"
        for line in lines
    )
    return Problem(
        409,
        "No location has the whole cart",
        f"No single location can fulfil every line: {short}. Lower the quantities, split "
        "the cart, or choose a location_id.",
        kind="no-location",
        lines=list(lines),
    )
