"""/me and the catalog: composed from the customer 360 and the availability API, live."""

from __future__ import annotations

from decimal import Decimal

from experience.mobile.helpers import PROBLEM_JSON, assert_no_nulls, place, signed_in
from experience.support import ExperienceStack
from strata.settings import FaultSettings


async def test_me_is_the_customer_360_in_brief(stack: ExperienceStack) -> None:
    eli = await signed_in(stack, "eli")
    overview = (
        await stack.below("process", "customers").get(
            f"/customers/{eli.customer_id}/overview", headers=eli.headers
        )
    ).json()

    before = (await eli.get("/me")).json()
    order = await place(eli, "me-1", qty=3)
    after = (await eli.get("/me")).json()
    await eli.post(f"/me/orders/{order['id']}/payments")
    paid = (await eli.get("/me")).json()

    profile = overview["profile"]
    assert_no_nulls(before)
    assert before["id"] == eli.customer_id
    assert before["name"] == profile["name"] and before["email"] == profile["email"]
    assert before.get("phone") == profile["phone"]
    [open_balance] = overview["open_balance"] or [
        {"open": {"amount": "0", "currency": "USD"}, "open_invoices": 0}
    ]
    assert Decimal(before["balance"]) == Decimal(open_balance["open"]["amount"])
    assert before["currency"] == "USD"
    assert before["open_invoices"] == open_balance["open_invoices"]
    assert "degraded" not in before
    assert after["open_invoices"] == before["open_invoices"] + 1
    assert Decimal(after["balance"]) == Decimal(before["balance"]) + Decimal(order["total"])
    assert paid["open_invoices"] == before["open_invoices"]
    assert paid["balance"] == before["balance"]


async def test_with_the_erp_down_me_says_what_is_missing(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    stack.layers.fault_states["erp"].set(FaultSettings(outage=True))

    me = await dana.get("/me")
    invoices = await dana.get("/me/invoices")

    assert me.status_code == 200
    assert me.json()["degraded"] == ["invoices"]  # the ERP's orders are not shown here
    assert me.json()["name"]
    assert not {"balance", "currency", "open_invoices"} & me.json().keys()
    assert invoices.status_code == 503
    assert invoices.headers["content-type"] == PROBLEM_JSON
    assert invoices.json()["system"] == "erp"
    assert "etag" not in invoices.headers


async def test_with_the_crm_down_me_still_has_the_balance(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    whole = (await dana.get("/me")).json()
    stack.layers.fault_states["crm"].set(FaultSettings(outage=True))

    me = await dana.get("/me")

    assert me.status_code == 200
    assert me.json() == {
        "id": dana.customer_id,
        "balance": whole["balance"],
        "currency": whole["currency"],
        "open_invoices": whole["open_invoices"],
        "degraded": ["profile"],
    }


async def test_a_product_shows_what_each_location_has(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    availability = (
        await stack.below("process", "availability").get(
            "/availability/FUR-001-GRA", headers=dana.headers
        )
    ).json()

    answer = await dana.get("/products/FUR-001-GRA")
    listed = (await dana.get("/products", limit=1)).json()["items"][0]

    product = answer.json()
    assert answer.status_code == 200
    assert_no_nulls(product)
    assert product["sku"] == "FUR-001-GRA"
    assert product["name"] == availability["product"]["name"]
    assert product["price"] == availability["product"]["price"]["amount"]
    assert product["available"] == availability["total_available"]
    assert product["available"] == sum(loc["available"] for loc in product["locations"])
    counts = [loc["available"] for loc in product["locations"]]
    assert counts == sorted(counts, reverse=True)
    assert {loc["id"] for loc in product["locations"]} == {
        loc["location_id"] for loc in availability["locations"]
    }
    assert listed == {k: v for k, v in product.items() if k != "locations"}


async def test_unknown_and_malformed_skus(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")

    unknown = await dana.get("/products/NOPE-000")
    malformed = await dana.get("/products/-bad sku")

    assert unknown.status_code == 404
    assert unknown.json()["resource"] == "product" and unknown.json()["id"] == "NOPE-000"
    assert malformed.status_code == 422
    assert malformed.json()["errors"][0]["field"] == "sku"
    for answer in (unknown, malformed):
        assert answer.headers["content-type"] == PROBLEM_JSON


async def test_with_the_inventory_down_the_catalog_is_a_problem(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    stack.layers.fault_states["inventory"].set(FaultSettings(outage=True))

    listed = await dana.get("/products")
    one = await dana.get("/products/FUR-001-GRA")

    for answer in (listed, one):
        assert answer.status_code in (502, 503), answer.text
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["type"].rsplit("/", 1)[-1].startswith("upstream-")
