"""What each CRM system API operation does with the CRM: the queries it writes, the calls it
composes, and the checks a client's input gets before anything is sent."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from strata.db import utcnow
from strata.errors import NotFound, Problem
from system_apis.canonical import Customer, CustomerKind, Page, character_problem
from system_apis.crm import soql
from system_apis.crm.client import CrmClient
from system_apis.crm.data_map import (
    ACCOUNT_FIELDS,
    TASK_FIELDS,
    activity_id,
    activity_to_task,
    customer_changes_to_account,
    customer_id,
    customer_to_account,
)
from system_apis.crm.schemas import (
    Activity,
    ActivityCreate,
    CustomerCreate,
    CustomerFields,
    CustomerUpdate,
)

# Salesforce reads no further than 2000 rows into a result with OFFSET; activity history
# pages stop there (the newest 2000 activities of a customer).
MAX_ACTIVITY_DEPTH = 2000


def invalid_input(field: str, message: str, where: str = "body") -> Problem:
    return Problem(
        422,
        "Invalid request",
        f"{field}: {message}",
        kind="validation",
        errors=[{"field": field, "in": where, "message": message}],
    )


@dataclass(frozen=True)
class CustomerFilters:
    name: str | None = None
    city: str | None = None
    industry: str | None = None
    active: bool | None = None
    kind: CustomerKind | None = None
    updated_since: datetime | None = None

    def conditions(self) -> list[str]:
        """SOQL conditions, every value quoted (a ``'`` in a name stays in the name)."""
        conditions = []
        if self.name is not None:
            conditions.append(f"Name LIKE {soql.contains(self.name)}")
        if self.city is not None:
            conditions.append(f"BillingCity = {soql.quote(self.city)}")
        if self.industry is not None:
            conditions.append(f"Industry = {soql.quote(self.industry)}")
        if self.active is True:
            # An empty Active__c reads as active (see the data map).
            conditions.append("Active__c = 'Yes' OR Active__c = null")
        elif self.active is False:
            conditions.append("Active__c = 'No'")
        if self.kind is not None:
            conditions.append(f"IsPersonAccount = {soql.boolean(self.kind is CustomerKind.PERSON)}")
        if self.updated_since is not None:
            conditions.append(f"LastModifiedDate >= {soql.datetime_literal(self.updated_since)}")
        return conditions


def encode_cursor(position: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(position).encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, key: str) -> Any:
    """The position a cursor of ours holds under ``key``; 422 for anything else."""
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
    except (UnicodeError, binascii.Error, ValueError):
        position = None
    if not isinstance(position, dict) or key not in position:
        raise invalid_input("cursor", "is not a cursor this list gave out", "query")
    return position[key]


def _customer_id(raw: str) -> str:
    # An id that is not an Account id cannot name a customer: 404, like any unknown id.
    identifier = customer_id(raw)
    if identifier is None:
        raise NotFound("customer", raw)
    return identifier


def _check_names(fields: CustomerFields) -> None:
    if fields.kind is CustomerKind.COMPANY:
        if fields.name is None:
            raise invalid_input("name", "a company needs a name")
        for name in ("first_name", "last_name"):
            if getattr(fields, name) is not None:
                raise invalid_input(name, "applies to a person, not a company")
    elif fields.last_name is None and fields.name is None:
        raise invalid_input("last_name", "a person needs a last_name (or a full name)")


def _check_changes(changes: CustomerUpdate, kind: CustomerKind) -> None:
    given = changes.model_fields_set
    for name in ("name", "last_name", "active", "billing_address"):
        if name in given and getattr(changes, name) is None:
            raise invalid_input(name, "cannot be null")
    wrong = ("first_name", "last_name") if kind is CustomerKind.COMPANY else ("name",)
    for name in wrong:
        if name in given:
            other = "a person" if kind is CustomerKind.COMPANY else "a company"
            raise invalid_input(
                name,
                f"applies to {other}; this customer is a {kind.value}",
            )


class CustomerService:
    def __init__(self, crm: CrmClient) -> None:
        self.crm = crm

    async def list_customers(
        self,
        filters: CustomerFilters,
        cursor: str | None,
        limit: int,
    ) -> Page[Customer]:
        after = decode_cursor(cursor, "after")
        query = soql.Select("Account", ACCOUNT_FIELDS, order_by=["Id"], limit=limit + 1)
        for condition in filters.conditions():
            query.where(condition)
        if after is not None:
            if not isinstance(after, str) or customer_id(after) is None:
                raise invalid_input("cursor", "is not a cursor this list gave out", "query")
            query.where(f"Id > {soql.quote(after)}")
        customers = await self.crm.find_customers(query)
        next_cursor = None
        if len(customers) > limit:
            customers = customers[:limit]
            next_cursor = encode_cursor({"after": customers[-1].id})
        return Page[Customer](items=customers, next_cursor=next_cursor)

    async def get_customer(self, raw_id: str) -> Customer:
        return await self.crm.get_customer(_customer_id(raw_id))

    async def create_customer(self, data: CustomerCreate) -> Customer:
        _check_names(data)
        record = customer_to_account(data)
        if data.external_id is not None:
            record["External_Id__c"] = data.external_id
        new_id = await self.crm.create_customer(record)
        return await self.crm.get_customer(new_id)

    async def update_customer(self, raw_id: str, changes: CustomerUpdate) -> Customer:
        identifier = _customer_id(raw_id)
        # The kind decides which Salesforce field holds the email, so read it first; only
        # it, so that a change can correct a value the canonical model refuses to read.
        kind = await self.crm.get_customer_kind(identifier)
        _check_changes(changes, kind)
        record = customer_changes_to_account(changes, kind)
        if record:
            await self.crm.update_customer(identifier, record)
        return await self.crm.get_customer(identifier)

    async def upsert_customer(
        self,
        external_id: str,
        data: CustomerFields,
    ) -> tuple[Customer, bool]:
        _check_external_id(external_id)
        _check_names(data)
        saved_id, created = await self.crm.upsert_customer(external_id, customer_to_account(data))
        return await self.crm.get_customer(saved_id), created

    async def list_activities(
        self,
        raw_id: str,
        cursor: str | None,
        limit: int,
    ) -> Page[Activity]:
        identifier = _customer_id(raw_id)
        offset = decode_cursor(cursor, "offset") or 0
        if not isinstance(offset, int) or not 0 <= offset <= MAX_ACTIVITY_DEPTH:
            raise invalid_input("cursor", "is not a cursor this list gave out", "query")
        query = soql.Select(
            "Task",
            TASK_FIELDS,
            order_by=[
                "ActivityDate DESC NULLS LAST",
                "Occurred_At__c DESC NULLS LAST",
                "CreatedDate DESC",
            ],
            limit=limit + 1,
            offset=offset,
        ).where(f"WhatId = {soql.quote(identifier)}")
        activities = await self.crm.find_activities(query)
        if not activities and offset == 0:
            await self.crm.get_customer(identifier)  # 404 when the customer does not exist
        next_cursor = None
        if len(activities) > limit:
            activities = activities[:limit]
            if offset + limit <= MAX_ACTIVITY_DEPTH:
                next_cursor = encode_cursor({"offset": offset + limit})
        return Page[Activity](items=activities, next_cursor=next_cursor)

    async def get_activity(self, raw_customer_id: str, raw_activity_id: str) -> Activity:
        customer = _customer_id(raw_customer_id)
        identifier = activity_id(raw_activity_id)
        if identifier is None:
            raise NotFound("activity", raw_activity_id)
        activity = await self.crm.get_activity(identifier)
        if activity.customer_id != customer:
            raise NotFound("activity", raw_activity_id)
        return activity

    async def record_activity(
        self,
        raw_id: str,
        data: ActivityCreate,
    ) -> tuple[Activity, bool]:
        customer = _customer_id(raw_id)
        record = activity_to_task(data, customer, data.occurred_at or utcnow())
        if data.external_id is not None:
            saved_id, created = await self.crm.upsert_activity(data.external_id, record)
        else:
            saved_id, created = await self.crm.create_activity(record), True
        return await self.crm.get_activity(saved_id), created


def _check_external_id(external_id: str) -> None:
    if not external_id.strip() or len(external_id) > 255:
        raise invalid_input("external_id", "must be 1 to 255 characters", "path")
    problem = character_problem(external_id)
    if problem is not None:
        raise invalid_input("external_id", problem, "path")
