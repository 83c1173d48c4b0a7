"""Where a whole cart can be fulfilled from: the locations that have every line, best first.

Sourcing is a business rule, so it lives here rather than in the experience layer: a
location qualifies when it has every line's quantity available now; among those the one
holding the most units of the cart's SKUs comes first (the lowest id among equals, so the
choice is stable). When none qualifies, each line says how short it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from process_apis.clients import DownstreamError, SystemClients
from process_apis.inventory.client import InventoryCalls
from process_apis.inventory.schemas import (
    CartLine,
    FulfilmentLocation,
    FulfilmentOptions,
    LineShortfall,
)
from strata.errors import Problem
from system_apis.canonical import Location, Product, StockLevel


def unknown_sku(index: int, sku: str) -> Problem:
    field, message = f"lines.{index}.sku", f"no product {sku!r}"
    return Problem(
        422,
        "Invalid request",
        f"{field}: {message}",
        kind="validation",
        errors=[{"field": field, "in": "body", "message": message}],
    )


class FulfilmentService:
    def __init__(self, clients: SystemClients) -> None:
        self.clients = clients

    async def options(
        self, lines: Sequence[CartLine], authorization: str | None
    ) -> FulfilmentOptions:
        calls = InventoryCalls(self.clients, authorization)
        # Every call runs to its end, so none is left behind when another fails.
        products, stocks, locations = await asyncio.gather(
            asyncio.gather(*(calls.product(line.sku) for line in lines), return_exceptions=True),
            asyncio.gather(*(calls.stock(line.sku) for line in lines), return_exceptions=True),
            calls.locations(),
            return_exceptions=True,
        )
        for index, (line, product) in enumerate(zip(lines, _listed(products), strict=True)):
            _check(product, index, line.sku)
        levels = [_levels(stock) for stock in _listed(stocks)]
        if isinstance(locations, BaseException):
            _raise(locations)
        assert isinstance(locations, list)
        return _options(lines, levels, {place.id: place for place in locations})


def _listed(answers: object) -> list[object]:
    if isinstance(answers, BaseException):
        _raise(answers)
    assert isinstance(answers, list)
    return answers


def _check(answer: object, index: int, sku: str) -> None:
    if isinstance(answer, DownstreamError) and answer.status == 404 and not answer.transient:
        raise unknown_sku(index, sku)
    if isinstance(answer, BaseException):
        _raise(answer)
    assert isinstance(answer, Product)


def _levels(answer: object) -> list[StockLevel]:
    if isinstance(answer, BaseException):
        _raise(answer)
    assert isinstance(answer, list)
    return answer


def _raise(error: BaseException) -> None:
    if isinstance(error, DownstreamError):
        raise error.as_problem()
    raise error


def _options(
    lines: Sequence[CartLine], levels: Sequence[list[StockLevel]], places: dict[str, Location]
) -> FulfilmentOptions:
    available = [
        {level.location_id: level.available for level in stock if level.location_id in places}
        for stock in levels
    ]
    rows = []
    for location_id, place in places.items():
        units = [per_line.get(location_id, 0) for per_line in available]
        fulfils = all(have >= line.quantity for have, line in zip(units, lines, strict=True))
        rows.append(
            FulfilmentLocation(
                location_id=location_id,
                code=place.code,
                name=place.name,
                fulfils_all=fulfils,
                units=sum(units),
            )
        )
    rows.sort(key=lambda row: (not row.fulfils_all, -row.units, row.location_id))
    best = rows[0].location_id if rows and rows[0].fulfils_all else None
    shortfalls = [] if best else _shortfalls(lines, available)
    return FulfilmentOptions(best=best, locations=rows, shortfalls=shortfalls)


def _shortfalls(
    lines: Sequence[CartLine], available: Sequence[dict[str, int]]
) -> list[LineShortfall]:
    return [
        LineShortfall(
            sku=line.sku,
            quantity=line.quantity,
            total_available=sum(per_line.values()),
            best_location_available=max(per_line.values(), default=0),
            locations_with_enough=sorted(
                location for location, have in per_line.items() if have >= line.quantity
            ),
        )
        for line, per_line in zip(lines, available, strict=True)
    ]
