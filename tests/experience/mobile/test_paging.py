"""Cursor paging: every list walks to its end in pages, with no duplicates, and stops."""

from __future__ import annotations

from experience.mobile.helpers import PROBLEM_JSON, assert_no_nulls, place, signed_in, walk
from experience.support import ExperienceStack, bearer
from strata.cursors import encode_cursor


async def test_my_orders_page_newest_first_and_stop(stack: ExperienceStack) -> None:
    dana, eli = await signed_in(stack, "dana"), await signed_in(stack, "eli")
    placed = [await place(dana, f"page-{n}") for n in range(5)]
    elis = await place(eli, "page-eli")

    items, pages = await walk(dana, "/me/orders", limit=2)
    one_page, single = await walk(dana, "/me/orders", limit=50)

    assert pages == 3
    assert [item["id"] for item in items] == [order["id"] for order in reversed(placed)]
    assert elis["id"] not in {item["id"] for item in items}
    assert single == 1 and one_page == items
    for item in items:
        assert_no_nulls(item)
        assert set(item) == {"id", "status", "placed_at", "total", "currency", "items"} | {
            "invoice",
            "due",
        }
    assert items[0] == {k: v for k, v in placed[-1].items() if k in items[0]}


async def test_my_invoices_page_over_the_customer_360(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    placed = [await place(dana, f"inv-{n}") for n in range(2)]
    overview = await stack.below("process", "customers").get(
        f"/customers/{dana.customer_id}/overview", headers=dana.headers
    )

    items, pages = await walk(dana, "/me/invoices", limit=1)

    numbers = [item["number"] for item in items]
    assert sorted(numbers) == sorted(i["number"] for i in overview.json()["invoices"])
    assert len(set(numbers)) == len(numbers) == pages >= 3
    assert numbers[:2] == [order["invoice"] for order in reversed(placed)]
    issued = [item["issued_at"] for item in items]
    assert issued == sorted(issued, reverse=True)
    newest = items[0]
    assert newest["status"] == "open" and newest["due"] == newest["total"] == placed[-1]["total"]


async def test_products_walk_the_whole_catalog(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")

    items, pages = await walk(dana, "/products", limit=15)

    skus = [item["sku"] for item in items]
    assert len(skus) == len(set(skus)) == len(stack.world.products)
    assert set(skus) == {product.sku for product in stack.world.products}
    assert pages == -(-len(skus) // 15)
    for item in items:
        assert set(item) == {"sku", "name", "price", "currency", "available"}
        assert isinstance(item["available"], int) and isinstance(item["price"], str)


async def test_bad_cursors_and_limits_are_422_naming_them(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    await place(dana, "cursor-1")
    await place(dana, "cursor-2")
    orders_cursor = (await dana.get("/me/orders", limit=1)).json()["next_cursor"]
    products_cursor = (await dana.get("/products", limit=1)).json()["next_cursor"]
    cases = [
        ("/me/orders", {"cursor": "garbage"}, "cursor"),
        ("/me/orders", {"cursor": products_cursor}, "cursor"),
        ("/me/orders", {"cursor": encode_cursor("mobile-orders", "forged")}, "cursor"),
        ("/products", {"cursor": orders_cursor}, "cursor"),
        ("/me/invoices", {"cursor": orders_cursor}, "cursor"),
        ("/me/invoices", {"cursor": "x" * 600}, "cursor"),
        ("/me/orders", {"limit": 0}, "limit"),
        ("/products", {"limit": 51}, "limit"),
        ("/me/invoices", {"limit": "many"}, "limit"),
    ]

    for path, params, field in cases:
        answer = await dana.get(path, **params)
        assert answer.status_code == 422, (path, params, answer.text)
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["errors"][0]["field"] == field


async def test_a_cursor_never_reaches_into_another_customers_orders(
    stack: ExperienceStack,
) -> None:
    dana, eli = await signed_in(stack, "dana"), await signed_in(stack, "eli")
    await place(eli, "eli-a")
    await place(eli, "eli-b")
    elis_cursor = (await eli.get("/me/orders", limit=1)).json()["next_cursor"]

    answer = await dana.api.get(
        "/me/orders", params={"cursor": elis_cursor}, headers=bearer(await stack.user_token("dana"))
    )

    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next_cursor": None}
