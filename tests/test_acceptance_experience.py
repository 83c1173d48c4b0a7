"""Acceptance: the experience APIs through the gateway, as the web and mobile apps call
them: users sign in with PKCE, each sees their own data and never another's."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from strata.app import create_strata
from strata.db import Database
from strata.settings import load_settings
from tests.acceptance_oauth import AUTHORIZE_URL, ISSUER, TOKEN_URL, WEB_REDIRECT_URI, InProcess
from tests.acceptance_support import assert_problem

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # authlib's note on plain httpx
    from authlib.common.security import generate_token

WEB = "/experience/web/v1"
MOBILE = "/experience/mobile/v1"
PASSWORDS = {"dana": "dana-demo-password", "eli": "eli-demo-password"}


@pytest.fixture
async def assembled(database: Database) -> AsyncIterator[InProcess]:
    settings = load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "experience-acceptance-key-long-enough-x-x-x-",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    strata = create_strata(settings, database)
    await strata.start()
    try:
        yield InProcess(strata)
    finally:
        await strata.stop()


async def signed_in(assembled: InProcess, username: str) -> dict[str, str]:
    """The web app's sign-in: authorization code with PKCE, as ``username``."""
    verifier = generate_token(48)
    async with assembled.web_app("me:read me:write") as web:
        url, _ = web.create_authorization_url(AUTHORIZE_URL, code_verifier=verifier)
        location = await assembled.sign_in(url, username, PASSWORDS[username])
        assert location.startswith(WEB_REDIRECT_URI)
        token = await web.fetch_token(
            TOKEN_URL, authorization_response=location, code_verifier=verifier
        )
    return {"Authorization": f"Bearer {token['access_token']}"}


async def checkout(http: httpx.AsyncClient, user: dict[str, str]) -> dict[str, Any]:
    products = await http.get(f"{WEB}/products", params={"limit": 12}, headers=user)
    assert products.status_code == 200, products.text
    product = next(item for item in products.json()["items"] if item["available"] >= 2)
    placed = await http.post(
        f"{WEB}/checkout",
        json={"lines": [{"sku": product["sku"], "quantity": 1}]},
        headers={**user, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert placed.status_code == 201, placed.text
    order: dict[str, Any] = placed.json()
    return order


async def test_each_user_sees_their_own_orders_and_never_anothers(
    assembled: InProcess,
) -> None:
    async with assembled.http() as http:
        dana, eli = await signed_in(assembled, "dana"), await signed_in(assembled, "eli")
        order = await checkout(http, dana)

        assert order["invoice"]["number"].startswith("INV-")
        seen_by_dana = await http.get(f"{WEB}/orders/{order['id']}", headers=dana)
        seen_by_eli = await http.get(f"{WEB}/orders/{order['id']}", headers=eli)
        paid_by_eli = await http.post(f"{WEB}/orders/{order['id']}/payments", json={}, headers=eli)
        mobile_dana = await http.get(f"{MOBILE}/me/orders/{order['id']}", headers=dana)
        mobile_eli = await http.get(f"{MOBILE}/me/orders/{order['id']}", headers=eli)
        eli_list = await http.get(f"{MOBILE}/me/orders", headers=eli)

    assert seen_by_dana.status_code == 200 and "ratelimit-limit" in seen_by_dana.headers
    assert mobile_dana.status_code == 200, mobile_dana.text
    for refused in (seen_by_eli, paid_by_eli, mobile_eli):
        assert_problem(refused, 404, "not-found")
        assert not {"lines", "total", "invoice", "items"} & refused.json().keys()
    assert eli_list.status_code == 200, eli_list.text
    assert order["id"] not in {item["id"] for item in eli_list.json()["items"]}


async def test_the_gateway_and_the_api_both_check_who_may_call(assembled: InProcess) -> None:
    partner = await assembled.confidential("me:read me:write inventory:read")
    async with (
        assembled.oauth_client(
            client_id=partner.client_id, client_secret=partner.client_secret
        ) as session,
        assembled.http() as http,
    ):
        token = await session.fetch_token(TOKEN_URL, grant_type="client_credentials")
        as_partner = {"Authorization": f"Bearer {token['access_token']}"}
        stock_only = await session.fetch_token(
            TOKEN_URL, grant_type="client_credentials", scope="inventory:read"
        )
        for_inventory = {"Authorization": f"Bearer {stock_only['access_token']}"}
        write_only = await session.fetch_token(
            TOKEN_URL, grant_type="client_credentials", scope="me:write"
        )
        no_read_scope = {"Authorization": f"Bearer {write_only['access_token']}"}

        no_token = await http.get(f"{MOBILE}/me")
        wrong_audience = await http.get(f"{MOBILE}/me", headers=for_inventory)
        wrong_scope = await http.get(f"{MOBILE}/me", headers=no_read_scope)
        not_a_person = await http.get(f"{MOBILE}/me", headers=as_partner)
        dashboard = await http.get(f"{WEB}/dashboard", headers=as_partner)

    assert no_token.status_code == 401
    assert_problem(wrong_audience, 401, "invalid-token")  # a token for the inventory API
    assert_problem(wrong_scope, 403, "insufficient-scope")  # refused at the gateway
    assert_problem(not_a_person, 403, "not-a-customer")  # refused by the API itself
    assert_problem(dashboard, 403, "not-a-customer")


async def test_the_mobile_app_revalidates_with_its_etag(assembled: InProcess) -> None:
    async with assembled.http() as http:
        dana = await signed_in(assembled, "dana")
        first = await http.get(f"{MOBILE}/me/orders", params={"limit": 5}, headers=dana)
        again = await http.get(
            f"{MOBILE}/me/orders",
            params={"limit": 5},
            headers={**dana, "If-None-Match": first.headers["etag"]},
        )
        await checkout(http, dana)
        changed = await http.get(
            f"{MOBILE}/me/orders",
            params={"limit": 5},
            headers={**dana, "If-None-Match": first.headers["etag"]},
        )

    assert first.status_code == 200, first.text
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    assert changed.status_code == 200 and changed.headers["etag"] != first.headers["etag"]
