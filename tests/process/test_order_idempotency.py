"""Idempotency-Key: one order per key and caller, whatever arrives how often and how fast."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select, update

from process.support import ORDERS_BASE, Stack, active_customer, place, stocked_line
from process_apis.orders.app import OrdersProcess
from process_apis.orders.models import IdempotencyKeyRecord, OrderRecord
from strata.db import utcnow


def bearer(client_id: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"Bearer {part({'alg': 'ES256'})}.{part({'client_id': client_id})}.c2ln"


async def an_order(stack: Stack) -> dict[str, Any]:
    sku, location_id, _ = await stocked_line(stack)
    return {
        "customer_id": active_customer(stack),
        "location_id": location_id,
        "lines": [{"sku": sku, "quantity": 1}],
    }


async def count(stack: Stack, model: Any) -> int:
    async with stack.database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_the_same_key_twenty_times_at_once_makes_one_order_and_one_invoice(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body = await an_order(stack)

    responses = await asyncio.gather(*(place(orders, body, "same-key") for _ in range(20)))

    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    created = [r.json() for r in responses if r.status_code == 201]
    assert created and all(order["id"] == created[0]["id"] for order in created)
    for response in responses:
        if response.status_code == 409:
            assert response.json()["order_id"] == created[0]["id"]
            assert response.headers["location"].endswith(created[0]["id"])
    assert await count(stack, OrderRecord) == 1
    erp = (
        await stack.clients.erp.get(
            "/orders", params={"customer_id": body["customer_id"], "limit": 200}
        )
    ).json()["items"]
    assert len([o for o in erp if o["external_id"] == created[0]["id"]]) == 1
    invoices = (
        await stack.clients.erp.get(
            "/invoices", params={"order_id": created[0]["sales_order"]["id"]}
        )
    ).json()["items"]
    assert len(invoices) == 1

    replay = await place(orders, body, "same-key")
    assert replay.status_code == 201
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == created[0]


async def test_the_same_key_with_another_body_is_422(
    stack: Stack, orders: httpx.AsyncClient
) -> None:
    body = await an_order(stack)
    assert (await place(orders, body, "k-1")).status_code == 201

    other = {**body, "lines": [{**body["lines"][0], "quantity": 2}]}
    response = await place(orders, other, "k-1")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count(stack, OrderRecord) == 1


async def test_a_failed_order_replays_its_failure(stack: Stack, orders: httpx.AsyncClient) -> None:
    body = {**(await an_order(stack)), "customer_id": "001Dn0000009999ZZZ"}

    first = await place(orders, body, "k-bad")
    again = await place(orders, body, "k-bad")

    assert first.status_code == again.status_code == 422
    assert again.json() == first.json()
    assert again.headers["content-type"] == "application/problem+json"
    assert await count(stack, OrderRecord) == 1


async def test_keys_belong_to_one_client(stack: Stack, orders: httpx.AsyncClient) -> None:
    body = await an_order(stack)

    mine = await place(orders, body, "shared", Authorization=bearer("web-app"))
    theirs = await place(orders, body, "shared", Authorization=bearer("partner-42"))
    mine_again = await place(orders, body, "shared", Authorization=bearer("web-app"))

    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert mine_again.json()["id"] == mine.json()["id"]
    async with stack.database.session() as session:
        clients = set(await session.scalars(select(OrderRecord.client)))
    assert clients == {"client:web-app", "client:partner-42"}


async def test_a_missing_or_bad_key_is_400(stack: Stack, orders: httpx.AsyncClient) -> None:
    body = await an_order(stack)

    missing = await orders.post(f"{ORDERS_BASE}/orders", json=body)
    blank = await place(orders, body, "   ")
    too_long = await place(orders, body, "k" * 256)

    for response in (missing, blank, too_long):
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await count(stack, OrderRecord) == 0


async def test_a_quoted_key_is_the_same_key(stack: Stack, orders: httpx.AsyncClient) -> None:
    body = await an_order(stack)

    first = await place(orders, body, '"quoted-1"')
    second = await place(orders, body, "quoted-1")

    assert second.json()["id"] == first.json()["id"]


async def test_expired_keys_are_purged_and_can_be_used_again(
    stack: Stack, orders: httpx.AsyncClient, orders_process: OrdersProcess
) -> None:
    body = await an_order(stack)
    first = await place(orders, body, "old-key")
    async with stack.database.session() as session:
        stored = await session.scalar(select(IdempotencyKeyRecord))
        assert stored is not None
        assert stored.expires_at - stored.created_at >= timedelta(hours=24)
        await session.execute(
            update(IdempotencyKeyRecord).values(expires_at=utcnow() - timedelta(seconds=1))
        )

    reused = await place(orders, body, "old-key")

    assert reused.status_code == 201
    assert reused.json()["id"] != first.json()["id"]
    async with stack.database.session() as session:
        await session.execute(
            update(IdempotencyKeyRecord).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    assert await orders_process.service.keys.purge_expired() == 1
    assert await count(stack, IdempotencyKeyRecord) == 0
    assert await count(stack, OrderRecord) == 2


def user_bearer(client_id: str, subject: str) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"client_id": client_id, "sub": subject}
    return f"Bearer {part({'alg': 'RS256'})}.{part(claims)}.c2ln"


async def test_users_of_one_app_never_share_keys(stack: Stack, orders: httpx.AsyncClient) -> None:
    body = await an_order(stack)

    dana = await place(orders, body, "cart-1", Authorization=user_bearer("web", "u_dana"))
    eli = await place(orders, body, "cart-1", Authorization=user_bearer("web", "u_eli"))

    assert dana.status_code == eli.status_code == 201
    assert dana.json()["id"] != eli.json()["id"]
    assert "idempotent-replayed" not in eli.headers
    async with stack.database.session() as session:
        callers = set(await session.scalars(select(OrderRecord.client)))
    assert callers == {"user:web:u_dana", "user:web:u_eli"}
