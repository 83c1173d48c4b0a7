"""Seeding the CRM from the demo world: once, completely, and the same every time."""

from __future__ import annotations

from collections import Counter

import httpx
from sqlalchemy import select

from crm.support import DATA, records
from strata.db import Database
from system_apis.backends.crm import seed
from system_apis.backends.crm.models import CrmAccount, CrmContact, CrmTask
from system_apis.backends.crm.seed import world_rows
from system_apis.demo import DemoWorld, build_world


async def test_seeding_writes_once(database: Database, world: DemoWorld) -> None:
    accounts, contacts, tasks = world_rows(world)
    written = await seed(database, world)
    assert written == len(accounts) + len(contacts) + len(tasks)
    assert await seed(database, world) == 0
    async with database.session() as session:
        assert len((await session.scalars(select(CrmAccount.id))).all()) == len(world.customers)
        assert len((await session.scalars(select(CrmContact.id))).all()) == len(contacts)
        assert len((await session.scalars(select(CrmTask.id))).all()) == len(tasks)


async def test_the_counts_match_the_world(seeded: Database, world: DemoWorld) -> None:
    async with seeded.session() as session:
        accounts = {a.id: a for a in (await session.scalars(select(CrmAccount))).all()}
        contacts = (await session.scalars(select(CrmContact))).all()
        tasks = (await session.scalars(select(CrmTask))).all()
    assert set(accounts) == {customer.crm_id for customer in world.customers}
    per_account = Counter(contact.account_id for contact in contacts)
    orders = Counter(order.customer_crm_id for order in world.orders)
    order_tasks = Counter(task.what_id for task in tasks if task.type == "Order")
    assert order_tasks == orders
    for customer in world.customers:
        account = accounts[customer.crm_id]
        assert account.is_person_account is customer.is_person
        assert account.name == customer.display_name
        assert account.active == ("Yes" if customer.active else "No")
        assert account.billing_country == "United States"
        assert account.created_date == customer.created_at
        if customer.is_person:
            assert (account.first_name, account.last_name) == (
                customer.first_name,
                customer.last_name,
            )
            assert account.person_email == customer.email and account.email is None
            assert per_account[customer.crm_id] == 0
        else:
            assert account.email == customer.email and account.person_email is None
            assert 1 <= per_account[customer.crm_id] <= 2
        relationship = [t for t in tasks if t.what_id == customer.crm_id and t.type != "Order"]
        assert 1 <= len(relationship) <= 3


def test_the_same_world_gives_the_same_records() -> None:
    assert world_rows(build_world()) == world_rows(build_world())
    assert world_rows(build_world(seed=7)) != world_rows(build_world())


async def test_seeded_records_read_back_through_the_native_api(
    sf: httpx.AsyncClient, world: DemoWorld
) -> None:
    person = next(c for c in world.customers if c.is_person)
    found = await records(
        sf, f"SELECT Name, PersonEmail, IsPersonAccount FROM Account WHERE Id = '{person.crm_id}'"
    )
    assert [(r["Name"], r["PersonEmail"], r["IsPersonAccount"]) for r in found] == [
        (person.display_name, person.email, True)
    ]
    contacts = (await sf.get(f"{DATA}/query", params={"q": "SELECT COUNT() FROM Contact"})).json()
    assert contacts["totalSize"] == len(world_rows(world)[1])
