"""The ERP system API's sales orders."""

from __future__ import annotations

import asyncio

import httpx

from erp.api import (
    CUSTOMER,
    assert_problem,
    create_order,
    error_fields,
    order_request,
    put_customer,
)
from strata.db import Database
from system_apis.demo import DemoWorld


async def test_create_an_order_in_the_canonical_model(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    response = await api.post("/orders", json=order_request())
    assert response.status_code == 201
    order = response.json()
    assert order["customer_id"] == CUSTOMER
    assert order["external_id"] == "web-1"
    assert order["number"].startswith("SO-")
    assert order["status"] == "pending_fulfillment"
    assert order["total"] == {"amount": "270.49", "currency": "USD"}
    assert order["lines"][0] == {
        "sku": "ELE-004-GRA",
        "quantity": 2,
        "unit_price": {"amount": "129.00", "currency": "USD"},
        "amount": {"amount": "258.00", "currency": "USD"},
    }
    assert (await api.get(f"/orders/{order['id']}")).json() == order


async def test_the_same_external_id_returns_the_existing_order(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    responses = await asyncio.gather(
        *(api.post("/orders", json=order_request("web-same")) for _ in range(5))
    )
    assert sorted(r.status_code for r in responses) == [200, 200, 200, 200, 201]
    assert len({r.json()["id"] for r in responses}) == 1


async def test_an_order_for_an_unknown_customer_is_404(api: httpx.AsyncClient) -> None:
    body = assert_problem(await api.post("/orders", json=order_request(customer_id="NOBODY")), 404)
    assert (body["resource"], body["id"]) == ("customer", "NOBODY")


async def test_bad_order_requests_name_the_field(api: httpx.AsyncClient) -> None:
    await put_customer(api)
    cases = {
        "lines": order_request(lines=[]),
        "lines.0.quantity": order_request(lines=[{"sku": "A", "quantity": 0, "unit_price": "1"}]),
        "lines.0.unit_price": order_request(
            lines=[{"sku": "A", "quantity": 1, "unit_price": "1.123456"}]
        ),
        "lines.0.sku": order_request(
            lines=[{"sku": "no spaces", "quantity": 1, "unit_price": "1"}]
        ),
        "currency": order_request(currency="dollars"),
        "external_id": order_request(external_id=""),
    }
    for field, request in cases.items():
        body = assert_problem(await api.post("/orders", json=request), 422)
        assert field in error_fields(body), (field, body)
    huge = order_request(
        lines=[{"sku": "A", "quantity": 1_000_000, "unit_price": "999999999999"}] * 2
    )
    assert error_fields(assert_problem(await api.post("/orders", json=huge), 422)) == ["lines"]


async def test_an_inactive_customer_cannot_order(api: httpx.AsyncClient) -> None:
    from erp.api import canonical_customer

    await api.put(f"/customers/{CUSTOMER}", json=canonical_customer(active=False))
    body = assert_problem(await api.post("/orders", json=order_request()), 422)
    assert error_fields(body) == ["customer_id"]


async def test_status_changes_and_the_409_naming_the_current_status(
    api: httpx.AsyncClient,
) -> None:
    await put_customer(api)
    order = await create_order(api, status="pending_approval")
    assert order["status"] == "pending_approval"
    approved = await api.post(
        f"/orders/{order['id']}/status", json={"status": "pending_fulfillment"}
    )
    assert approved.json()["status"] == "pending_fulfillment"
    cancelled = await api.post(f"/orders/{order['id']}/status", json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"

    refused = assert_problem(
        await api.post(f"/orders/{order['id']}/status", json={"status": "pending_billing"}),
        409,
    )
    assert refused["current_status"] == "cancelled"
    assert refused["requested_status"] == "pending_billing"
    assert "cancelled" in refused["detail"]
    assert_problem(await api.post(f"/orders/{order['id']}/status", json={"status": "nope"}), 422)
    assert_problem(await api.post("/orders/424242/status", json={"status": "cancelled"}), 404)


async def test_unknown_and_malformed_order_ids_are_404(api: httpx.AsyncClient) -> None:
    for order_id in ("424242", "abc", "eid:web-1", "0", "99999999999999999999"):
        body = assert_problem(await api.get(f"/orders/{order_id}"), 404)
        assert body["resource"] == "order"


async def test_list_a_customers_orders_page_by_page(
    seeded: Database,
    world: DemoWorld,
    api: httpx.AsyncClient,
) -> None:
    counts: dict[str, int] = {}
    for order in world.orders:
        counts[order.customer_crm_id] = counts.get(order.customer_crm_id, 0) + 1
    customer_id, expected = max(counts.items(), key=lambda item: item[1])

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"customer_id": customer_id, "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/orders", params=params)).json()
        assert page["total"] == expected
        seen += [order["id"] for order in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    wanted = [str(o.number) for o in world.orders if o.customer_crm_id == customer_id]
    assert seen == wanted


async def test_list_filters_by_status(
    seeded: Database,
    world: DemoWorld,
    api: httpx.AsyncClient,
) -> None:
    page = (await api.get("/orders", params={"status": "cancelled", "limit": 200})).json()
    assert page["total"] == sum(1 for o in world.orders if o.status == "cancelled")
    assert {order["status"] for order in page["items"]} == {"cancelled"}
    nobody = (await api.get("/orders", params={"customer_id": "NOBODY"})).json()
    assert (nobody["items"], nobody["total"], nobody["next_cursor"]) == ([], 0, None)


async def test_list_parameters_are_checked(api: httpx.AsyncClient) -> None:
    for params in ({"limit": 0}, {"limit": 201}, {"cursor": "garbage"}, {"status": "open"}):
        body = assert_problem(await api.get("/orders", params=params), 422)
        assert body["errors"], params
