"""The inventory system API's stock adjustments and reservations."""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest

from inventory.support import SKU, WAREHOUSE_ID, FakeClock, read_level, set_available
from strata.db import Database
from system_apis.canonical import Reservation, ReservationStatus, StockLevel


async def _reserve(api: httpx.AsyncClient, quantity: int = 1, **extra: Any) -> httpx.Response:
    body = {"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": quantity, **extra}
    return await api.post("/reservations", json=body)


async def _warehouse_stock(api: httpx.AsyncClient) -> StockLevel:
    response = await api.get("/stock", params={"sku": SKU, "location_id": WAREHOUSE_ID})
    return StockLevel.model_validate(response.json()["items"][0])


# --- adjustments --------------------------------------------------------------------------


async def test_an_adjustment_counts_units_in(
    api: httpx.AsyncClient, shop: httpx.AsyncClient, seeded: Database
) -> None:
    await set_available(shop, 10)
    response = await api.post(
        "/stock/adjustments", json={"sku": SKU, "location_id": WAREHOUSE_ID, "delta": 5}
    )
    assert response.status_code == 200
    level = StockLevel.model_validate(response.json())
    assert (level.location_code, level.on_hand, level.available) == ("WH-SAC", 15, 15)
    assert (await read_level(seeded)).on_hand == 15


async def test_a_compare_and_set_adjustment(
    api: httpx.AsyncClient, shop: httpx.AsyncClient
) -> None:
    await set_available(shop, 10)
    body = {"sku": SKU, "location_id": WAREHOUSE_ID, "delta": -4, "expected_available": 10}
    applied = await api.post("/stock/adjustments", json=body)
    assert applied.status_code == 200
    assert applied.json()["available"] == 6

    stale = await api.post("/stock/adjustments", json=body)
    assert stale.status_code == 409
    problem = stale.json()
    assert problem["type"].endswith("/stale-expectation")
    assert (problem["expected_available"], problem["available"]) == (10, 6)
    assert (await _warehouse_stock(api)).available == 6


async def test_taking_out_more_than_is_available_is_409(
    api: httpx.AsyncClient, shop: httpx.AsyncClient
) -> None:
    await set_available(shop, 3)
    response = await api.post(
        "/stock/adjustments", json={"sku": SKU, "location_id": WAREHOUSE_ID, "delta": -4}
    )
    assert response.status_code == 409
    assert response.json()["type"].endswith("/insufficient-stock")
    assert response.json()["available"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"sku": SKU, "location_id": WAREHOUSE_ID, "delta": "5"}, "delta"),
        ({"sku": SKU, "location_id": WAREHOUSE_ID, "delta": 10**10}, "delta"),
        ({"sku": SKU, "location_id": WAREHOUSE_ID, "delta": -5, "expected_available": 2}, "delta"),
        (
            {"sku": SKU, "location_id": WAREHOUSE_ID, "delta": 5, "expected_available": -1},
            "expected_available",
        ),
        ({"sku": "", "location_id": WAREHOUSE_ID, "delta": 5}, "sku"),
        ({"location_id": WAREHOUSE_ID, "delta": 5}, "sku"),
    ],
)
async def test_wrong_adjustments_are_422_naming_the_field(
    api: httpx.AsyncClient, body: dict[str, Any], field: str
) -> None:
    response = await api.post("/stock/adjustments", json=body)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == field


async def test_adjusting_unknown_things_is_404(api: httpx.AsyncClient) -> None:
    for body, resource in (
        ({"sku": "NOPE", "location_id": WAREHOUSE_ID}, "product"),
        ({"sku": SKU, "location_id": "12345"}, "location"),
        ({"sku": SKU, "location_id": "WH-SAC"}, "location"),
    ):
        response = await api.post("/stock/adjustments", json={**body, "delta": 1})
        assert response.status_code == 404, body
        assert response.json()["resource"] == resource


