"""Example bodies for the inventory system API's OpenAPI document (the demo world's data)."""

from __future__ import annotations

from typing import Any

from strata.errors import problem_responses

PRODUCT: dict[str, Any] = {
    "id": "44217300000001",
    "sku": "FUR-001-GRA",
    "name": "Ergonomic Chair (Graphite)",
    "description": "Ergonomic Chair in graphite finish.",
    "category": "furniture",
    "price": {"amount": "95.00", "currency": "USD"},
    "active": True,
}
LOCATION: dict[str, Any] = {
    "id": "71043000001",
    "code": "SFO-1",
    "name": "San Francisco Flagship",
    "address": {
        "street": "1 Market St",
        "city": "San Francisco",
        "state": "CA",
        "postal_code": "94105",
        "country": "US",
    },
    "latitude": 37.7941,
    "longitude": -122.395,
}
STOCK_LEVEL: dict[str, Any] = {
    "sku": "FUR-001-GRA",
    "location_id": "71043000004",
    "location_code": "WH-SAC",
    "on_hand": 121,
    "committed": 2,
    "available": 119,
    "updated_at": "2026-03-02T17:30:00Z",
}
RESERVATION: dict[str, Any] = {
    "id": "1",
    "sku": "FUR-001-GRA",
    "location_id": "71043000004",
    "quantity": 2,
    "status": "held",
    "external_id": "order-2026-000123-line-1",
    "expires_at": "2026-03-02T17:45:00Z",
    "created_at": "2026-03-02T17:30:00Z",
}


def page(item: dict[str, Any], next_cursor: str | None = "eyJwIjoi...") -> dict[str, Any]:
    return {"items": [item], "next_cursor": next_cursor, "total": None}


def documented(
    example: dict[str, Any],
    *problems: int,
    status: int = 200,
    description: str = "Successful response",
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses``: the success with its example, and each problem+json error."""
    return {
        status: {"description": description, "content": {"application/json": {"example": example}}},
        **problem_responses(*problems),
    }
