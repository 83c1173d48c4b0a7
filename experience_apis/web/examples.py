"""Examples for the web API's documentation, in the shapes of its schemas."""

from __future__ import annotations

from typing import Any


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "USD"}


def documented(example: dict[str, Any], description: str = "OK") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


PRODUCT: dict[str, Any] = {
    "sku": "FUR-001-GRA",
    "name": "Ergonomic Chair (Graphite)",
    "description": "Ergonomic Chair in graphite finish.",
    "category": "furniture",
    "price": _money("95.00"),
    "active": True,
    "available": 159,
    "in_stock": True,
    "locations": [
        {
            "location_id": "71043000004",
            "code": "WH-SAC",
            "name": "Sacramento Warehouse",
            "available": 121,
        },
        {
            "location_id": "71043000001",
            "code": "SFO-1",
            "name": "San Francisco Flagship",
            "available": 38,
        },
    ],
}

ORDER_SUMMARY: dict[str, Any] = {
    "id": "ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e",
    "status": "confirmed",
    "placed_at": "2026-11-25T14:30:00Z",
    "total": _money("190.00"),
    "item_count": 2,
    "invoice_number": "INV-10057",
    "invoice_status": "open",
    "amount_due": _money("190.00"),
}

_STEPS = (
    "check_customer",
    "price_lines",
    "reserve_stock",
    "create_sales_order",
    "create_invoice",
    "commit_reservations",
    "record_activity",
)

ORDER: dict[str, Any] = {
    "id": "ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e",
    "status": "confirmed",
    "placed_at": "2026-11-25T14:30:00Z",
    "updated_at": "2026-11-25T14:30:01Z",
    "location_id": "71043000004",
    "lines": [
        {
            "sku": "FUR-001-GRA",
            "name": "Ergonomic Chair (Graphite)",
            "quantity": 2,
            "unit_price": _money("95.00"),
            "amount": _money("190.00"),
        }
    ],
    "total": _money("190.00"),
    "amount_paid": None,
    "paid_at": None,
    "sales_order": {"number": "SO-10093", "status": "pending_fulfillment"},
    "invoice": {
        "number": "INV-10057",
        "status": "open",
        "total": _money("190.00"),
        "amount_due": _money("190.00"),
        "due_date": "2026-12-25",
    },
    "can_pay": True,
    "failure": None,
    "trace": [
        {
            "step": step,
            "status": "succeeded",
            "attempts": 1,
            "started_at": "2026-11-25T14:30:00Z",
            "finished_at": "2026-11-25T14:30:00Z",
            "error": None,
            "undone": None,
        }
        for step in _STEPS
    ],
    "degraded": [],
}

PAID_ORDER: dict[str, Any] = {
    **ORDER,
    "status": "paid",
    "amount_paid": _money("190.00"),
    "paid_at": "2026-11-26T09:00:00Z",
    "invoice": {**ORDER["invoice"], "status": "paid", "amount_due": _money("0.00")},
    "can_pay": False,
}

DASHBOARD: dict[str, Any] = {
    "customer": {
        "id": "001Dn0000000001IAA",
        "name": "Globex Manufacturing Corp.",
        "email": "globex1@example.com",
        "phone": "+1-415-555-1001",
        "kind": "company",
        "first_name": None,
        "last_name": None,
        "industry": "Manufacturing",
        "billing_address": {
            "street": "9188 Oak Ave",
            "city": "Sacramento",
            "state": "CA",
            "postal_code": "95804",
            "country": "US",
        },
    },
    "balance": [{"open": _money("345.99"), "open_invoices": 1}],
    "recent_orders": [ORDER_SUMMARY],
    "invoices": [
        {
            "id": "2",
            "number": "INV-10002",
            "status": "open",
            "total": _money("345.99"),
            "amount_due": _money("345.99"),
            "due_date": "2025-10-29T00:00:00Z",
            "created_at": "2025-09-29T17:53:00Z",
        }
    ],
    "activity": [
        {
            "id": "00TDn0000000003MAA",
            "kind": "order",
            "subject": "Order #2",
            "status": "completed",
            "occurred_at": "2025-09-29T17:53:00Z",
            "description": "5 item(s), total USD 345.99; status pending approval.",
        }
    ],
    "degraded": [],
}
