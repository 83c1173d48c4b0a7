"""Strings through the ERP system API: what XML 1.0 cannot carry is refused with 422 naming
the field before any document is written, and an ERP record holding a character the
canonical model refuses is a 502 naming the record and field."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import update

from erp.api import (
    CUSTOMER,
    assert_problem,
    canonical_customer,
    create_order,
    error_fields,
    order_request,
    put_customer,
)
from strata.db import Database
from system_apis.backends.erp.models import ErpCustomer


async def test_a_control_character_in_an_invoice_external_id_is_422(
    api: httpx.AsyncClient,
) -> None:
    await put_customer(api)
    order = await create_order(api)
    response = await api.post(
        "/invoices", json={"order_id": str(order["id"]), "external_id": "x\u0012y"}
    )
    problem = assert_problem(response, 422)
    assert problem["errors"] == [
        {
            "field": "external_id",
            "in": "body",
            "message": "has a control character (U+0012 at index 1)",
        }
    ]
    invoices = (await api.get("/invoices", params={"order_id": order["id"]})).json()
    assert invoices["items"] == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"external_id": "web\x01"}, "external_id"),
        ({"memo": "ring the bell\x07"}, "memo"),
        ({"customer_id": f"{CUSTOMER}\x7f"}, "customer_id"),
        (
            {"lines": [{"sku": "ELE-004-GRA\x01", "quantity": 1, "unit_price": "1.00"}]},
            "lines.0.sku",
        ),
    ],
)
async def test_control_characters_in_an_order_are_422(
    api: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    await put_customer(api)
    response = await api.post("/orders", json=order_request(**changes))
    assert error_fields(assert_problem(response, 422)) == [field]


async def test_a_memo_keeps_its_lines(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    response = await api.post(
        "/orders", json=order_request(memo="Deliver to the back door.\nRing twice.\tThanks")
    )
    assert response.status_code == 201, response.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "Vandelay\x01 Industries"}, "name"),
        ({"email": "art@vandelay.example\x00"}, "email"),
        ({"billing_address": {"city": "New\x0bYork"}}, "billing_address.city"),
        ({"billing_address": {"street": "129 W 81st St\ufffe"}}, "billing_address.street"),
    ],
)
async def test_control_characters_in_a_customer_are_422(
    api: httpx.AsyncClient, changes: dict[str, Any], field: str
) -> None:
    response = await api.put(f"/customers/{CUSTOMER}", json=canonical_customer(**changes))
    assert error_fields(assert_problem(response, 422)) == [field]
    assert_problem(await api.get(f"/customers/{CUSTOMER}"), 404)


async def test_a_street_of_two_lines_and_unicode_names_pass(api: httpx.AsyncClient) -> None:
    customer = canonical_customer(
        name="Ünïcode Ψ Trading 🎉",
        billing_address={"street": "129 W 81st St\nApt 5", "city": "New York"},
    )
    response = await api.put(f"/customers/{CUSTOMER}", json=customer)
    assert response.status_code == 201, response.text
    assert response.json()["name"] == "Ünïcode Ψ Trading 🎉"


async def test_an_erp_record_the_canonical_model_refuses_is_a_clear_502(
    api: httpx.AsyncClient, database: Database
) -> None:
    account = await put_customer_account(api)
    async with database.session() as session:
        await session.execute(
            update(ErpCustomer)
            .where(ErpCustomer.internal_id == int(account["erp_id"]))
            .values(company_name="Vandelay\x7fIndustries")
        )
    problem = assert_problem(await api.get(f"/customers/{CUSTOMER}"), 502)
    assert problem["type"].endswith("/invalid-backend-data")
    assert (problem["system"], problem["resource"]) == ("erp", "customer")
    assert (problem["id"], problem["field"]) == (account["erp_id"], "name")
    assert "its name has a control character (U+007F at index 8)" in problem["detail"]


async def put_customer_account(api: httpx.AsyncClient) -> dict[str, Any]:
    response = await api.put(f"/customers/{CUSTOMER}", json=canonical_customer())
    assert response.status_code == 201, response.text
    account: dict[str, Any] = response.json()
    return account
