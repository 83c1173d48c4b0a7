"""Routes of the web experience API: the dashboard, the catalog, checkout and orders."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse

from experience_apis.common.clients import ExperienceClients
from experience_apis.common.identity import CurrentCustomer
from experience_apis.web import examples
from experience_apis.web.client import WebCalls
from experience_apis.web.problems import idempotency_key as checked_key
from experience_apis.web.schemas import (
    CHECKOUT_EXAMPLE,
    SKU_PATTERN,
    CheckoutRequest,
    Dashboard,
    Order,
    OrderPage,
    PaymentRequest,
    Product,
    ProductPage,
)
from experience_apis.web.service import WebService
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute

SIGNED_IN = (401, 403)
BELOW_FAILURES = (502, 503, 504)


def _service(request: Request, customer: CurrentCustomer) -> WebService:
    clients: ExperienceClients = request.app.state.clients
    return WebService(WebCalls(clients, customer.authorization), customer.customer_id)


Service = Annotated[WebService, Depends(_service)]
OrderId = Annotated[
    str, Path(min_length=1, max_length=64, examples=["ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e"])
]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Required: a new one per cart. The same key again answers what the "
        "first checkout answered (`Idempotent-Replayed: true`).",
        examples=["7f3a2c9e-1b4d-4e8a-9c0f-2d6b8e1a5c3f"],
    ),
]
PaymentKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Makes a retried payment safe"),
]

dashboard = APIRouter(route_class=StrictJsonRoute, prefix="/dashboard", tags=["dashboard"])
catalog = APIRouter(route_class=StrictJsonRoute, prefix="/products", tags=["catalog"])
checkout = APIRouter(route_class=StrictJsonRoute, prefix="/checkout", tags=["checkout"])
orders = APIRouter(route_class=StrictJsonRoute, prefix="/orders", tags=["orders"])


@dashboard.get(
    "",
    summary="The signed-in customer's dashboard",
    description="Who they are, what they owe, their latest orders, invoices and activity, "
    "fetched at once. A system that is down leaves its parts empty and named in "
    "`degraded`; the answer is still 200.",
    response_model=Dashboard,
    responses={200: examples.documented(examples.DASHBOARD), **problem_responses(*SIGNED_IN)},
)
async def show_dashboard(service: Service) -> Dashboard:
    return await service.dashboard()


@catalog.get(
    "",
    summary="The catalog with availability",
    description="Products a page at a time, each with what every location has now. Follow "
    "`next_cursor` for the next page; filter by `category`.",
    response_model=ProductPage,
    responses={
        200: examples.documented({"items": [examples.PRODUCT], "next_cursor": None}),
        **problem_responses(*SIGNED_IN, 422, *BELOW_FAILURES),
    },
)
async def list_products(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=50, description="Products per page")] = 12,
    cursor: Annotated[
        str | None, Query(max_length=4096, description="`next_cursor` of the previous page")
    ] = None,
    category: Annotated[str | None, Query(max_length=255, examples=["furniture"])] = None,
) -> ProductPage:
    return await service.products(limit=limit, cursor=cursor, category=category)


@catalog.get(
    "/{sku}",
    summary="A product with availability",
    response_model=Product,
    responses={
        200: examples.documented(examples.PRODUCT),
        **problem_responses(*SIGNED_IN, 404, 422, *BELOW_FAILURES),
    },
)
async def get_product(
    service: Service, sku: Annotated[str, Path(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])]
) -> Product:
    return await service.product(sku)


@checkout.post(
    "",
    summary="Check out the cart",
    description="Places the order for the signed-in customer through the orders process "
    "API: stock held, sales order and invoice made. Without `location_id` the order is "
    "fulfilled from the location that has every line (the one with the most first); none "
    "is 409 `no-location` naming the lines. Too little stock is 409 naming the SKU; the "
    "orders API's other problems pass through. Needs an `Idempotency-Key` (400 without).",
    status_code=201,
    response_model=Order,
    responses={
        201: examples.documented(examples.ORDER, "The order, confirmed, with its invoice"),
        **problem_responses(400, *SIGNED_IN, 409, 422, *BELOW_FAILURES),
    },
)
async def check_out(
    service: Service,
    cart: Annotated[
        CheckoutRequest,
        Body(openapi_examples={"two chairs": {"summary": "One line", "value": CHECKOUT_EXAMPLE}}),
    ],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    key = checked_key(idempotency_key)
    done = await service.checkout(cart, key)
    # Relative to /checkout, so it resolves to this API's order behind any prefix (the
    # gateway's /experience/web/v1, or none).
    headers = {"Location": f"orders/{quote(done.order.id, safe='')}"}
    if done.replayed:
        headers["Idempotent-Replayed"] = "true"
    status = 202 if done.status == 202 else 201
    return JSONResponse(done.order.model_dump(mode="json"), status_code=status, headers=headers)


@orders.get(
    "",
    summary="The signed-in customer's orders",
    description="Newest first; follow `next_cursor` for older ones.",
    response_model=OrderPage,
    responses={
        200: examples.documented({"items": [examples.ORDER_SUMMARY], "next_cursor": None}),
        **problem_responses(*SIGNED_IN, 422, *BELOW_FAILURES),
    },
)
async def list_orders(
    service: Service,
    limit: Annotated[int, Query(ge=1, le=50, description="Orders per page")] = 10,
    cursor: Annotated[
        str | None, Query(max_length=512, description="`next_cursor` of the previous page")
    ] = None,
) -> OrderPage:
    return await service.orders(limit=limit, cursor=cursor)


@orders.get(
    "/{order_id}",
    summary="An order with its trace",
    description="Lines, totals, the ERP order and invoice, whether it can be paid, and every "
    "step of its flow. Another customer's order is 404, as an unknown id is.",
    response_model=Order,
    responses={
        200: examples.documented(examples.ORDER),
        **problem_responses(*SIGNED_IN, 404, 422, *BELOW_FAILURES),
    },
)
async def get_order(service: Service, order_id: OrderId) -> Order:
    return await service.order(order_id)


@orders.post(
    "/{order_id}/payments",
    summary="Pay an order",
    description="Pays the order's invoice: everything due by default, or `amount`. Paid in "
    "full, the order is `paid`. An order that cannot take a payment is 409.",
    response_model=Order,
    responses={
        200: examples.documented(examples.PAID_ORDER, "The order after the payment"),
        **problem_responses(*SIGNED_IN, 404, 409, 422, *BELOW_FAILURES),
    },
)
async def pay_order(
    service: Service,
    order_id: OrderId,
    payment: Annotated[
        PaymentRequest | None,
        Body(
            openapi_examples={
                "in full": {"summary": "Everything due", "value": {}},
                "partial": {
                    "summary": "Part of it",
                    "value": {"amount": {"amount": "50.00", "currency": "USD"}},
                },
            }
        ),
    ] = None,
    idempotency_key: PaymentKey = None,
) -> Order:
    key = checked_key(idempotency_key) if idempotency_key is not None else None
    return await service.pay(order_id, payment or PaymentRequest(), key)


router = APIRouter(route_class=StrictJsonRoute)
for part in (dashboard, catalog, checkout, orders):
    router.include_router(part)
