"""Helpers for calling the ERP system API in tests."""

from __future__ import annotations

from typing import Any

import httpx

CUSTOMER = "001Dn0000000042IAA"


def canonical_customer(customer_id: str = CUSTOMER, **changes: Any) -> dict[str, Any]:
    customer: dict[str, Any] = {
        "id": customer_id,
        "kind": "company",
        "name": "Vandelay Industries",
        "email": "art@vandelay.example",
        "phone": "+1-212-555-0142",
        "industry": "Manufacturing",
        "billing_address": {
            "street": "129 W 81st St",
            "city": "New York",
            "state": "NY",
            "postal_code": "10024",
            "country": "US",
        },
        "active": True,
        "created_at": "2025-05-01T10:00:00Z",
        "updated_at": "2025-05-01T10:00:00Z",
    }
    customer.update(changes)
    return customer


def order_request(
    external_id: str = "web-1", customer_id: str = CUSTOMER, **changes: Any
) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customer_id": customer_id,
        "external_id": external_id,
        "currency": "USD",
        "lines": [
            {"sku": "ELE-004-GRA", "quantity": 2, "unit_price": "129.00"},
            {"sku": "ACC-012-SIL", "quantity": 1, "unit_price": "12.49"},
        ],
    }
    order.update(changes)
    return order


async def put_customer(api: httpx.AsyncClient, customer_id: str = CUSTOMER) -> None:
    response = await api.put(f"/customers/{customer_id}", json=canonical_customer(customer_id))
    assert response.status_code in (200, 201), response.text


async def create_order(
    api: httpx.AsyncClient, external_id: str = "web-1", **changes: Any
) -> dict[str, Any]:
    response = await api.post("/orders", json=order_request(external_id, **changes))
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def create_invoice(
    api: httpx.AsyncClient, order_id: str, external_id: str = "inv-1"
) -> dict[str, Any]:
    response = await api.post("/invoices", json={"order_id": order_id, "external_id": external_id})
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def error_fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]
