"""Shopping helpers for the web experience API's tests: sign in, check out, read back."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from experience.support import ExperienceStack, bearer

PROBLEM_JSON = "application/problem+json"


async def signed_in(stack: ExperienceStack, username: str, **scopes: Any) -> dict[str, str]:
    """The Authorization header of ``username``'s token (scopes as ``user_token`` takes)."""
    return bearer(await stack.user_token(username, **scopes))


def new_key() -> str:
    return f"web-test-{uuid.uuid4()}"


def cart(*lines: tuple[str, int], location_id: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"lines": [{"sku": sku, "quantity": qty} for sku, qty in lines]}
    if location_id is not None:
        body["location_id"] = location_id
    return body


async def check_out(
    web: httpx.AsyncClient,
    user: dict[str, str],
    body: dict[str, Any],
    key: str | None = None,
) -> httpx.Response:
    return await web.post(
        "/checkout", json=body, headers={**user, "Idempotency-Key": key or new_key()}
    )


async def placed_order(web: httpx.AsyncClient, user: dict[str, str], sku: str, qty: int) -> str:
    """Checks out one line and returns the order's id (asserting it went through)."""
    answer = await check_out(web, user, cart((sku, qty)))
    assert answer.status_code == 201, answer.text
    order_id: str = answer.json()["id"]
    return order_id


def assert_problem(answer: httpx.Response, status: int, kind: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body: dict[str, Any] = answer.json()
    assert body["type"].endswith(f"/{kind}"), body
    assert body["status"] == status
    return body


def field_names(problem: dict[str, Any]) -> set[str]:
    return {error["field"] for error in problem.get("errors", [])}
