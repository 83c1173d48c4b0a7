"""Shared steps for the mobile API's tests: a signed-in user's client, and real orders."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from experience.support import ExperienceStack, bearer

PROBLEM_JSON = "application/problem+json"


@dataclass
class Phone:
    """The mobile app, signed in as one demo user."""

    api: httpx.AsyncClient
    headers: dict[str, str]
    customer_id: str

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.api.get(path, params=params, headers=self.headers)

    async def post(
        self, path: str, body: Any = None, key: str | None = None, **headers: str
    ) -> httpx.Response:
        sent = {**self.headers, **headers, **({"Idempotency-Key": key} if key else {})}
        return await self.api.post(path, json=body, headers=sent)


async def signed_in(stack: ExperienceStack, username: str) -> Phone:
    token = await stack.user_token(username)
    return Phone(stack.api("mobile"), bearer(token), await stack.customer_id(username))


async def stocked(phone: Phone, sku: str = "FUR-001-SIL", units: int = 5) -> str:
    """A location that has at least ``units`` of ``sku`` available now."""
    product = (await phone.get(f"/products/{sku}")).json()
    return str(next(loc["id"] for loc in product["locations"] if loc["available"] >= units))


async def place(phone: Phone, key: str, sku: str = "FUR-001-SIL", qty: int = 1) -> dict[str, Any]:
    """Places a real order through the mobile API; its compact detail."""
    body = {"location_id": await stocked(phone, sku, qty), "items": [{"sku": sku, "qty": qty}]}
    response = await phone.post("/me/orders", body, key=key)
    assert response.status_code == 201, response.text
    placed: dict[str, Any] = response.json()
    return placed


async def walk(phone: Phone, path: str, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a list, following next_cursor to the end; and how many pages it took."""
    items: list[dict[str, Any]] = []
    cursor = None
    pages = 0
    while True:
        response = await phone.get(path, **params, **({"cursor": cursor} if cursor else {}))
        assert response.status_code == 200, response.text
        page = response.json()
        assert set(page) == {"items", "next_cursor"}
        items.extend(page["items"])
        pages += 1
        assert pages < 100, "the cursor never ends"
        cursor = page["next_cursor"]
        if cursor is None:
            return items, pages


def assert_no_nulls(value: Any) -> None:
    """Compact answers leave absent keys out rather than sending null."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert item is not None, f"{key} is null"
            assert_no_nulls(item)
    elif isinstance(value, list):
        for item in value:
            assert_no_nulls(item)
