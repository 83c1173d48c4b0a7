"""``/services/rest/record/v1/salesOrder``: the ERP's sales order record service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from strata.db import Database
from system_apis.backends.erp.keys import path_key, query_key
from system_apis.backends.erp.paging import PageRequest, page_request
from system_apis.backends.erp.routing import RECORD_SERVICE, read_document, xml_response
from system_apis.backends.erp.sales_orders.documents import (
    order_element,
    read_order,
    read_status_change,
)
from system_apis.backends.erp.sales_orders.service import (
    RECORD_TYPE,
    change_order_status,
    create_order,
    get_order,
    search_orders,
)
from system_apis.backends.erp.statuses import ORDER_STATUSES, status_filter
from system_apis.backends.erp.wire import search_result


def sales_order_router(database: Database) -> APIRouter:
    router = APIRouter(prefix=f"{RECORD_SERVICE}/salesOrder", tags=["salesOrder"])

    @router.get("", summary="Search sales orders, by customer and status")
    async def search(
        page: Annotated[PageRequest, Depends(page_request)],
        entity: Annotated[str | None, Query(max_length=104)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
    ) -> Response:
        async with database.session() as session:
            orders, total = await search_orders(
                session,
                page,
                entity=query_key(entity),
                statuses=status_filter(status, ORDER_STATUSES),
            )
        return xml_response(
            search_result(
                [order_element(order) for order in orders],
                total=total,
                page_index=page.page_index,
                page_size=page.page_size,
            )
        )

    @router.get("/{key}", summary="Get a sales order by internal id or eid:<external id>")
    async def read(key: str) -> Response:
        async with database.session() as session:
            order = await get_order(session, path_key(key, RECORD_TYPE))
        return xml_response(order_element(order))

    @router.post("", summary="Create a sales order (the same externalId returns the first one)")
    async def create(request: Request) -> Response:
        data = read_order(await read_document(request, RECORD_TYPE))
        order, created = await create_order(database, data)
        return xml_response(order_element(order), 201 if created else 200)

    @router.patch("/{key}", summary="Change the status of a sales order")
    async def change_status(key: str, request: Request) -> Response:
        target = read_status_change(await read_document(request, RECORD_TYPE))
        order = await change_order_status(database, path_key(key, RECORD_TYPE), target)
        return xml_response(order_element(order))

    return router