async def test_malformed_json_is_422(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/stock/adjustments", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


# --- reservations -------------------------------------------------------------------------


async def test_a_reservation_holds_units(api: httpx.AsyncClient, shop: httpx.AsyncClient) -> None:
    await set_available(shop, 10)
    response = await _reserve(api, 4, external_id="order-1-line-1", ttl_seconds=600)
    assert response.status_code == 201
    reservation = Reservation.model_validate(response.json())
    assert (reservation.sku, reservation.location_id, reservation.quantity) == (
        SKU,
        WAREHOUSE_ID,
        4,
    )
    assert reservation.status == ReservationStatus.HELD
    assert (reservation.expires_at - reservation.created_at).total_seconds() == 600
    assert response.headers["location"].endswith(f"/reservations/{reservation.id}")

    stock = await _warehouse_stock(api)
    assert (stock.on_hand, stock.committed, stock.available) == (10, 4, 6)
    read = await api.get(f"/reservations/{reservation.id}")
    assert Reservation.model_validate(read.json()) == reservation


async def test_the_same_external_id_returns_the_same_reservation(
    api: httpx.AsyncClient,
    shop: httpx.AsyncClient,
) -> None:
    await set_available(shop, 10)
    first = await _reserve(api, 2, external_id="cart-9")
    again = await _reserve(api, 2, external_id="cart-9")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (await _warehouse_stock(api)).available == 8

    clash = await _reserve(api, 5, external_id="cart-9")
    assert clash.status_code == 409
    assert clash.json()["type"].endswith("/external-id-conflict")


async def test_out_of_stock_is_409_naming_sku_location_and_available(
    api: httpx.AsyncClient,
    shop: httpx.AsyncClient,
) -> None:
    await set_available(shop, 3)
    response = await _reserve(api, 5)
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"].endswith("/insufficient-stock")
    assert (problem["sku"], problem["location_id"], problem["requested"], problem["available"]) == (
        SKU,
        WAREHOUSE_ID,
        5,
        3,
    )
    assert SKU in problem["detail"] and WAREHOUSE_ID in problem["detail"]


async def test_commit_is_idempotent_and_release_returns_the_units(
    api: httpx.AsyncClient,
    shop: httpx.AsyncClient,
) -> None:
    await set_available(shop, 10)
    reservation_id = (await _reserve(api, 3)).json()["id"]
    for _ in range(2):
        committed = await api.post(f"/reservations/{reservation_id}/commit")
        assert committed.status_code == 200
        assert committed.json()["status"] == "committed"
    stock = await _warehouse_stock(api)
    assert (stock.committed, stock.available) == (3, 7)

    for _ in range(2):
        released = await api.post(f"/reservations/{reservation_id}/release")
        assert released.status_code == 200
        assert released.json()["status"] == "released"
    stock = await _warehouse_stock(api)
    assert (stock.on_hand, stock.committed, stock.available) == (10, 0, 10)

    refused = await api.post(f"/reservations/{reservation_id}/commit")
    assert refused.status_code == 409
    assert refused.json()["type"].endswith("/reservation-state")
    assert refused.json()["reservation_status"] == "released"


async def test_an_expired_reservation_cannot_be_committed(
    api: httpx.AsyncClient,
    shop: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    reservation_id = (await _reserve(api, 3, ttl_seconds=60)).json()["id"]
    clock.advance(seconds=61)
    read = await api.get(f"/reservations/{reservation_id}")
    assert read.json()["status"] == "expired"
    assert (await _warehouse_stock(api)).available == 10
    refused = await api.post(f"/reservations/{reservation_id}/commit")
    assert refused.status_code == 409
    assert refused.json()["reservation_status"] == "expired"
    released = await api.post(f"/reservations/{reservation_id}/release")
    assert (released.status_code, released.json()["status"]) == (200, "expired")


async def test_unknown_reservations_are_404(api: httpx.AsyncClient) -> None:
    for method, path in (
        ("GET", "/reservations/424242"),
        ("GET", "/reservations/abc"),
        ("POST", "/reservations/424242/commit"),
        ("POST", f"/reservations/{'9' * 30}/release"),
    ):
        response = await api.request(method, path)
        assert response.status_code == 404, path
        assert response.json()["resource"] == "reservation"


async def test_reserving_unknown_things_is_404(api: httpx.AsyncClient) -> None:
    unknown_sku = await api.post(
        "/reservations", json={"sku": "NOPE", "location_id": WAREHOUSE_ID, "quantity": 1}
    )
    assert (unknown_sku.status_code, unknown_sku.json()["resource"]) == (404, "product")
    for location in ("999999", "WH-SAC"):
        response = await api.post(
            "/reservations", json={"sku": SKU, "location_id": location, "quantity": 1}
        )
        assert (response.status_code, response.json()["resource"]) == (404, "location")


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"quantity": 0}, "quantity"),
        ({"quantity": 2.5}, "quantity"),
        ({"quantity": 10**10}, "quantity"),
        ({"ttl_seconds": 0}, "ttl_seconds"),
        ({"ttl_seconds": 31 * 86400}, "ttl_seconds"),
        ({"external_id": "x" * 256}, "external_id"),
        ({"colour": "red"}, "colour"),
    ],
)
async def test_wrong_reservations_are_422_naming_the_field(
    api: httpx.AsyncClient, extra: dict[str, Any], field: str
) -> None:
    body = {"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": 1, **extra}
    response = await api.post("/reservations", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


async def test_thirty_callers_racing_for_ten_units(
    api: httpx.AsyncClient, shop: httpx.AsyncClient
) -> None:
    await set_available(shop, 10)
    responses = await asyncio.gather(*(_reserve(api) for _ in range(30)))
    assert Counter(r.status_code for r in responses) == {201: 10, 409: 20}
    stock = await _warehouse_stock(api)
    assert (stock.on_hand, stock.committed, stock.available) == (10, 10, 0)
