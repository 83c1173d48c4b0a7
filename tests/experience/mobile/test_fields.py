"""Sparse fieldsets: ``?fields=`` trims every GET to the fields asked for (and the id), and
refuses a field the answer does not have."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from experience.mobile.helpers import PROBLEM_JSON, place, signed_in
from experience.support import ExperienceStack
from experience_apis.mobile.fields import FieldSelection, parse_fields, sparse_fields
from strata.errors import Problem

ALLOWED = ("id", "name", "price")


def test_a_selection_keeps_what_was_asked_and_the_key() -> None:
    selection = parse_fields(" name ,name,", ALLOWED, "id")
    item = {"id": "1", "name": "Desk", "price": "9.00"}

    assert selection == FieldSelection(frozenset({"id", "name"}))
    assert selection.apply(item) == {"id": "1", "name": "Desk"}
    assert parse_fields(None, ALLOWED, "id").apply(item) == item
    assert parse_fields("id", ALLOWED, "id").apply(item) == {"id": "1"}


@pytest.mark.parametrize("raw", ["", " , ", "name,colour", "Name"])
def test_unknown_or_empty_selections_are_refused(raw: str) -> None:
    with pytest.raises(Problem) as refused:
        parse_fields(raw, ALLOWED, "id")

    assert refused.value.status == 422
    body = refused.value.body()
    assert body["errors"][0]["field"] == "fields"
    assert "allowed: id, name, price" in body["errors"][0]["message"]
    assert body["allowed_fields"] == list(ALLOWED)


def test_a_model_without_its_key_field_is_a_programming_error() -> None:
    class NoId(BaseModel):
        name: str

    with pytest.raises(ValueError, match="no 'id' field"):
        sparse_fields(NoId)


async def test_every_get_trims_to_the_fields_asked_for(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    order = await place(dana, "fields-1")

    me = await dana.get("/me", fields="name,balance")
    orders = await dana.get("/me/orders", fields="status,total", limit=1)
    one = await dana.get(f"/me/orders/{order['id']}", fields="lines")
    invoices = await dana.get("/me/invoices", fields="number", limit=1)
    products = await dana.get("/products", fields="available", limit=2)
    product = await dana.get("/products/FUR-001-SIL", fields="name,locations")

    assert me.json().keys() == {"id", "name", "balance"}
    assert orders.json()["items"] == [{"id": order["id"], "status": "confirmed", "total": "100.00"}]
    assert orders.json()["next_cursor"] is None
    assert one.json() == {"id": order["id"], "lines": order["lines"]}
    assert invoices.json()["items"][0].keys() == {"id", "number"}
    assert invoices.json()["next_cursor"] is not None  # kept, whatever the fields
    assert [item.keys() for item in products.json()["items"]] == [{"sku", "available"}] * 2
    assert product.json().keys() == {"sku", "name", "locations"}


async def test_a_field_the_answer_does_not_have_is_422_listing_the_allowed(
    stack: ExperienceStack,
) -> None:
    dana = await signed_in(stack, "dana")
    cases = {
        "/me": "id, name, email, phone, balance, currency, open_invoices, other_balances, degraded",
        "/me/orders": "id, status, placed_at, total, currency, items, invoice, due",
        "/me/invoices": "id, number, status, total, currency, due, due_date, issued_at, order_id",
        "/products": "sku, name, price, currency, available",
        "/products/FUR-001-SIL": "sku, name, price, currency, available, locations",
        "/me/orders/ord_unknown": "id, status, placed_at, total, currency, items, invoice, due, "
        "location_id, lines, paid, paid_at",
    }

    for path, allowed in cases.items():
        answer = await dana.get(path, fields="name,next_cursor")
        assert answer.status_code == 422, path
        assert answer.headers["content-type"] == PROBLEM_JSON
        error = answer.json()["errors"][0]
        assert error["field"] == "fields" and error["in"] == "query"
        assert "next_cursor" in error["message"] and error["message"].endswith(allowed)
