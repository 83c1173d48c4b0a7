"""The store's catalog: the shop, products with their variants, inventory items, locations.

``products.json`` takes Shopify's filters (``ids``, ``product_type``, ``status``, ``handle``,
``title``, ``since_id``) plus ``sku`` (comma-separated), this store's stand-in for looking a
variant up by SKU, which Shopify offers through its GraphQL ``productVariants(query: "sku:…")``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.backends.inventory import render
from system_apis.backends.inventory.errors import bad_request, not_found
from system_apis.backends.inventory.models import (
    PRODUCT_STATUSES,
    InventoryItem,
    InventoryLocation,
    InventoryProduct,
    InventoryVariant,
)
from system_apis.backends.inventory.paging import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    fetch_page,
    page_request,
    set_link_header,
)
from system_apis.backends.inventory.shop import MAX_ID, parse_id
from system_apis.backends.inventory.store import StoreDep, id_list

Product = InventoryProduct
Variant = InventoryVariant
MAX_IDS = 250


def _product_conditions(filters: dict[str, str]) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    ids = id_list("ids", filters.get("ids"), MAX_IDS)
    if ids is not None:
        conditions.append(Product.id.in_(ids))
    for name, column in (
        ("product_type", Product.product_type),
        ("handle", Product.handle),
        ("title", Product.title),
    ):
        if name in filters:
            conditions.append(column == filters[name])
    if "status" in filters:
        if filters["status"] not in PRODUCT_STATUSES:
            raise bad_request("status", f"must be one of {', '.join(PRODUCT_STATUSES)}")
        conditions.append(Product.status == filters["status"])
    if "since_id" in filters:
        since = filters["since_id"]
        if not since.isdigit() or int(since) > MAX_ID:
            raise bad_request("since_id", "must be an id")
        conditions.append(Product.id > int(since))
    if "sku" in filters:
        skus = [sku.strip() for sku in filters["sku"].split(",") if sku.strip()]
        if not skus or len(skus) > MAX_IDS:
            raise bad_request("sku", f"must be a comma-separated list of 1 to {MAX_IDS} SKUs")
        with_sku = select(Variant.product_id).where(Variant.sku.in_(skus))
        conditions.append(Product.id.in_(with_sku))
    return conditions


async def _variants_of(
    session: AsyncSession, products: Sequence[Product]
) -> dict[int, list[Variant]]:
    found = await session.scalars(
        select(Variant).where(Variant.product_id.in_([p.id for p in products])),
    )
    by_product: dict[int, list[Variant]] = defaultdict(list)
    for variant in found:
        by_product[variant.product_id].append(variant)
    return by_product


def _given(**values: str | None) -> dict[str, str | None]:
    return values


def catalog_router() -> APIRouter:
    router = APIRouter()

    @router.get("/shop.json", tags=["shop"], summary="The shop's settings (currency, zone)")
    async def read_shop() -> dict[str, Any]:
        return {"shop": render.shop()}

    @router.get("/products.json", tags=["products"], summary="Products with their variants")
    async def list_products(
        request: Request,
        response: Response,
        store: StoreDep,
        ids: str | None = None,
        product_type: str | None = None,
        status: str | None = None,
        handle: str | None = None,
        title: str | None = None,
        since_id: str | None = None,
        sku: str | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
        page_info: str | None = None,
    ) -> dict[str, Any]:
        asked = _given(
            ids=ids,
            product_type=product_type,
            status=status,
            handle=handle,
            title=title,
            since_id=since_id,
            sku=sku,
        )
        cursor = page_request(page_info, asked)
        filters = cursor.filters if cursor else {k: v for k, v in asked.items() if v}
        statement = select(Product).where(*_product_conditions(filters))
        async with store.database.session() as session:
            page = await fetch_page(
                session, statement, [Product.id], lambda p: (p.id,), limit, cursor, filters
            )
            variants = await _variants_of(session, page.rows)
        set_link_header(response, request, page, limit)
        return {"products": [render.product(p, variants[p.id]) for p in page.rows]}

    @router.get("/products/count.json", tags=["products"], summary="How many products match")
    async def count_products(
        store: StoreDep,
        product_type: str | None = None,
        status: str | None = None,
        sku: str | None = None,
    ) -> dict[str, int]:
        filters = {
            k: v for k, v in _given(product_type=product_type, status=status, sku=sku).items() if v
        }
        statement = (
            select(func.count())
            .select_from(Product)
            .where(
                *_product_conditions(filters),
            )
        )
        async with store.database.session() as session:
            return {"count": (await session.execute(statement)).scalar_one()}

    @router.get("/products/{product_id}.json", tags=["products"], summary="One product")
    async def read_product(product_id: str, store: StoreDep) -> dict[str, Any]:
        identifier = parse_id(product_id)
        async with store.database.session() as session:
            product = await session.get(Product, identifier) if identifier else None
            if product is None:
                raise not_found()
            variants = await _variants_of(session, [product])
        return {"product": render.product(product, variants[product.id])}

    @router.get("/inventory_items.json", tags=["inventory items"], summary="Inventory items by id")
    async def list_inventory_items(
        store: StoreDep,
        ids: str,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    ) -> dict[str, Any]:
        wanted = id_list("ids", ids, 100) or []
        statement = (
            select(InventoryItem, Variant.sku)
            .outerjoin(Variant, Variant.inventory_item_id == InventoryItem.id)
            .where(InventoryItem.id.in_(wanted))
            .order_by(InventoryItem.id)
            .limit(limit)
        )
        async with store.database.session() as session:
            rows = (await session.execute(statement)).all()
        return {"inventory_items": [render.inventory_item(item, sku) for item, sku in rows]}

    @router.get("/locations.json", tags=["locations"], summary="Every location of the shop")
    async def list_locations(store: StoreDep) -> dict[str, Any]:
        async with store.database.session() as session:
            found = await session.scalars(select(InventoryLocation).order_by(InventoryLocation.id))
            return {"locations": [render.location(location) for location in found]}

    @router.get("/locations/{location_id}.json", tags=["locations"], summary="One location")
    async def read_location(location_id: str, store: StoreDep) -> dict[str, Any]:
        identifier = parse_id(location_id)
        async with store.database.session() as session:
            location = await session.get(InventoryLocation, identifier) if identifier else None
        if location is None:
            raise not_found()
        return {"location": render.location(location)}

    return router
