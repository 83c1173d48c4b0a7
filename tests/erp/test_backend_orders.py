"""The ERP's sales order record service: creation (idempotent by external id), search, and
the ERP's status rules."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from erp.native import (
    RECORDS,
    fault_code,
    make_customer,
    make_order,
    order_xml,
    parse,
    send,
)
from strata.db import Database
from system_apis.backends.erp.models import ErpSalesOrder


async def test_create_an_order_with_lines_and_totals(erp: httpx.AsyncClient) -> None:
    customer_id = await make_customer(erp, "C-1")
    response = await make_order(
        erp, "web-1", lines=(("ELE-004-GRA", "2", "129.00"), ("ACC-012-SIL", "3", "12.4950"))
    )
    assert response.status_code == 201
    order = parse(response)
    assert order.get("externalId") == "web-1"
    assert order.findtext("tranId") == "SO-10001"
    assert order.findtext("status") == "B"
    assert order.find("status").get("name") == "pendingFulfillment"  # type: ignore[union-attr]
    entity = order.find("entity")
    assert entity is not None
    assert (entity.get("internalId"), entity.get("externalId")) == (customer_id, "C-1")
    lines = order.findall("itemList/item")
    assert [line.findtext("item") for line in lines] == ["ELE-004-GRA", "ACC-012-SIL"]
    assert [line.findtext("amount") for line in lines] == ["258.00", "37.485"]
    assert order.findtext("total") == "295.485"
    assert order.findtext("currency") == "USD"


async def test_the_same_external_id_returns_the_first_order(
    erp: httpx.AsyncClient,
    database: Database,
) -> None:
    await make_customer(erp)
    first = await make_order(erp, "web-1")
    again = await make_order(erp, "web-1", lines=(("OTHER-1", "9", "1.00"),))
    assert (first.status_code, again.status_code) == (201, 200)
    assert parse(first).get("internalId") == parse(again).get("internalId")
    assert parse(again).findtext("itemList/item/item") == "ELE-004-GRA"
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErpSalesOrder)) == 1


async def test_concurrent_creates_with_one_external_id_make_one_order(
    erp: httpx.AsyncClient,
    database: Database,
) -> None:
    await make_customer(erp)
    responses = await asyncio.gather(
        *(send(erp, "POST", "/salesOrder", order_xml(external_id="web-race")) for _ in range(10))
    )
    assert sorted(r.status_code for r in responses) == [200] * 9 + [201]
    assert len({parse(r).get("internalId") for r in responses}) == 1
    async with database.session() as session:
        assert await session.scalar(select(func.count()).select_from(ErpSalesOrder)) == 1


async def test_an_external_id_of_another_customers_order_is_a_conflict(
    erp: httpx.AsyncClient,
) -> None:
    await make_customer(erp, "C-1")
    await make_customer(erp, "C-2")
    await make_order(erp, "web-1")
    response = await send(
        erp, "POST", "/salesOrder", order_xml('externalId="C-2"', external_id="web-1")
    )
    assert response.status_code == 409
    assert fault_code(response) == "DUP_RCRD"


async def test_orders_need_a_known_active_customer(erp: httpx.AsyncClient) -> None:
    unknown = await send(erp, "POST", "/salesOrder", order_xml('externalId="nobody"'))
    assert unknown.status_code == 400
    assert fault_code(unknown) == "INVALID_KEY_OR_REF"
    assert parse(unknown).findtext("field") == "salesOrder.entity"

    await send(
        erp,
        "PUT",
        "/customer/eid:gone",
        "<customer><companyName>Gone Ltd.</companyName><isInactive>true</isInactive></customer>",
    )
    inactive = await send(erp, "POST", "/salesOrder", order_xml('externalId="gone"'))
    assert fault_code(inactive) == "INVALID_FLD_VALUE"
    assert "inactive" in (parse(inactive).findtext("message") or "")


async def test_a_stated_amount_must_be_quantity_times_rate(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    body = (
        '<salesOrder><entity externalId="C-1"/><itemList><item><item>A-1</item>'
        "<quantity>2</quantity><rate>10.00</rate><amount>25.00</amount></item></itemList>"
        "</salesOrder>"
    )
    response = await send(erp, "POST", "/salesOrder", body)
    assert parse(response).findtext("field") == "salesOrder.itemList.item[0].amount"


async def test_search_by_customer_and_status_with_paging(erp: httpx.AsyncClient) -> None:
    first = await make_customer(erp, "C-1")
    await make_customer(erp, "C-2")
    for n in range(3):
        await make_order(erp, f"a-{n}")
    await make_order(erp, "b-1", entity='externalId="C-2"')
    await send(erp, "PATCH", "/salesOrder/eid:a-1", "<salesOrder><status>C</status></salesOrder>")

    by_internal = parse(await erp.get(f"{RECORDS}/salesOrder", params={"entity": first}))
    by_external = parse(
        await erp.get(
            f"{RECORDS}/salesOrder", params={"entity": "eid:C-1", "pageSize": 2, "pageIndex": 2}
        )
    )
    assert by_internal.findtext("totalRecords") == "3"
    assert by_external.findtext("totalPages") == "2"
    assert [o.get("externalId") for o in by_external.findall("recordList/salesOrder")] == ["a-2"]

    cancelled = parse(await erp.get(f"{RECORDS}/salesOrder", params={"status": "C"}))
    assert [o.get("externalId") for o in cancelled.findall("recordList/salesOrder")] == ["a-1"]
    nobody = parse(await erp.get(f"{RECORDS}/salesOrder", params={"entity": "eid:nobody"}))
    assert nobody.findtext("totalRecords") == "0"
    bad = await erp.get(f"{RECORDS}/salesOrder", params={"status": "Z"})
    assert parse(bad).findtext("field") == "status"


async def _status(erp: httpx.AsyncClient, key: str, code: str) -> httpx.Response:
    return await send(
        erp, "PATCH", f"/salesOrder/{key}", f"<salesOrder><status>{code}</status></salesOrder>"
    )


async def test_status_changes_follow_the_erps_rules(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    await make_order(erp, "web-1", extra="<status>A</status>")

    approved = await _status(erp, "eid:web-1", "B")
    assert parse(approved).findtext("status") == "B"
    assert (await _status(erp, "eid:web-1", "B")).status_code == 200  # already there: no-op
    cancelled = await _status(erp, "eid:web-1", "C")
    assert parse(cancelled).findtext("status") == "C"

    for target in ("B", "F", "H"):
        refused = await _status(erp, "eid:web-1", target)
        assert refused.status_code == 409
        assert fault_code(refused) == "INVALID_STATUS_CHANGE"
        assert parse(refused).findtext("detail/currentStatus") == "C"


async def test_billing_is_not_a_status_edit(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    await make_order(erp, "web-1")
    refused = await _status(erp, "eid:web-1", "G")
    assert refused.status_code == 409
    assert "invoice" in (parse(refused).findtext("message") or "")


async def test_status_edits_allow_only_the_status(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    await make_order(erp, "web-1")
    response = await send(
        erp,
        "PATCH",
        "/salesOrder/eid:web-1",
        "<salesOrder><status>C</status><memo>x</memo></salesOrder>",
    )
    assert parse(response).findtext("field") == "salesOrder.memo"
    unknown = await _status(erp, "eid:web-1", "Q")
    assert parse(unknown).findtext("field") == "salesOrder.status"
    missing = await _status(erp, "4242", "C")
    assert missing.status_code == 404


async def test_concurrent_conflicting_changes_let_exactly_one_win(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    await make_order(erp, "web-1")
    # From B both C and D are legal, but neither is legal after the other.
    responses = await asyncio.gather(*(_status(erp, "eid:web-1", code) for code in ("C", "D") * 4))
    winners = {parse(r).findtext("status") for r in responses if r.status_code == 200}
    assert len(winners) == 1
    final = parse(await erp.get(f"{RECORDS}/salesOrder/eid:web-1")).findtext("status")
    assert winners == {final}
    assert all(r.status_code in (200, 409) for r in responses)
