"""The demo world as the CRM holds it: every customer an Account (people as Person Accounts)
with the world's id, one or two Contacts per company, and a short activity history per account
(relationship tasks plus one completed task per order the customer placed)."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, text

from strata.db import Database
from system_apis.backends.crm.ids import (
    ACCOUNT_PREFIX,
    CONTACT_PREFIX,
    TASK_PREFIX,
    salesforce_id,
)
from system_apis.backends.crm.models import CrmAccount, CrmContact, CrmTask
from system_apis.backends.crm.records import to_millis
from system_apis.backends.crm.store import is_postgres, reserve_numbers

if TYPE_CHECKING:  # the demo world imports this package for its ids
    from system_apis.demo import DemoCustomer, DemoOrder, DemoWorld

COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "MX": "Mexico", "GB": "United Kingdom"}
_SEED_LOCK = 0x5C12_0001
_CONTACT_FIRST = ("Maria", "James", "Priya", "Chen", "Olga", "Samuel", "Aiko", "Diego", "Fatima")
_CONTACT_LAST = ("Garcia", "Smith", "Patel", "Wang", "Ivanova", "Okafor", "Tanaka", "Rossi")
_TITLES = ("Purchasing Manager", "Office Manager", "CFO", "Operations Director", "Buyer")
_TOUCHES = (
    ("Call", "Introductory call", "Walked through the catalogue and delivery options."),
    ("Email", "Sent price list", "Emailed the current price list and volume discounts."),
    ("Meeting", "Quarterly business review", "Reviewed orders, service issues and plans."),
    ("Call", "Follow-up on delivery", "Checked that the last delivery arrived complete."),
)


def _rng(kind: str, customer: DemoCustomer) -> random.Random:
    # Seeded per customer, so one customer's records never depend on another's.
    return random.Random(f"crm-{kind}-{customer.number}")


def account_row(customer: DemoCustomer) -> dict[str, Any]:
    created = to_millis(customer.created_at)
    return {
        "id": customer.crm_id,
        "name": customer.display_name,
        "is_person_account": customer.is_person,
        "first_name": customer.first_name,
        "last_name": customer.last_name,
        "person_email": customer.email if customer.is_person else None,
        "email": None if customer.is_person else customer.email,
        "phone": customer.phone,
        "industry": customer.industry,
        "type": "Customer - Direct",
        "billing_street": customer.street,
        "billing_city": customer.city,
        "billing_state": customer.state,
        "billing_postal_code": customer.postal_code,
        "billing_country": COUNTRY_NAMES.get(customer.country, customer.country),
        "active": "Yes" if customer.active else "No",
        "external_id": f"CUST-{customer.number:05d}",
        "is_deleted": False,
        "created_date": created,
        "last_modified_date": created,
    }


def contact_rows(customer: DemoCustomer) -> list[dict[str, Any]]:
    """One or two people at a company (none for a person account)."""
    if customer.is_person:
        return []
    rng = _rng("contacts", customer)
    domain = (customer.company_name or "example").split(" ")[0].lower() + ".example.com"
    rows = []
    for index in range(rng.randint(1, 2)):
        first, last = rng.choice(_CONTACT_FIRST), rng.choice(_CONTACT_LAST)
        created = to_millis(customer.created_at + timedelta(hours=index + 1))
        rows.append(
            {
                "account_id": customer.crm_id,
                "first_name": first,
                "last_name": last,
                "email": f"{first.lower()}.{last.lower()}@{domain}",
                "phone": f"+1-415-555-{2000 + customer.number * 2 + index:04d}",
                "title": rng.choice(_TITLES),
                "is_deleted": False,
                "created_date": created,
                "last_modified_date": created,
            }
        )
    return rows


def task_rows(customer: DemoCustomer, orders: list[DemoOrder]) -> list[dict[str, Any]]:
    rng = _rng("tasks", customer)
    rows = []
    for index in range(rng.randint(1, 3)):
        kind, subject, description = _TOUCHES[index]
        occurred = customer.created_at + timedelta(days=index * 30 + rng.randint(1, 20))
        rows.append(_task(customer, occurred, kind, subject, description, "Completed"))
    for order in orders:
        total = f"{order.currency} {order.total:.2f}"
        count = sum(line.quantity for line in order.lines)
        rows.append(
            _task(
                customer,
                order.created_at,
                "Order",
                f"Order #{order.number}",
                f"{count} item(s), total {total}; status {order.status.replace('_', ' ')}.",
                "Completed",
            )
        )
    return rows


def _task(
    customer: DemoCustomer,
    occurred: datetime,
    kind: str,
    subject: str,
    description: str,
    status: str,
) -> dict[str, Any]:
    occurred = to_millis(occurred)
    return {
        "what_id": customer.crm_id,
        "subject": subject,
        "status": status,
        "type": kind,
        "activity_date": occurred.date(),
        "occurred_at": occurred,
        "description": description,
        "external_id": None,
        "is_deleted": False,
        "created_date": occurred,
        "last_modified_date": occurred,
    }


def world_rows(world: DemoWorld) -> tuple[list[dict[str, Any]], ...]:
    """Accounts, contacts and tasks for the world, with ids numbered in a fixed order."""
    orders_by_customer: dict[str, list[DemoOrder]] = defaultdict(list)
    for order in world.orders:
        orders_by_customer[order.customer_crm_id].append(order)
    accounts = [account_row(customer) for customer in world.customers]
    contacts = [row for customer in world.customers for row in contact_rows(customer)]
    tasks = [
        row
        for customer in world.customers
        for row in task_rows(customer, orders_by_customer[customer.crm_id])
    ]
    for number, row in enumerate(contacts, start=1):
        row["id"] = salesforce_id(CONTACT_PREFIX, number)
    for number, row in enumerate(tasks, start=1):
        row["id"] = salesforce_id(TASK_PREFIX, number)
    return accounts, contacts, tasks


async def seed(database: Database, world: DemoWorld) -> int:
    """Writes the world into an empty CRM; returns the records written (0 if it had data)."""
    async with database.session() as session:
        if is_postgres(session):
            await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SEED_LOCK})
        for model in (CrmAccount, CrmContact, CrmTask):
            if await session.scalar(select(model.id).limit(1)) is not None:
                return 0
        accounts, contacts, tasks = world_rows(world)
        for model, rows in ((CrmAccount, accounts), (CrmContact, contacts), (CrmTask, tasks)):
            if rows:
                await session.execute(insert(model), rows)
        highest_account = max((customer.number for customer in world.customers), default=0)
        await reserve_numbers(session, ACCOUNT_PREFIX, highest_account)
        await reserve_numbers(session, CONTACT_PREFIX, len(contacts))
        await reserve_numbers(session, TASK_PREFIX, len(tasks))
    return len(accounts) + len(contacts) + len(tasks)
