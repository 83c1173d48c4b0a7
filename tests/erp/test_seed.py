"""Seeding the ERP with the demo world."""

from __future__ import annotations

from collections import Counter

import httpx
from sqlalchemy import func, select

from erp.native import RECORDS, company_xml, make_order, parse, send
from strata.db import Base, Database
from system_apis.backends.erp import seed
from system_apis.backends.erp.models import (
    ErpCustomer,
    ErpCustomerPayment,
    ErpInvoice,
    ErpSalesOrder,
    ErpSalesOrderLine,
)
from system_apis.demo import DemoWorld

STATUS_LETTERS = {
    "pending_approval": "A",
    "pending_fulfillment": "B",
    "cancelled": "C",
    "billed": "G",
    "closed": "H",
}


async def _count(database: Database, model: type[Base]) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_seeding_twice_writes_once_and_matches_the_world(
    database: Database,
    world: DemoWorld,
) -> None:
    invoiced = [order for order in world.orders if order.invoice_paid is not None]
    paid = [order for order in invoiced if order.invoice_paid]
    lines = sum(len(order.lines) for order in world.orders)
    expected = {
        ErpCustomer: len(world.customers),
        ErpSalesOrder: len(world.orders),
        ErpSalesOrderLine: lines,
        ErpInvoice: len(invoiced),
        ErpCustomerPayment: len(paid),
    }

    written = await seed(database, world)
    assert written == sum(expected.values())
    assert await seed(database, world) == 0
    for model, count in expected.items():
        assert await _count(database, model) == count, model.__name__


async def test_seeded_records_are_in_the_erps_own_form(
    seeded: Database,
    world: DemoWorld,
    erp: httpx.AsyncClient,
) -> None:
    person = next(c for c in world.customers if c.is_person)
    record = parse(await erp.get(f"{RECORDS}/customer/eid:{person.crm_id}"))
    assert record.get("internalId") == str(person.number)
    assert record.findtext("entityId") == f"CUST-{person.number:05d}"
    assert (record.findtext("firstName"), record.findtext("lastName")) == (
        person.first_name,
        person.last_name,
    )
    assert record.findtext("isInactive") == ("false" if person.active else "true")

    async with seeded.session() as session:
        statuses = Counter((await session.scalars(select(ErpSalesOrder.status))).all())
        open_total = await session.scalar(
            select(func.sum(ErpInvoice.amount_remaining)).where(ErpInvoice.status == "A"),
        )
    assert statuses == Counter(STATUS_LETTERS[order.status] for order in world.orders)
    unpaid = sum(order.total for order in world.orders if order.invoice_paid is False)
    assert open_total == unpaid

    order = world.orders[0]
    native = parse(await erp.get(f"{RECORDS}/salesOrder/{order.number}"))
    assert native.findtext("tranId") == f"SO-{10000 + order.number}"
    assert native.find("entity").get("externalId") == order.customer_crm_id  # type: ignore[union-attr]
    assert [line.findtext("item") for line in native.findall("itemList/item")] == [
        line.sku for line in order.lines
    ]


async def test_new_records_continue_after_the_seeded_ones(
    seeded: Database,
    world: DemoWorld,
    erp: httpx.AsyncClient,
) -> None:
    customer = parse(await send(erp, "POST", "/customer", company_xml("NEW-1")))
    assert customer.get("internalId") == str(len(world.customers) + 1)
    assert customer.findtext("entityId") == f"CUST-{len(world.customers) + 1:05d}"
    order = parse(await make_order(erp, "web-new", entity='externalId="NEW-1"'))
    assert order.get("internalId") == str(len(world.orders) + 1)
    assert order.findtext("tranId") == f"SO-{10000 + len(world.orders) + 1}"
