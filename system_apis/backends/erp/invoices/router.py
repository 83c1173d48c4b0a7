"""``/services/rest/record/v1/invoice`` and ``/customerPayment``, and the transform that turns
a sales order into its invoice (``POST /salesOrder/{key}/!transform/invoice``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from strata.db import Database
from system_apis.backends.erp.invoices.documents import (
    invoice_element,
    payment_element,
    read_invoice,
    read_invoice_status_change,
    read_payment,
)
from system_apis.backends.erp.invoices.payments import apply_payment, get_payment
from system_apis.backends.erp.invoices.service import (
    RECORD_TYPE,
    bill_order,
    get_invoice,
    search_invoices,
    void_invoice,
)
from system_apis.backends.erp.keys import path_key, query_key
from system_apis.backends.erp.paging import PageRequest, page_request
from system_apis.backends.erp.routing import RECORD_SERVICE, read_document, xml_response
from system_apis.backends.erp.statuses import INVOICE_STATUSES, status_filter
from system_apis.backends.erp.wire import search_result


def invoice_router(database: Database) -> APIRouter:
    router = APIRouter(prefix=RECORD_SERVICE, tags=["invoice"])

    @router.post(
        "/salesOrder/{key}/!transform/invoice",
        summary="Bill a sales order (the same externalId returns the first invoice)",
    )
    async def transform(key: str, request: Request) -> Response:
        data = read_invoice(await read_document(request, RECORD_TYPE))
        invoice, created = await bill_order(database, path_key(key, "salesOrder"), data)
        return xml_response(invoice_element(invoice), 201 if created else 200)

    @router.get("/invoice", summary="Search invoices, by customer, sales order and status")
    async def search(
        page: Annotated[PageRequest, Depends(page_request)],
        entity: Annotated[str | None, Query(max_length=104)] = None,
        created_from: Annotated[str | None, Query(alias="createdFrom", max_length=104)] = None,
        status: Annotated[str | None, Query(max_length=20)] = None,
    ) -> Response:
        async with database.session() as session:
            invoices, total = await search_invoices(
                session,
                page,
                entity=query_key(entity),
                created_from=query_key(created_from, "createdFrom"),
                statuses=status_filter(status, INVOICE_STATUSES),
            )
        return xml_response(
            search_result(
                [invoice_element(invoice) for invoice in invoices],
                total=total,
                page_index=page.page_index,
                page_size=page.page_size,
            )
        )

    @router.get("/invoice/{key}", summary="Get an invoice by internal id or eid:<external id>")
    async def read(key: str) -> Response:
        async with database.session() as session:
            invoice = await get_invoice(session, path_key(key, RECORD_TYPE))
        return xml_response(invoice_element(invoice))

    @router.patch("/invoice/{key}", summary="Void an open invoice with no payments")
    async def change_status(key: str, request: Request) -> Response:
        read_invoice_status_change(await read_document(request, RECORD_TYPE))
        invoice = await void_invoice(database, path_key(key, RECORD_TYPE))
        return xml_response(invoice_element(invoice))

    @router.post(
        "/customerPayment",
        summary="Apply a payment to an invoice (the same externalId applies once)",
    )
    async def pay(request: Request) -> Response:
        data = read_payment(await read_document(request, "customerPayment"))
        payment, created = await apply_payment(database, data)
        return xml_response(payment_element(payment), 201 if created else 200)

    @router.get("/customerPayment/{key}", summary="Get a customer payment")
    async def read_payment_record(key: str) -> Response:
        async with database.session() as session:
            payment = await get_payment(session, path_key(key, "customerPayment"))
        return xml_response(payment_element(payment))

    return router
