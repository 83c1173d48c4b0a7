"""The inventory system API's products, locations and stock, over the in-process store."""

from __future__ import annotations

import httpx
import pytest

from inventory.support import SKU, WAREHOUSE_ID, stock_in
from system_apis.backends.inventory.seed import location_id, variant_id
from system_apis.canonical import Address, Location, Money, Page, Product, StockLevel
from system_apis.demo import DemoWorld

PROBLEM_JSON = "application/problem+json"


async def test_products_page_through_the_catalog(api: httpx.AsyncClient, world: DemoWorld) -> None:
    seen: list[Product] = []
    params: dict[str, str | int] = {"limit": 8}
    while True:
        response = await api.get("/products", params=params)
        assert response.status_code == 200
        page = Page[Product].model_validate(response.json())
        assert len(page.items) <= 8
        seen.extend(page.items)
        if page.next_cursor is None:
            break
        params = {"limit": 8, "cursor": page.next_cursor}
    assert [p.sku for p in seen] == [p.sku for p in world.products]


async def test_a_product_by_sku(api: httpx.AsyncClient, world: DemoWorld) -> None:
    response = await api.get(f"/products/{SKU}")
    assert response.status_code == 200
    demo = world.products[0]
    assert Product.model_validate(response.json()) == Product(
        id=str(variant_id(1)),
        sku=SKU,
        name=demo.name,
        description=demo.description,
        category=demo.category,
        price=Money(amount=demo.price, currency="USD"),
        active=True,
    )
    assert response.json()["price"] == {"amount": f"{demo.price:.2f}", "currency": "USD"}


async def test_an_unknown_sku_is_404_naming_the_product(api: httpx.AsyncClient) -> None:
    for sku in ("NOPE-000", "A,B"):
        response = await api.get(f"/products/{sku}")
        assert response.status_code == 404
        assert response.headers["content-type"] == PROBLEM_JSON
        assert response.json()["resource"] == "product"
        assert response.json()["id"] == sku


async def test_products_filter_by_category_and_sku(
    api: httpx.AsyncClient, world: DemoWorld
) -> None:
    lighting = await api.get("/products", params={"category": "lighting", "limit": 200})
    items = lighting.json()["items"]
    assert [p["sku"] for p in items] == [p.sku for p in world.products if p.category == "lighting"]
    one = await api.get("/products", params={"sku": SKU})
    assert [p["sku"] for p in one.json()["items"]] == [SKU]
    none = await api.get("/products", params={"sku": "NOPE"})
    assert none.json() == {"items": [], "next_cursor": None, "total": None}


async def test_a_cursor_only_serves_its_own_query(api: httpx.AsyncClient) -> None:
    first = await api.get("/products", params={"category": "electronics", "limit": 2})
    cursor = first.json()["next_cursor"]
    following = await api.get(
        "/products", params={"category": "electronics", "limit": 2, "cursor": cursor}
    )
    assert following.status_code == 200
    assert {p["category"] for p in following.json()["items"]} == {"electronics"}

    for params in (
        {"category": "office", "cursor": cursor},
        {"cursor": "garbage!"},
        {"cursor": "eyJwIjoxfQ"},
    ):
        response = await api.get("/products", params=params)
        assert response.status_code == 422, params
        assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("limit", [0, 201, "ten"])
async def test_limits_outside_1_to_200_are_422(api: httpx.AsyncClient, limit: int | str) -> None:
    response = await api.get("/products", params={"limit": limit})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "limit"


async def test_locations_with_coordinates(api: httpx.AsyncClient, world: DemoWorld) -> None:
    response = await api.get("/locations", params={"limit": 3})
    page = Page[Location].model_validate(response.json())
    assert [loc.code for loc in page.items] == ["SFO-1", "OAK-1", "SJC-1"]
    assert page.total == 4 and page.next_cursor
    rest = Page[Location].model_validate(
        (await api.get("/locations", params={"limit": 3, "cursor": page.next_cursor})).json()
    )
    [warehouse] = rest.items
    demo = world.locations[3]
    assert warehouse == Location(
        id=WAREHOUSE_ID,
        code=demo.code,
        name=demo.name,
        address=Address(
            street=demo.street,
            city=demo.city,
            state=demo.state,
            postal_code=demo.postal_code,
            country="US",
        ),
        latitude=demo.latitude,
        longitude=demo.longitude,
    )
    assert rest.next_cursor is None


async def test_stock_of_a_sku_at_every_location(api: httpx.AsyncClient, world: DemoWorld) -> None:
    response = await api.get("/stock", params={"sku": SKU})
    assert response.status_code == 200
    levels = Page[StockLevel].model_validate(response.json()).items
    assert [(lv.location_code, lv.on_hand, lv.available, lv.committed) for lv in levels] == [
        (loc.code, stock_in(world, SKU, loc.code), stock_in(world, SKU, loc.code), 0)
        for loc in world.locations
    ]
    assert {lv.location_id for lv in levels} == {str(location_id(n)) for n in range(1, 5)}


async def test_stock_at_one_location_and_by_page(api: httpx.AsyncClient) -> None:
    one = await api.get("/stock", params={"sku": SKU, "location_id": WAREHOUSE_ID})
    assert [lv["location_code"] for lv in one.json()["items"]] == ["WH-SAC"]
    first = await api.get("/stock", params={"sku": SKU, "limit": 3})
    cursor = first.json()["next_cursor"]
    rest = await api.get("/stock", params={"sku": SKU, "limit": 3, "cursor": cursor})
    assert [lv["location_code"] for lv in rest.json()["items"]] == ["WH-SAC"]


async def test_stock_of_unknown_things_is_404(api: httpx.AsyncClient) -> None:
    cases = (
        ({"sku": "NOPE"}, "product"),
        ({"sku": SKU, "location_id": "999"}, "location"),
        ({"sku": SKU, "location_id": "SFO-1"}, "location"),
    )
    for params, resource in cases:
        response = await api.get("/stock", params=params)
        assert response.status_code == 404, params
        assert response.json()["resource"] == resource
    missing = await api.get("/stock")
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "sku"


async def test_the_openapi_document_describes_every_route(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert document["servers"] == [{"url": "/system/inventory/v1"}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            assert any(
                PROBLEM_JSON in r.get("content", {}) for r in operation["responses"].values()
            ), (method, path)
            success = next(code for code in operation["responses"] if code.startswith("2"))
            assert "example" in operation["responses"][success]["content"]["application/json"]
