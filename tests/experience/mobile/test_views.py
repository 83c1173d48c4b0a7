"""Compact shaping of what the layers below answer: money strings, and /me's balance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from experience_apis.mobile import upstream, views
from experience_apis.mobile.schemas import amount, compact

WHEN = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("180.0000", "180.00"), ("10", "10.00"), ("0.125", "0.125"), ("1E+2", "100.00")],
)
def test_money_is_a_decimal_string_with_at_least_cents(value: str, shown: str) -> None:
    assert amount(Decimal(value)) == shown


def money(value: str, currency: str) -> dict[str, str]:
    return {"amount": value, "currency": currency}


def invoice(number: int, total: dict[str, str], due: dict[str, str], day: int) -> dict[str, Any]:
    return {
        "id": str(number),
        "number": f"INV-{number}",
        "order_id": str(number),
        "status": "open" if Decimal(due["amount"]) else "paid",
        "total": total,
        "amount_due": due,
        "created_at": WHEN.replace(day=day).isoformat(),
    }


def overview(**parts: Any) -> upstream.Overview:
    profile = {"id": "C1", "name": "Ada", "email": "ada@example.com"}
    return upstream.Overview.model_validate({"customer_id": "C1", "profile": profile, **parts})


def test_me_states_the_balance_in_the_currency_last_invoiced() -> None:
    many = overview(
        invoices=[
            invoice(1, money("10.00", "USD"), money("10.00", "USD"), 1),
            invoice(2, money("7.50", "EUR"), money("7.5000", "EUR"), 2),
            invoice(3, money("3.00", "EUR"), money("0.00", "EUR"), 3),
        ],
        open_balance=[
            {"open": money("7.5000", "EUR"), "open_invoices": 1},
            {"open": money("10.00", "USD"), "open_invoices": 1},
        ],
    )

    assert compact(views.me(many)) == {
        "id": "C1",
        "name": "Ada",
        "email": "ada@example.com",
        "balance": "7.50",
        "currency": "EUR",
        "open_invoices": 2,
        "other_balances": [{"amount": "10.00", "currency": "USD"}],
    }


def test_me_of_a_customer_never_invoiced_states_no_balance() -> None:
    never = overview(invoices=[], open_balance=[])
    paid_up = overview(
        invoices=[invoice(1, money("5", "USD"), money("0", "USD"), 1)], open_balance=[]
    )

    assert compact(views.me(never)) == {
        "id": "C1",
        "name": "Ada",
        "email": "ada@example.com",
        "open_invoices": 0,
    }
    assert compact(views.me(paid_up))["balance"] == "0.00"
    assert compact(views.me(paid_up))["currency"] == "USD"
