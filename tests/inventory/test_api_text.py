"""Strings through the inventory system API: control characters in a request are 422 naming
the field, and a store record holding one is a 502 naming the record and field (never a 500,
never passed on)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from inventory.support import SKU, WAREHOUSE, WAREHOUSE_ID
from strata.db import Database
from system_apis.backends.inventory.models import InventoryLocation, InventoryProduct
from system_apis.backends.inventory.seed import product_id


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"external_id": "order-1\x01"}, "external_id"),
        ({"sku": "FUR\x00001"}, "sku"),
        ({"location_id": f"{WAREHOUSE_ID}\x7f"}, "location_id"),
    ],
)
async def test_control_characters_in_a_reservation_are_422(
    api: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    body = {"sku": SKU, "location_id": WAREHOUSE_ID, "quantity": 1} | changes
    problem = problem_of(await api.post("/reservations", json=body), 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert "control character" in problem["errors"][0]["message"]


async def test_a_control_character_in_an_adjustment_sku_is_422(api: httpx.AsyncClient) -> None:
    body = {"sku": "FUR-001\x1b", "location_id": WAREHOUSE_ID, "delta": 1}
    problem = problem_of(await api.post("/stock/adjustments", json=body), 422)
    assert [error["field"] for error in problem["errors"]] == ["sku"]


async def set_columns(database: Database, model: Any, record_id: int, **values: Any) -> None:
    async with database.session() as session:
        await session.execute(update(model).where(model.id == record_id).values(**values))


async def test_a_product_the_canonical_model_refuses_is_a_clear_502(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    await set_columns(seeded, InventoryProduct, product_id(1), title="Desk\x01Chair")
    problem = problem_of(await api.get(f"/products/{SKU}"), 502)
    assert problem["type"].endswith("/invalid-backend-data")
    assert (problem["system"], problem["resource"]) == ("inventory", "product")
    assert (problem["id"], problem["field"]) == (SKU, "name")
    listed = problem_of(await api.get("/products", params={"sku": SKU}), 502)
    assert (listed["id"], listed["field"]) == (str(product_id(1)), "name")


async def test_a_location_is_named_with_the_whole_path_of_the_field(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    await set_columns(seeded, InventoryLocation, WAREHOUSE, city="Sacra\x08mento")
    problem = problem_of(await api.get("/locations"), 502)
    assert (problem["resource"], problem["id"]) == ("location", WAREHOUSE_ID)
    assert problem["field"] == "address.city"
    stock = problem_of(await api.get("/stock", params={"sku": SKU}), 502)
    assert stock["field"] == "address.city"


async def test_a_two_line_street_is_read(api: httpx.AsyncClient, seeded: Database) -> None:
    await set_columns(seeded, InventoryLocation, WAREHOUSE, address1="1 Dock Rd", address2="Gate 4")
    response = await api.get("/locations", params={"limit": 200})
    assert response.status_code == 200, response.text
    [warehouse] = [item for item in response.json()["items"] if item["id"] == WAREHOUSE_ID]
    assert warehouse["address"]["street"] == "1 Dock Rd\nGate 4"
