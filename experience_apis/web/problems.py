"""The web API's own problems, and the layer below's problems passed on as this API's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from experience_apis.common.clients import DownstreamError
from experience_apis.common.problems import passed_headers, passed_members, refusal
from strata.errors import NotFound, Problem

# A failure below is described afresh (naming the API that failed); these it replaces.
_DESCRIBED = frozenset({"system", "upstream_status", "errors"})
_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def passthrough(error: DownstreamError) -> Problem:
    """The problem an API below answered, as this API's. A failure below is 502/503/504
    naming the API, with what else it said (the order it rolled back...); a refusal (409
    out of stock, 422 naming a field...) keeps its status, type and members."""
    if not error.transient:
        return refusal(error)
    problem = error.as_problem()
    # What it says beyond the failure (the order it rolled back...) still helps.
    members = passed_members(error)
    problem.extensions = {
        **{k: v for k, v in members.items() if k not in _DESCRIBED},
        **problem.extensions,
    }
    problem.headers.update(passed_headers(error))
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
