"""Where a cart is fulfilled from when the shopper does not say: the availability process
API's choice (sourcing is a business rule; this layer only asks and passes the answer on)."""

from __future__ import annotations

from collections.abc import Sequence

from experience_apis.common.clients import DownstreamError
from experience_apis.web.client import WebCalls
from experience_apis.web.problems import no_location, passthrough
from experience_apis.web.schemas import CartLine


async def choose_location(calls: WebCalls, lines: Sequence[CartLine]) -> str:
    """The location id; the process API's 422 naming the line of an unknown SKU, 409
    ``no-location`` naming every line when no one location has them all."""
    try:
        options = await calls.fulfilment(
            [{"sku": line.sku, "quantity": line.quantity} for line in lines]
        )
    except DownstreamError as error:
        raise passthrough(error) from None
    if options.best is None:
        raise no_location([shortfall.model_dump() for shortfall in options.shortfalls])
    return options.best
