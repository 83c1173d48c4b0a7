"""The dashboard: the signed-in customer's own 360 and orders, degraded rather than failed."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from experience.support import ExperienceStack, bearer
from experience.web.shop import assert_problem, placed_order, signed_in
from strata.settings import FaultSettings


async def overview_of(stack: ExperienceStack, username: str) -> dict[str, Any]:
    async with stack.below("process", "customers") as below:
        answer = await below.get(
            f"/customers/{await stack.customer_id(username)}/overview",
            headers=await signed_in(stack, username),
        )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def order_ids_of(stack: ExperienceStack, username: str, limit: int) -> list[str]:
    async with stack.below("process", "orders") as below:
        answer = await below.get(
            "/orders",
            params={"customer_id": await stack.customer_id(username), "limit": limit},
            headers=await signed_in(stack, username),
        )
    assert answer.status_code == 200, answer.text
    return [order["id"] for order in answer.json()["items"]]


async def test_the_dashboard_shows_the_customers_own_data(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        placed = [await placed_order(web, dana, "FUR-001-GRA", 1) for _ in range(6)]
        await placed_order(web, await signed_in(stack, "eli"), "FUR-001-GRA", 1)
        answer = await web.get("/dashboard", headers=dana)

    assert answer.status_code == 200, answer.text
    board = answer.json()
    overview = await overview_of(stack, "dana")
    profile = overview["profile"]
    assert board["customer"]["id"] == await stack.customer_id("dana") == profile["id"]
    for field in ("name", "email", "phone", "kind", "billing_address"):
        assert board["customer"][field] == profile[field]
    assert board["degraded"] == []

    # The latest five of the customer's own orders, newest first, as the orders API lists them.
    assert [order["id"] for order in board["recent_orders"]] == placed[::-1][:5]
    assert [o["id"] for o in board["recent_orders"]] == await order_ids_of(stack, "dana", 5)
    latest = board["recent_orders"][0]
    assert latest["status"] == "confirmed"
    assert latest["invoice_status"] == "open"
    assert latest["amount_due"] == latest["total"]

    # The 360's invoices (the new orders' among them), balance and activity.
    assert [i["number"] for i in board["invoices"]] == [
        i["number"] for i in overview["invoices"][:10]
    ]
    assert len(board["invoices"]) == min(10, len(overview["invoices"]))
    assert latest["invoice_number"] in {i["number"] for i in board["invoices"]}
    first = overview["invoices"][0]
    assert (board["invoices"][0]["id"], board["invoices"][0]["status"]) == (
        first["id"],
        first["status"],
    )
    for money in ("total", "amount_due"):
        assert Decimal(board["invoices"][0][money]["amount"]) == Decimal(first[money]["amount"])
    assert [
        (Decimal(b["open"]["amount"]), b["open"]["currency"], b["open_invoices"])
        for b in board["balance"]
    ] == [
        (Decimal(b["open"]["amount"]), b["open"]["currency"], b["open_invoices"])
        for b in overview["open_balance"]
    ]
    assert board["balance"][0]["open_invoices"] >= 6
    assert [a["id"] for a in board["activity"]] == [
        a["id"] for a in overview["recent_activity"][:5]
    ]


async def test_each_customer_sees_only_their_own(stack: ExperienceStack) -> None:
    async with stack.api("web") as web:
        danas = await placed_order(web, await signed_in(stack, "dana"), "FUR-001-GRA", 1)
        eli = await web.get("/dashboard", headers=await signed_in(stack, "eli"))

    assert eli.status_code == 200
    assert eli.json()["customer"]["id"] == await stack.customer_id("eli")
    assert danas not in {order["id"] for order in eli.json()["recent_orders"]}
    assert eli.json()["recent_orders"] == []


async def test_erp_down_leaves_the_invoices_out(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, "FUR-001-GRA", 1)
        stack.layers.fault_states["erp"].set(FaultSettings(outage=True))
        try:
            answer = await web.get("/dashboard", headers=dana)
        finally:
            stack.layers.fault_states["erp"].clear()
        recovered = await web.get("/dashboard", headers=dana)

    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert sorted(board["degraded"]) == ["balance", "invoices"]
    assert board["invoices"] == board["balance"] == []
    assert board["customer"]["name"]  # the CRM still answers
    assert board["activity"]
    assert [order["id"] for order in board["recent_orders"]] == [order_id]
    assert recovered.json()["degraded"] == []
    assert recovered.json()["invoices"]


async def test_crm_down_leaves_the_profile_and_activity_out(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    stack.layers.fault_states["crm"].set(FaultSettings(outage=True))
    async with stack.api("web") as web:
        answer = await web.get("/dashboard", headers=dana)

    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert sorted(board["degraded"]) == ["activity", "customer"]
    assert board["customer"]["id"] == await stack.customer_id("dana")
    assert board["customer"]["name"] is None
    assert board["activity"] == []
    assert board["invoices"]


async def test_every_system_down_still_answers(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    for name in ("crm", "erp"):
        stack.layers.fault_states[name].set(FaultSettings(outage=True))
    async with stack.api("web") as web:
        answer = await web.get("/dashboard", headers=dana)

    assert answer.status_code == 200, answer.text
    board = answer.json()
    assert sorted(board["degraded"]) == ["activity", "balance", "customer", "invoices"]
    assert board["customer"]["id"] == await stack.customer_id("dana")
    assert board["recent_orders"] == []


async def test_the_dashboard_is_for_signed_in_customers(stack: ExperienceStack) -> None:
    partner = bearer(await stack.client_token())
    async with stack.api("web") as web:
        not_a_customer = await web.get("/dashboard", headers=partner)
        anonymous = await web.get("/dashboard")
        forged = await web.get("/dashboard", headers=bearer("not.a.token"))

    assert_problem(not_a_customer, 403, "not-a-customer")
    assert anonymous.status_code == forged.status_code == 401
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
