"""The store's native catalog API: Shopify's shapes, paging, filters and error bodies."""

from __future__ import annotations

import base64
import json
import re

import httpx

from inventory.support import API, ITEM, SKU, WAREHOUSE
from system_apis.backends.inventory.seed import product_id
from system_apis.demo import DemoWorld

SHOPIFY_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d-0[78]:00$")


def _next_link(response: httpx.Response, relation: str = "next") -> str | None:
    found = re.search(rf'<([^>]+)>; rel="{relation}"', response.headers.get("link", ""))
    return found.group(1) if found else None


async def test_shop_names_its_currency(shop: httpx.AsyncClient) -> None:
    response = await shop.get(f"{API}/shop.json")
    assert response.status_code == 200
    assert response.json()["shop"]["currency"] == "USD"


async def test_a_product_looks_like_shopify(shop: httpx.AsyncClient, world: DemoWorld) -> None:
    response = await shop.get(f"{API}/products/{product_id(1)}.json")
    assert response.status_code == 200
    product = response.json()["product"]
    first = world.products[0]
    assert product["id"] == product_id(1)
    assert product["title"] == first.name
    assert product["body_html"] == f"<p>{first.description}</p>"
    assert product["product_type"] == first.category
    assert product["status"] == "active"
    assert SHOPIFY_TIME.match(product["created_at"])
    assert SHOPIFY_TIME.match(product["updated_at"])
    assert product["admin_graphql_api_id"] == f"gid://shopify/Product/{product_id(1)}"
    [variant] = product["variants"]
    assert variant["sku"] == first.sku
    assert variant["price"] == f"{first.price:.2f}"  # a string, as Shopify sends prices
    assert variant["inventory_item_id"] == ITEM


async def test_products_page_by_link_header_forward_and_back(shop: httpx.AsyncClient) -> None:
    first = await shop.get(f"{API}/products.json", params={"limit": 10})
    assert _next_link(first, "previous") is None
    seen: list[int] = [p["id"] for p in first.json()["products"]]
    response = first
    while (link := _next_link(response)) is not None:
        assert "page_info=" in link and "limit=10" in link
        response = await shop.get(link)
        assert response.status_code == 200
        seen.extend(p["id"] for p in response.json()["products"])
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 36
    assert len(response.json()["products"]) == 6

    second = await shop.get(_next_link(first) or "")
    back = await shop.get(_next_link(second, "previous") or "")
    assert [p["id"] for p in back.json()["products"]] == seen[:10]


async def test_products_filter_by_type_and_sku(shop: httpx.AsyncClient, world: DemoWorld) -> None:
    furniture = await shop.get(
        f"{API}/products.json", params={"product_type": "furniture", "limit": 250}
    )
    products = furniture.json()["products"]
    assert len(products) == sum(1 for p in world.products if p.category == "furniture")
    assert {p["product_type"] for p in products} == {"furniture"}

    skus = f"{SKU},{world.products[5].sku}"
    by_sku = await shop.get(f"{API}/products.json", params={"sku": skus})
    assert [p["variants"][0]["sku"] for p in by_sku.json()["products"]] == skus.split(",")

    count = await shop.get(f"{API}/products/count.json", params={"product_type": "furniture"})
    assert count.json() == {"count": len(products)}


async def test_page_info_keeps_the_filters(shop: httpx.AsyncClient) -> None:
    first = await shop.get(
        f"{API}/products.json", params={"product_type": "electronics", "limit": 2}
    )
    response = await shop.get(_next_link(first) or "")
    assert {p["product_type"] for p in response.json()["products"]} == {"electronics"}

    token = httpx.URL(_next_link(first) or "").params["page_info"]
    mixed = await shop.get(
        f"{API}/products.json", params={"page_info": token, "product_type": "office"}
    )
    assert mixed.status_code == 400
    assert "page_info" in mixed.json()["errors"]


async def test_bad_query_parameters_are_400_naming_them(shop: httpx.AsyncClient) -> None:
    # A token made up by hand, pointing past any 64-bit id.
    forged = base64.urlsafe_b64encode(
        json.dumps({"direction": "next", "key": [10**30], "filters": {}}).encode(),
    ).decode()
    cases: list[tuple[str, str | int]] = [
        ("limit", 251),
        ("limit", 0),
        ("page_info", "not-a-token"),
        ("page_info", forged),
        ("ids", "1,abc"),
        ("status", "deleted"),
        ("since_id", "9" * 30),
    ]
    for parameter, value in cases:
        response = await shop.get(f"{API}/products.json", params={parameter: value})
        assert response.status_code == 400, (parameter, value)
        assert parameter in response.json()["errors"], (parameter, value)


async def test_unknown_records_and_routes_are_not_found(shop: httpx.AsyncClient) -> None:
    for path in (
        f"/products/{product_id(999)}.json",
        "/products/abc.json",
        f"/products/{'9' * 40}.json",
        "/locations/1.json",
        "/no_such_thing.json",
    ):
        response = await shop.get(API + path)
        assert response.status_code == 404, path
        assert response.json() == {"errors": "Not Found"}


async def test_inventory_items_carry_their_sku(shop: httpx.AsyncClient) -> None:
    response = await shop.get(f"{API}/inventory_items.json", params={"ids": str(ITEM)})
    [item] = response.json()["inventory_items"]
    assert (item["id"], item["sku"], item["tracked"]) == (ITEM, SKU, True)

    missing = await shop.get(f"{API}/inventory_items.json")
    assert missing.status_code == 400
    assert missing.json() == {"errors": {"ids": "can't be blank"}}


async def test_locations_have_codes_addresses_and_coordinates(
    shop: httpx.AsyncClient, world: DemoWorld
) -> None:
    locations = (await shop.get(f"{API}/locations.json")).json()["locations"]
    assert [loc["code"] for loc in locations] == [loc.code for loc in world.locations]
    warehouse = (await shop.get(f"{API}/locations/{WAREHOUSE}.json")).json()["location"]
    demo = world.locations[3]
    assert (warehouse["name"], warehouse["address1"], warehouse["city"], warehouse["zip"]) == (
        demo.name,
        demo.street,
        demo.city,
        demo.postal_code,
    )
    assert (warehouse["latitude"], warehouse["longitude"]) == (demo.latitude, demo.longitude)
    assert warehouse["country_code"] == "US"
