"""Routes of the orders process API."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from process_apis.flows import FlowTrace
from process_apis.identity import CallerRestriction, CurrentCaller
from process_apis.orders.schemas import (
    CUSTOMER_ID_PATTERN,
    ORDER_REQUEST_EXAMPLE,
    Order,
    OrderRequest,
    PaymentRequest,
)
from process_apis.orders.service import Answer, OrdersService
from strata.errors import PROBLEM_JSON, problem_responses
from strata.json_body import StrictJsonRoute
from system_apis.canonical import Page

UPSTREAM_FAILURES = (502, 503, 504)


def _service(request: Request) -> OrdersService:
    service: OrdersService = request.app.state.orders
    return service


def _base_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


Service = Annotated[OrdersService, Depends(_service)]
BasePath = Annotated[str, Depends(_base_path)]
Authorization = Annotated[str | None, Header(include_in_schema=False)]
OrderId = Annotated[
    str, Path(min_length=1, max_length=64, examples=["ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e"])
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required. The same key with the same body returns the first answer; "
        "with another body it is 422. Kept for at least 24 hours, per client.",
        examples=["7f3a2c9e-1b4d-4e8a-9c0f-2d6b8e1a5c3f"],
    ),
]
Prefer = Annotated[
    str | None,
    Header(
        description="`respond-async` to get 202 at once and follow `Location`",
        examples=["respond-async"],
    ),
]

router = APIRouter(route_class=StrictJsonRoute, prefix="/orders", tags=["orders"])


def _order_example(status: str = "confirmed") -> dict[str, Any]:
    return {
        "id": "ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e",
        "status": status,
        "flow_status": "succeeded",
        "customer_id": "001Dn0000000001IAA",
        "location_id": "71043000001",
        "currency": "USD",
        "lines": [
            {
                "sku": "FUR-001-GRA",
                "name": "Oak Desk",
                "quantity": 2,
                "unit_price": {"amount": "129.00", "currency": "USD"},
                "amount": {"amount": "258.00", "currency": "USD"},
                "reservation_id": "41",
            }
        ],
        "total": {"amount": "258.00", "currency": "USD"},
        "sales_order": {"id": "93", "number": "SO-10093", "status": "pending_fulfillment"},
        "invoice": {
            "id": "57",
            "number": "INV-10057",
            "status": "open",
            "total": {"amount": "258.00", "currency": "USD"},
            "amount_due": {"amount": "258.00", "currency": "USD"},
            "due_date": "2026-12-25",
        },
        "activity_id": "00TDn0000000301IAA",
        "amount_paid": None,
        "paid_at": None,
        "failure": None,
        "created_at": "2026-11-25T14:30:00Z",
        "updated_at": "2026-11-25T14:30:01Z",
        "links": {
            "self": "/process/orders/v1/orders/ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e",
            "trace": "/process/orders/v1/orders/ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e/trace",
        },
    }


def _example(description: str, example: dict[str, Any]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"example": example}}}


def _respond(answer: Answer) -> JSONResponse:
    return JSONResponse(
        answer.body,
        status_code=answer.status,
        headers=answer.headers,
        media_type=PROBLEM_JSON if answer.problem else "application/json",
    )


def _wants_async(prefer: str | None) -> bool:
    preferences = [part.split(";")[0].strip().lower() for part in (prefer or "").split(",")]
    return "respond-async" in preferences


@router.post(
    "",
    summary="Place an order (order to invoice)",
    description="Checks the customer in the CRM, prices the lines from the inventory system, "
    "holds the stock at the location, makes the sales order and its invoice in the ERP, "
    "commits the stock and records the order on the CRM account. Each step is durable; a "
    "step that fails for good undoes the ones before it (holds released, ERP order and "
    "invoice cancelled).\n\n"
    "Needs an `Idempotency-Key` (400 without). The same key with the same body answers what "
    "the first request answered (`Idempotent-Replayed: true`); while the first is still "
    "running it is 409 with `Location`; with a different body, 422.\n\n"
    "Synchronous by default (201 with the order and its invoice); with "
    "`Prefer: respond-async`, 202 at once with `Location` to follow. An unknown or inactive "
    "customer is 422 naming `customer_id`; too little stock is 409 naming the SKU and what "
    "is available.\n\n"
    "A token of a person linked to a customer (a shopper) may order for that customer only: "
    "any other `customer_id` is 403 naming it, and nothing is placed.",
    status_code=201,
    response_model=Order,
    responses={
        201: _example("The order, confirmed, with its invoice", _order_example()),
        202: _example(
            "Accepted; follow Location", {**_order_example("processing"), "flow_status": "running"}
        ),
        **problem_responses(400, 403, 409, 422, *UPSTREAM_FAILURES),
    },
)
async def place_order(
    service: Service,
    caller: CurrentCaller,
    base_path: BasePath,
    order: Annotated[
        OrderRequest,
        Body(
            openapi_examples={
                "two desks": {"summary": "Two units of one SKU", "value": ORDER_REQUEST_EXAMPLE}
            }
        ),
    ],
    idempotency_key: IdempotencyKey = None,
    prefer: Prefer = None,
    authorization: Authorization = None,
) -> JSONResponse:
    respond_async = _wants_async(prefer)
    answer = await service.place(
        order,
        idempotency_key=idempotency_key,
        caller=caller,
        authorization=authorization,
        respond_async=respond_async,
        base_path=base_path,
    )
    response = _respond(answer)
    if respond_async and answer.status == 202:
        response.headers["Preference-Applied"] = "respond-async"
    return response


@router.get(
    "",
    summary="List orders",
    description="Orders placed through this process, newest first, optionally of one "
    "customer, or the one you placed with an Idempotency-Key. Follow `next_cursor` for older "
    "ones; orders placed meanwhile never shift a page. A shopper's token lists that "
    "customer's orders only.",
    response_model=Page[Order],
    responses=problem_responses(422),
)
async def list_orders(
    service: Service,
    caller: CurrentCaller,
    base_path: BasePath,
    customer_id: Annotated[
        str | None,
        Query(pattern=CUSTOMER_ID_PATTERN, description="Only this customer's orders"),
    ] = None,
    idempotency_key: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=255,
            description="Only the order you placed with this Idempotency-Key (none if the key "
            "placed nothing, or is forgotten)",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> Page[Order]:
    return await service.list_orders(
        customer_id=customer_id,
        caller=caller,
        idempotency_key=idempotency_key,
        limit=limit,
        cursor=cursor,
        base_path=base_path,
    )


@router.get(
    "/{order_id}",
    summary="Get an order",
    description="The order with its status, lines, ERP order and invoice as far as its flow "
    "got. `status`: processing, confirmed, paid, rolling_back, rejected, cancelling, "
    "cancelled. Another customer's order is 404 to a shopper's token, as an unknown one is.",
    response_model=Order,
    responses={200: _example("The order", _order_example()), **problem_responses(404, 422)},
)
async def get_order(
    order_id: OrderId, service: Service, restriction: CallerRestriction, base_path: BasePath
) -> Order:
    return await service.order(order_id, base_path, restriction)


@router.get(
    "/{order_id}/trace",
    summary="Trace an order's flow",
    description="Every step with its kind, status, attempts, times, errors, the ids it "
    "produced and how it was undone, then every event in order.",
    response_model=FlowTrace,
    responses=problem_responses(404, 422),
)
async def trace_order(
    order_id: OrderId, service: Service, restriction: CallerRestriction
) -> FlowTrace:
    return await service.trace(order_id, restriction)


@router.post(
    "/{order_id}/payments",
    summary="Pay an order",
    description="Applies a payment to the order's invoice in the ERP (by default all that "
    "is due); paid in full, the order is paid. Send an `Idempotency-Key` to make a retry "
    "safe. An order that is not confirmed is 409.",
    response_model=Order,
    responses={
        200: _example(
            "The order after the payment",
            {
                **_order_example("paid"),
                "amount_paid": {"amount": "258.00", "currency": "USD"},
                "paid_at": "2026-11-26T09:00:00Z",
            },
        ),
        **problem_responses(404, 409, 422, *UPSTREAM_FAILURES),
    },
)
async def pay_order(
    order_id: OrderId,
    service: Service,
    restriction: CallerRestriction,
    base_path: BasePath,
    payment: Annotated[
        PaymentRequest | None,
        Body(
            openapi_examples={
                "in full": {"summary": "Everything due", "value": {}},
                "partial": {
                    "summary": "Part of it",
                    "value": {"amount": {"amount": "100.00", "currency": "USD"}},
                },
            }
        ),
    ] = None,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
    authorization: Authorization = None,
) -> Order:
    return await service.pay(
        order_id,
        payment or PaymentRequest(),
        restriction=restriction,
        authorization=authorization,
        idempotency_key=idempotency_key,
        base_path=base_path,
    )


@router.post(
    "/{order_id}/cancel",
    summary="Cancel an order",
    description="Undoes what the order's flow did, in reverse order: the CRM is told, the "
    "invoice and the ERP order are cancelled, the stock is released. 200 once cancelled; "
    "202 while undoing goes on (another runner has the flow, or a system is down: it is "
    "retried). A paid order, or one that already failed, is 409.",
    response_model=Order,
    responses={
        200: _example("Cancelled", {**_order_example("cancelled"), "flow_status": "cancelled"}),
        202: _example(
            "Cancelling", {**_order_example("cancelling"), "flow_status": "compensating"}
        ),
        **problem_responses(404, 409, 422),
    },
)
async def cancel_order(
    order_id: OrderId,
    service: Service,
    restriction: CallerRestriction,
    base_path: BasePath,
    authorization: Authorization = None,
) -> JSONResponse:
    status, order = await service.cancel(
        order_id, restriction=restriction, authorization=authorization, base_path=base_path
    )
    return JSONResponse(order.model_dump(mode="json"), status_code=status)


@router.post(
    "/{order_id}/retry",
    summary="Retry an order's flow",
    description="Runs a failed flow again from the step that failed (or goes on undoing one "
    "whose undoing was stuck). 409 when there is nothing to retry.",
    response_model=Order,
    responses={
        200: _example("The order after the retry", _order_example()),
        202: _example("Another runner is on it", _order_example("processing")),
        **problem_responses(404, 409, 422),
    },
)
async def retry_order(
    order_id: OrderId,
    service: Service,
    restriction: CallerRestriction,
    base_path: BasePath,
    authorization: Authorization = None,
) -> JSONResponse:
    status, order = await service.retry(
        order_id, restriction=restriction, authorization=authorization, base_path=base_path
    )
    return JSONResponse(order.model_dump(mode="json"), status_code=status)
