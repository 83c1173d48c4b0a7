"""``/services/rest/record/v1/customer``: the ERP's customer record service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from strata.db import Database
from system_apis.backends.erp.customers.documents import customer_element, read_customer
from system_apis.backends.erp.customers.service import (
    RECORD_TYPE,
    create_customer,
    customer_balances,
    get_customer,
    save_customer,
    search_customers,
)
from system_apis.backends.erp.keys import path_key
from system_apis.backends.erp.paging import PageRequest, page_request
from system_apis.backends.erp.routing import RECORD_SERVICE, read_document, xml_response
from system_apis.backends.erp.wire import search_result, today_utc


def customer_router(database: Database) -> APIRouter:
    router = APIRouter(prefix=f"{RECORD_SERVICE}/customer", tags=["customer"])

    @router.get("", summary="Search customers")
    async def search(
        page: Annotated[PageRequest, Depends(page_request)],
        external_id: Annotated[str | None, Query(alias="externalId", max_length=100)] = None,
        email: Annotated[str | None, Query(max_length=254)] = None,
        name: Annotated[str | None, Query(max_length=83)] = None,
    ) -> Response:
        async with database.session() as session:
            customers, total = await search_customers(
                session,
                page,
                external_id=external_id,
                email=email,
                name=name,
            )
            balances = await customer_balances(
                session,
                [c.internal_id for c in customers],
                today_utc(),
            )
        records = [customer_element(c, balances.get(c.internal_id, [])) for c in customers]
        return xml_response(
            search_result(
                records,
                total=total,
                page_index=page.page_index,
                page_size=page.page_size,
            )
        )

    @router.get("/{key}", summary="Get a customer by internal id or eid:<external id>")
    async def read(key: str) -> Response:
        async with database.session() as session:
            customer = await get_customer(session, path_key(key, RECORD_TYPE))
            balances = await customer_balances(session, [customer.internal_id], today_utc())
        return xml_response(customer_element(customer, balances.get(customer.internal_id, [])))

    @router.post("", summary="Create a customer")
    async def create(request: Request) -> Response:
        data = read_customer(await read_document(request, RECORD_TYPE))
        customer = await create_customer(database, data)
        return xml_response(customer_element(customer, []), 201)

    @router.put("/{key}", summary="Replace a customer; with eid:<external id>, an upsert")
    async def replace(key: str, request: Request) -> Response:
        data = read_customer(await read_document(request, RECORD_TYPE))
        customer, created = await save_customer(database, path_key(key, RECORD_TYPE), data)
        async with database.session() as session:
            balances = await customer_balances(session, [customer.internal_id], today_utc())
        element = customer_element(customer, balances.get(customer.internal_id, []))
        return xml_response(element, 201 if created else 200)

    return router
