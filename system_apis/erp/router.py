"""Routes of the ERP system API: the ERP's view of customers, sales orders and invoices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response, status

from strata.errors import Problem, problem_responses
from strata.json_body import StrictJsonRoute
from system_apis.canonical import Customer, Invoice, InvoiceStatus, OrderStatus, Page, SalesOrder
from system_apis.erp import examples
from system_apis.erp.client import ErpClient
from system_apis.erp.paging import MAX_LIMIT, next_cursor, position
from system_apis.erp.schemas import (
    CUSTOMER_ID_PATTERN,
    CreateInvoiceRequest,
    CreateOrderRequest,
    ErpCustomerAccount,
    InvoiceStatusChange,
    OrderStatusChange,
    PaymentRequest,
)


def erp_client(request: Request) -> ErpClient:
    client: ErpClient = request.app.state.erp
    return client


Erp = Annotated[ErpClient, Depends(erp_client)]
CustomerId = Annotated[
    str,
    Path(
        pattern=CUSTOMER_ID_PATTERN,
        description="The canonical customer id (the CRM account id)",
        examples=[examples.CUSTOMER_ID],
    ),
]
RecordId = Annotated[str, Path(max_length=20, description="The ERP's id", examples=["93"])]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None,
    Query(
        max_length=200,
        description="next_cursor of the previous page; the next page keeps that page's size",
    ),
]
CustomerFilter = Annotated[
    str | None, Query(pattern=CUSTOMER_ID_PATTERN, description="Only this customer's records")
]
BACKEND_ERRORS = (502, 503, 504)

customers = APIRouter(route_class=StrictJsonRoute, prefix="/customers", tags=["customers"])
orders = APIRouter(route_class=StrictJsonRoute, prefix="/orders", tags=["orders"])
invoices = APIRouter(route_class=StrictJsonRoute, prefix="/invoices", tags=["invoices"])


@customers.put(
    "/{customer_id}",
    response_model=ErpCustomerAccount,
    summary="Make the ERP know a customer",
    description="Creates or updates the ERP's customer record from a canonical customer (the "
    "ERP keeps no industry). 201 when the ERP had no such customer yet.",
    responses={
        201: examples.json_example(examples.ACCOUNT, "Created in the ERP"),
        200: examples.json_example(examples.ACCOUNT, "Updated in the ERP"),
        **problem_responses(422, *BACKEND_ERRORS),
    },
)
async def put_customer(
    customer_id: CustomerId,
    customer: Annotated[Customer, Body(openapi_examples={"company": {"value": examples.CUSTOMER}})],
    erp: Erp,
    response: Response,
) -> ErpCustomerAccount:
    if customer.id != customer_id:
        raise Problem(
            422,
            "Invalid request",
            "id: must be the customer id in the URL",
            kind="validation",
            errors=[{"field": "id", "in": "body", "message": "must be the customer id in the URL"}],
        )
    account, created = await erp.upsert_customer(customer)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return account


@customers.get(
    "/{customer_id}",
    summary="The ERP's view of a customer",
    description="The customer's ERP record with what they owe: open and overdue balances.",
    responses={
        200: examples.json_example(examples.ACCOUNT, "The customer's account"),
        **problem_responses(404, 422, *BACKEND_ERRORS),
    },
)
async def get_customer(customer_id: CustomerId, erp: Erp) -> ErpCustomerAccount:
    return await erp.get_account(customer_id)


@orders.post(
    "",
    status_code=201,
    summary="Create a sales order",
    description="`external_id` makes this safe to repeat: the same one returns the order "
    "made the first time, with 200 instead of 201.",
    responses={
        201: examples.json_example(examples.ORDER, "Created"),
        200: examples.json_example(examples.ORDER, "Already made with this external_id"),
        **problem_responses(404, 409, 422, *BACKEND_ERRORS),
    },
)
async def create_order(
    order: Annotated[
        CreateOrderRequest, Body(openapi_examples={"one line": {"value": examples.CREATE_ORDER}})
    ],
    erp: Erp,
    response: Response,
) -> SalesOrder:
    created_order, created = await erp.create_order(order)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return created_order


@orders.get(
    "",
    summary="List sales orders",
    description="Newest last; filter by customer and status.",
    responses={
        200: examples.json_example(examples.page_of(examples.ORDER), "One page"),
        **problem_responses(422, *BACKEND_ERRORS),
    },
)
async def list_orders(
    erp: Erp,
    customer_id: CustomerFilter = None,
    order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SalesOrder]:
    at = position(cursor, limit)
    listing = await erp.list_orders(at, customer_id=customer_id, status=order_status)
    return Page[SalesOrder](
        items=listing.items, total=listing.total, next_cursor=next_cursor(at, listing.total_pages)
    )


@orders.get(
    "/{order_id}",
    summary="Get a sales order",
    responses={
        200: examples.json_example(examples.ORDER, "The order"),
        **problem_responses(404, *BACKEND_ERRORS),
    },
)
async def get_order(order_id: RecordId, erp: Erp) -> SalesOrder:
    return await erp.get_order(order_id)


@orders.post(
    "/{order_id}/status",
    summary="Change a sales order's status",
    description="Follows the ERP's rules: e.g. a pending-approval order can be approved "
    "(pending_fulfillment) or cancelled; a cancelled or closed order cannot "
    "change; an order becomes billed only through an invoice. An illegal change is "
    "409 naming the current status. Asking for the current status changes nothing.",
    responses={
        200: examples.json_example(
            {**examples.ORDER, "status": "cancelled"}, "The order after the change"
        ),
        **problem_responses(404, 409, 422, *BACKEND_ERRORS),
    },
)
async def change_order_status(
    order_id: RecordId,
    change: Annotated[
        OrderStatusChange, Body(openapi_examples={"cancel": {"value": {"status": "cancelled"}}})
    ],
    erp: Erp,
) -> SalesOrder:
    return await erp.change_order_status(order_id, change.status)


@invoices.post(
    "",
    status_code=201,
    summary="Invoice a sales order",
    description="Bills the order's total (the order becomes billed). The same `external_id` "
    "returns the first invoice, with 200. An order that is cancelled, closed, "
    "pending approval or already billed cannot be invoiced (409).",
    responses={
        201: examples.json_example(examples.INVOICE, "Created"),
        200: examples.json_example(examples.INVOICE, "Already made with this external_id"),
        **problem_responses(404, 409, 422, *BACKEND_ERRORS),
    },
)
async def create_invoice(
    invoice: Annotated[
        CreateInvoiceRequest,
        Body(
            openapi_examples={
                "net 30": {"value": {"order_id": "93", "external_id": "inv-web-7f3a2c"}}
            }
        ),
    ],
    erp: Erp,
    response: Response,
) -> Invoice:
    created_invoice, created = await erp.create_invoice(invoice)
    response.status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
    return created_invoice


@invoices.get(
    "",
    summary="List invoices",
    description="Filter by customer, order and status.",
    responses={
        200: examples.json_example(examples.page_of(examples.INVOICE), "One page"),
        **problem_responses(422, *BACKEND_ERRORS),
    },
)
async def list_invoices(
    erp: Erp,
    customer_id: CustomerFilter = None,
    order_id: Annotated[str | None, Query(max_length=20)] = None,
    invoice_status: Annotated[InvoiceStatus | None, Query(alias="status")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[Invoice]:
    at = position(cursor, limit)
    listing = await erp.list_invoices(
        at, customer_id=customer_id, order_id=order_id, status=invoice_status
    )
    return Page[Invoice](
        items=listing.items, total=listing.total, next_cursor=next_cursor(at, listing.total_pages)
    )


@invoices.get(
    "/{invoice_id}",
    summary="Get an invoice",
    responses={
        200: examples.json_example(examples.INVOICE, "The invoice"),
        **problem_responses(404, *BACKEND_ERRORS),
    },
)
async def get_invoice(invoice_id: RecordId, erp: Erp) -> Invoice:
    return await erp.get_invoice(invoice_id)


@invoices.post(
    "/{invoice_id}/payments",
    summary="Pay an invoice",
    description="Takes the amount off what is due; the payment that covers it marks the "
    "invoice paid and closes its order. More than is due is 422; a paid or "
    "cancelled invoice is 409. Send an `external_id` to make retrying safe.",
    responses={
        200: examples.json_example(
            {**examples.INVOICE, "amount_due": {"amount": "158.00", "currency": "USD"}},
            "The invoice after the payment",
        ),
        **problem_responses(404, 409, 422, *BACKEND_ERRORS),
    },
)
async def pay_invoice(
    invoice_id: RecordId,
    payment: Annotated[
        PaymentRequest,
        Body(
            openapi_examples={
                "partial": {
                    "value": {
                        "amount": {"amount": "100.00", "currency": "USD"},
                        "external_id": "pay-0001",
                    }
                }
            }
        ),
    ],
    erp: Erp,
) -> Invoice:
    return await erp.pay_invoice(invoice_id, payment)


@invoices.post(
    "/{invoice_id}/status",
    summary="Cancel an invoice",
    description="An open invoice with nothing paid can be cancelled (voided in the ERP); its "
    "order can then be invoiced again. Otherwise 409 naming the current status.",
    responses={
        200: examples.json_example(
            {**examples.INVOICE, "status": "cancelled"}, "The cancelled invoice"
        ),
        **problem_responses(404, 409, 422, *BACKEND_ERRORS),
    },
)
async def change_invoice_status(
    invoice_id: RecordId,
    change: Annotated[
        InvoiceStatusChange, Body(openapi_examples={"cancel": {"value": {"status": "cancelled"}}})
    ],
    erp: Erp,
) -> Invoice:
    return await erp.cancel_invoice(invoice_id)
