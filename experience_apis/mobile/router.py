"""Routes of the mobile experience API.

Each route answers a ``JSONResponse`` of the compact view trimmed to ``?fields=``; its
``response_model`` documents the full shape. The ETag middleware tags every 200 GET.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Path, Request
from fastapi.responses import JSONResponse

from experience_apis.common.identity import CurrentCustomer
from experience_apis.mobile.client import MobileCalls
from experience_apis.mobile.fields import FieldSelection, sparse_fields
from experience_apis.mobile.paging import DEFAULT_LIMIT, Cursor, Limit
from experience_apis.mobile.schemas import (
    ORDER_ID_PATTERN,
    SKU_PATTERN,
    InvoiceList,
    InvoiceView,
    Me,
    NewOrder,
    OrderDetail,
    OrderList,
    OrderSummary,
    Payment,
    ProductDetail,
    ProductList,
    ProductView,
    compact,
)
from experience_apis.mobile.service import MobileService
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute


def _service(request: Request, customer: CurrentCustomer) -> MobileService:
    return MobileService(MobileCalls(request.app.state.clients, customer.authorization), customer)


def _base_path(request: Request) -> str:
    return str(request.scope.get("root_path", "")).rstrip("/")


Service = Annotated[MobileService, Depends(_service)]
OrderId = Annotated[
    str, Path(pattern=ORDER_ID_PATTERN, examples=["ord_5d1b6c0e2f7a4b8c9d0e1f2a3b4c5d6e"])
]
Sku = Annotated[str, Path(pattern=SKU_PATTERN, examples=["FUR-001-GRA"])]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="A key of your own for this request: sent again (a retry), it answers "
        "what the first one did, never acting twice",
        examples=["7f3a2c9e-1b4d-4e8a-9c0f-2d6b8e1a5c3f"],
    ),
]
MeFields = Annotated[FieldSelection, Depends(sparse_fields(Me))]
OrderFields = Annotated[FieldSelection, Depends(sparse_fields(OrderSummary))]
OrderDetailFields = Annotated[FieldSelection, Depends(sparse_fields(OrderDetail))]
InvoiceFields = Annotated[FieldSelection, Depends(sparse_fields(InvoiceView))]
ProductFields = Annotated[FieldSelection, Depends(sparse_fields(ProductView, "sku"))]
ProductDetailFields = Annotated[FieldSelection, Depends(sparse_fields(ProductDetail, "sku"))]

NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: `If-None-Match` named the current `ETag`"}
}
BELOW_FAILED = (502, 503, 504)
READ = {**NOT_MODIFIED, **problem_responses(401, 403, 422, *BELOW_FAILED)}
READ_ONE = {**NOT_MODIFIED, **problem_responses(401, 403, 404, 422, *BELOW_FAILED)}

me = APIRouter(route_class=StrictJsonRoute, prefix="/me", tags=["me"])
products = APIRouter(route_class=StrictJsonRoute, prefix="/products", tags=["products"])


def _one(view: Any, fields: FieldSelection) -> JSONResponse:
    return JSONResponse(fields.apply(compact(view)))


def _page(items: list[Any], next_cursor: str | None, fields: FieldSelection) -> JSONResponse:
    body = {"items": fields.apply_all(compact(item) for item in items), "next_cursor": next_cursor}
    return JSONResponse(body)


@me.get(
    "",
    summary="Who I am",
    description="The signed-in customer's name and contact, and what they owe on open "
    "invoices. When a system is down, its fields are left out and named in `degraded`.",
    response_model=Me,
    responses=READ_ONE,
)
async def get_me(service: Service, fields: MeFields) -> JSONResponse:
    return _one(await service.me(), fields)


@me.get(
    "/orders",
    summary="My orders",
    description="Orders placed through the app, newest first. Follow `next_cursor`.",
    response_model=OrderList,
    responses=READ,
)
async def list_my_orders(
    service: Service, fields: OrderFields, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> JSONResponse:
    return _page(*await service.orders(limit, cursor), fields)


@me.get(
    "/orders/{order_id}",
    summary="One of my orders",
    description="The order with its lines. Another customer's order is 404, like an unknown id.",
    response_model=OrderDetail,
    responses=READ_ONE,
)
async def get_my_order(
    order_id: OrderId, service: Service, fields: OrderDetailFields
) -> JSONResponse:
    return _one(await service.order(order_id), fields)


@me.post(
    "/orders",
    summary="Place an order",
    description="Orders `items` for pick-up at `location_id` (see a product's `locations`) "
    "and invoices it. Needs an `Idempotency-Key` (400 without): the same key and body "
    "again answers the first order (`Idempotent-Replayed: true`). 201 with the order; 202 "
    "while it is still processing. Too little stock is 409 naming the SKU and what is "
    "available.",
    status_code=201,
    response_model=OrderDetail,
    responses={
        202: {"description": "Still processing; read it again at `Location`"},
        **problem_responses(400, 401, 403, 409, 422, *BELOW_FAILED),
    },
)
async def place_my_order(
    request: Request,
    service: Service,
    order: Annotated[NewOrder, Body()],
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    status, detail, replayed = await service.place(order, idempotency_key)
    headers = {"Location": f"{_base_path(request)}/me/orders/{detail.id}"}
    if replayed:
        headers["Idempotent-Replayed"] = "true"
    return JSONResponse(compact(detail), status_code=status, headers=headers)


@me.post(
    "/orders/{order_id}/payments",
    summary="Pay one of my orders",
    description="Pays the order's invoice: everything due, or `amount` (in the order's "
    "currency). Send an `Idempotency-Key` to make a retry safe. An order that is not "
    "confirmed is 409; another customer's order is 404.",
    response_model=OrderDetail,
    responses=problem_responses(401, 403, 404, 409, 422, *BELOW_FAILED),
)
async def pay_my_order(
    order_id: OrderId,
    service: Service,
    payment: Annotated[Payment | None, Body()] = None,
    idempotency_key: IdempotencyKey = None,
) -> JSONResponse:
    detail = await service.pay(order_id, payment or Payment(), idempotency_key)
    return JSONResponse(compact(detail))


@me.get(
    "/invoices",
    summary="My invoices",
    description="The customer's newest invoices, newest first. Follow `next_cursor`. 503 "
    "when the ERP cannot be reached.",
    response_model=InvoiceList,
    responses=READ,
)
async def list_my_invoices(
    service: Service, fields: InvoiceFields, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> JSONResponse:
    return _page(*await service.invoices(limit, cursor), fields)


@products.get(
    "",
    summary="Products",
    description="The catalog with the units available now across locations. Follow `next_cursor`.",
    response_model=ProductList,
    responses=READ,
)
async def list_products(
    service: Service, fields: ProductFields, limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None
) -> JSONResponse:
    return _page(*await service.products(limit, cursor), fields)


@products.get(
    "/{sku}",
    summary="A product",
    description="One product with what each location has available (to choose where to "
    "order from).",
    response_model=ProductDetail,
    responses=READ_ONE,
)
async def get_product(sku: Sku, service: Service, fields: ProductDetailFields) -> JSONResponse:
    return _one(await service.product(sku), fields)


router = APIRouter(route_class=StrictJsonRoute)
router.include_router(me)
router.include_router(products)
