"""Every route serves signed-in customers only, and the contract is documented."""

from __future__ import annotations

from experience.support import ExperienceStack, bearer
from experience.web.shop import PROBLEM_JSON, assert_problem, placed_order, signed_in

READS = ("/dashboard", "/products", "/products/FUR-001-GRA", "/orders", "/orders/{order}")
WRITES = ("/checkout", "/orders/{order}/payments")


async def test_only_signed_in_customers_get_through(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    read_only = await signed_in(stack, "dana", scopes=("me:read",))
    partner = bearer(await stack.client_token())
    async with stack.api("web") as web:
        order_id = await placed_order(web, dana, "FUR-001-GRA", 1)
        reads = [path.format(order=order_id) for path in READS]
        writes = [path.format(order=order_id) for path in WRITES]
        for path in reads + writes:
            call = web.get if path in reads else web.post
            anonymous = await call(path)
            assert anonymous.status_code == 401, path
            assert anonymous.headers["content-type"] == PROBLEM_JSON
            assert anonymous.headers["www-authenticate"].startswith("Bearer")
            assert_problem(await call(path, headers=partner), 403, "not-a-customer")
        for path in reads:
            assert (await web.get(path, headers=read_only)).status_code == 200, path
        for path in writes:
            refused = await web.post(path, json={}, headers=read_only)
            assert refused.status_code == 403, path
            assert 'scope="me:write"' in refused.headers["www-authenticate"]


async def test_the_contract_is_documented(stack: ExperienceStack) -> None:
    async with stack.api("web") as web:
        answer = await web.get("/openapi.json")

    assert answer.status_code == 200
    document = answer.json()
    assert document["servers"] == [{"url": "/experience/web/v1"}]
    assert set(document["paths"]) == {
        "/dashboard",
        "/products",
        "/products/{sku}",
        "/checkout",
        "/orders",
        "/orders/{order_id}",
        "/orders/{order_id}/payments",
    }
    checkout = document["paths"]["/checkout"]["post"]
    assert [p["name"] for p in checkout["parameters"]] == ["Idempotency-Key"]
    assert {"201", "400", "409", "422", "503"} <= set(checkout["responses"])
    assert "application/problem+json" in checkout["responses"]["409"]["content"]
    schemas = document["components"]["schemas"]
    assert {"sku", "name", "price", "available", "in_stock", "locations"} <= set(
        schemas["Product"]["properties"]
    )
    assert {"id", "status", "placed_at", "lines", "total", "can_pay", "trace"} <= set(
        schemas["Order"]["properties"]
    )
    assert schemas["CheckoutRequest"]["additionalProperties"] is False
