"""The ERP system API's customers: upserting a canonical customer, and the ERP's view."""

from __future__ import annotations

import httpx

from erp.api import CUSTOMER, assert_problem, canonical_customer, error_fields
from erp.native import RECORDS, parse
from strata.db import Database
from system_apis.demo import DemoWorld


async def test_put_creates_then_updates_the_erp_customer(
    api: httpx.AsyncClient,
    erp: httpx.AsyncClient,
) -> None:
    created = await api.put(f"/customers/{CUSTOMER}", json=canonical_customer())
    assert created.status_code == 201
    account = created.json()
    assert account["customer_id"] == CUSTOMER
    assert account["number"] == "CUST-00001"
    assert account["kind"] == "company"
    assert account["name"] == "Vandelay Industries"
    assert account["billing_address"]["postal_code"] == "10024"
    assert account["balance"] == {"amount": "0.00", "currency": "USD"}

    renamed = canonical_customer(name="Vandelay Industries Intl.", active=False)
    updated = await api.put(f"/customers/{CUSTOMER}", json=renamed)
    assert updated.status_code == 200
    assert updated.json()["erp_id"] == account["erp_id"]
    assert updated.json()["active"] is False

    native = parse(await erp.get(f"{RECORDS}/customer/eid:{CUSTOMER}"))
    assert native.findtext("companyName") == "Vandelay Industries Intl."
    assert native.findtext("isInactive") == "true"


async def test_a_person_is_stored_with_first_and_last_name(
    api: httpx.AsyncClient,
    erp: httpx.AsyncClient,
) -> None:
    person = canonical_customer(
        kind="person", name="Grace Hopper", first_name="Grace", last_name="Hopper"
    )
    account = (await api.put(f"/customers/{CUSTOMER}", json=person)).json()
    assert (account["kind"], account["name"]) == ("person", "Grace Hopper")
    native = parse(await erp.get(f"{RECORDS}/customer/eid:{CUSTOMER}"))
    assert (
        native.findtext("isPerson"),
        native.findtext("firstName"),
        native.findtext("lastName"),
    ) == ("true", "Grace", "Hopper")


async def test_the_body_must_be_the_customer_in_the_url(api: httpx.AsyncClient) -> None:
    body = assert_problem(await api.put("/customers/OTHER-1", json=canonical_customer()), 422)
    assert error_fields(body) == ["id"]


async def test_values_the_erp_refuses_are_422_on_the_canonical_field(
    api: httpx.AsyncClient,
) -> None:
    cases = {
        "name": canonical_customer(name="N" * 84),
        "billing_address.country": canonical_customer(
            billing_address={"city": "Paris", "country": "FRA"}
        ),
        "email": canonical_customer(email="not an email"),
    }
    for field, customer in cases.items():
        body = assert_problem(await api.put(f"/customers/{CUSTOMER}", json=customer), 422)
        assert error_fields(body) == [field], body


async def test_malformed_bodies_and_ids_are_422(api: httpx.AsyncClient) -> None:
    assert_problem(
        await api.put(
            f"/customers/{CUSTOMER}",
            content=b"{not json",
            headers={"content-type": "application/json"},
        ),
        422,
    )
    assert_problem(await api.put(f"/customers/{CUSTOMER}", json={"id": CUSTOMER}), 422)
    assert_problem(await api.get("/customers/bad%20id"), 422)


async def test_an_unknown_customer_is_404_naming_it(api: httpx.AsyncClient) -> None:
    body = assert_problem(await api.get("/customers/NOBODY-1"), 404)
    assert (body["resource"], body["id"]) == ("customer", "NOBODY-1")


async def test_a_seeded_customer_shows_what_they_owe(
    seeded: Database,
    world: DemoWorld,
    api: httpx.AsyncClient,
) -> None:
    owing = next(o for o in world.orders if o.invoice_paid is False)
    unpaid = sum(
        o.total
        for o in world.orders
        if o.customer_crm_id == owing.customer_crm_id and o.invoice_paid is False
    )
    account = (await api.get(f"/customers/{owing.customer_crm_id}")).json()
    assert account["balance"]["amount"] == f"{unpaid:.2f}"
    # Seeded invoices are long past due.
    assert account["overdue_balance"] == account["balance"]
    assert account["balances"][0]["open_invoices"] >= 1
