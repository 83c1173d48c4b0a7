"""Examples shown in the ERP system API's OpenAPI document."""

from __future__ import annotations

from typing import Any

CUSTOMER_ID = "001Dn0000000001IAA"

ORDER: dict[str, Any] = {
    "id": "93",
    "number": "SO-10093",
    "customer_id": CUSTOMER_ID,
    "external_id": "web-7f3a2c",
    "status": "pending_fulfillment",
    "lines": [
        {
            "sku": "ELE-004-GRA",
            "quantity": 2,
            "unit_price": {"amount": "129.00", "currency": "USD"},
            "amount": {"amount": "258.00", "currency": "USD"},
        }
    ],
    "total": {"amount": "258.00", "currency": "USD"},
    "created_at": "2026-11-25T10:15:00Z",
    "updated_at": "2026-11-25T10:15:00Z",
}

INVOICE: dict[str, Any] = {
    "id": "45",
    "number": "INV-10045",
    "order_id": "93",
    "customer_id": CUSTOMER_ID,
    "external_id": "inv-web-7f3a2c",
    "status": "open",
    "total": {"amount": "258.00", "currency": "USD"},
    "amount_due": {"amount": "258.00", "currency": "USD"},
    "due_date": "2026-12-25T00:00:00Z",
    "created_at": "2026-11-25T10:16:00Z",
    "updated_at": "2026-11-25T10:16:00Z",
}

ACCOUNT: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "erp_id": "1",
    "number": "CUST-00001",
    "kind": "company",
    "name": "Globex Manufacturing Corp.",
    "email": "globex1@example.com",
    "phone": "+1-415-555-1001",
    "billing_address": {
        "street": "512 Oak Ave",
        "city": "Portland",
        "state": "OR",
        "postal_code": "97214",
        "country": "US",
    },
    "active": True,
    "currency": "USD",
    "balance": {"amount": "258.00", "currency": "USD"},
    "overdue_balance": {"amount": "0.00", "currency": "USD"},
    "balances": [
        {
            "currency": "USD",
            "balance": {"amount": "258.00", "currency": "USD"},
            "overdue": {"amount": "0.00", "currency": "USD"},
            "open_invoices": 1,
        }
    ],
    "created_at": "2025-01-09T11:20:00Z",
    "updated_at": "2026-11-25T10:00:00Z",
}

CUSTOMER: dict[str, Any] = {
    "id": CUSTOMER_ID,
    "kind": "company",
    "name": "Globex Manufacturing Corp.",
    "email": "globex1@example.com",
    "phone": "+1-415-555-1001",
    "industry": "Manufacturing",
    "billing_address": ACCOUNT["billing_address"],
    "active": True,
    "created_at": "2025-01-09T11:20:00Z",
    "updated_at": "2026-11-25T10:00:00Z",
}

CREATE_ORDER: dict[str, Any] = {
    "customer_id": CUSTOMER_ID,
    "external_id": "web-7f3a2c",
    "currency": "USD",
    "lines": [{"sku": "ELE-004-GRA", "quantity": 2, "unit_price": "129.00"}],
}


def page_of(item: dict[str, Any]) -> dict[str, Any]:
    return {"items": [item], "next_cursor": "ZXJwMToyOjUw", "total": 51}


def json_example(example: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}
