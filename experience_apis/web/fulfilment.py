"""Where a cart is fulfilled from when the shopper does not say: the location the
availability API says can fulfil every line, the one with the most of them first."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import Any

from experience_apis.common.bounded import gather_bounded
from experience_apis.common.clients import DownstreamError
from experience_apis.web import below
from experience_apis.web.client import WebCalls
from experience_apis.web.problems import no_location, passthrough, unknown_sku
from experience_apis.web.schemas import CartLine


async def choose_location(calls: WebCalls, lines: Sequence[CartLine], concurrency: int) -> str:
    """The location id; 422 naming the line of an unknown SKU, 409 ``no-location`` naming
    every line when no one location has them all."""
    answers = await gather_bounded(
        [partial(calls.availability, line.sku, line.quantity) for line in lines],
        concurrency,
    )
    stocks: list[below.Availability] = []
    for index, (line, answer) in enumerate(zip(lines, answers, strict=True)):
        if isinstance(answer, DownstreamError):
            if not answer.transient and answer.status == 404:
                raise unknown_sku(index, line.sku)
            raise passthrough(answer)
        stocks.append(answer)
    chosen = best_location(stocks)
    if chosen is None:
        shortfalls = [_shortfall(line, stock) for line, stock in zip(lines, stocks, strict=True)]
        raise no_location(shortfalls)
    return chosen


def best_location(stocks: Sequence[below.Availability]) -> str | None:
    """The location that can fulfil every line, with the most units of the cart's SKUs (the
    lowest id among equals, so the choice is stable)."""
    totals: dict[str, int] | None = None
    for stock in stocks:
        fulfilling = {row.location_id: row.available for row in stock.locations if row.can_fulfil}
        if totals is None:
            totals = fulfilling
        else:
            totals = {
                location: total + fulfilling[location]
                for location, total in totals.items()
                if location in fulfilling
            }
    if not totals:
        return None
    return min(totals, key=lambda location: (-totals[location], location))


def _shortfall(line: CartLine, stock: below.Availability) -> dict[str, Any]:
    return {
        "sku": line.sku,
        "quantity": line.quantity,
        "best_location_available": max((row.available for row in stock.locations), default=0),
        "total_available": stock.total_available,
        "locations_with_enough": [row.location_id for row in stock.locations if row.can_fulfil],
    }
