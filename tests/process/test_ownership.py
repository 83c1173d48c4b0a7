"""A person's token linked to a customer sees that customer's orders and overview only, in
the process layer too, whatever its scopes; the back office and clients see everyone's.

The layers are assembled as ``strata serve`` assembles them, so the process APIs check the
tokens with the gateway's verifier."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Sequence
from typing import Any

import pytest
from experience.support import ISSUER, ExperienceStack, bearer, build_experience_stack
from experience.web.shop import assert_problem, placed_order
from sqlalchemy import select

from gateway.oauth.audiences import api_audience
from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.users import WEB_CLIENT_ID
from strata.db import Database

CHAIR = "FUR-001-GRA"
BACK_OFFICE_SCOPES = ("orders:read", "orders:write", "customers:read")
Headers = dict[str, str]
# The APIs these tests call; a token names them all as the gateway would have it.
AUDIENCE = tuple(
    api_audience(ISSUER, prefix)
    for prefix in ("/experience/web/v1", "/process/orders/v1", "/process/customers/v1")
)


@pytest.fixture
async def layers(database: Database) -> AsyncIterator[ExperienceStack]:
    built = await build_experience_stack(database)
    try:
        yield built
    finally:
        await built.aclose()


async def token(
    layers: ExperienceStack, scopes: Sequence[str], username: str | None = None
) -> Headers:
    """A token for ``username`` approving the web app (a client's own one without)."""
    oauth = layers.oauth
    signer = await oauth.tokens.signer()
    partner = None
    if username is None:
        partner, _ = await oauth.create_client("ownership-test-partner", scopes)
    async with layers.database.session() as session:
        client = partner or await session.get(OAuthClient, WEB_CLIENT_ID)
        user = None
        if username is not None:
            user = await session.scalar(select(OAuthUser).where(OAuthUser.username == username))
        assert client is not None
        issued = await oauth.tokens.issue(
            session,
            signer=signer,
            client=client,
            scopes=list(scopes),
            audience=AUDIENCE,
            user=user,
        )
    return bearer(issued.access_token)


async def back_office_token(layers: ExperienceStack, username: str) -> Headers:
    return await token(layers, BACK_OFFICE_SCOPES, username)


async def operator_token(layers: ExperienceStack) -> Headers:
    """A person of the back office: a user linked to no customer."""
    return await back_office_token(layers, "otto")


async def client_token(layers: ExperienceStack) -> Headers:
    return await token(layers, BACK_OFFICE_SCOPES)


async def order_of(layers: ExperienceStack, username: str) -> str:
    """An order ``username`` placed at the web shop."""
    async with layers.api("web") as web:
        shopper = await token(layers, ("me:read", "me:write"), username)
        return await placed_order(web, shopper, CHAIR, 1)


async def elis_order(layers: ExperienceStack) -> str:
    return await order_of(layers, "eli")


async def danas_order(layers: ExperienceStack) -> str:
    return await order_of(layers, "dana")


def without_id(problem: dict[str, Any], order_id: str) -> dict[str, Any]:
    """A not-found body with the asked id (and the request id) taken out."""
    kept = {k: v for k, v in problem.items() if k not in ("id", "request_id", "instance")}
    kept["detail"] = str(kept.get("detail", "")).replace(order_id, "<id>")
    return kept


async def as_seen(layers: ExperienceStack, order_id: str, token: Headers) -> dict[str, Any]:
    async with layers.below("process", "orders") as orders:
        answer = await orders.get(f"/orders/{order_id}", headers=token)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_another_customers_order_is_not_found_and_stays_unchanged(
    layers: ExperienceStack,
) -> None:
    order_id = await elis_order(layers)
    dana = await back_office_token(layers, "dana")
    before = await as_seen(layers, order_id, await operator_token(layers))
    unknown_id = "ord_" + "0" * 32

    async with layers.below("process", "orders") as orders:
        refused = {
            "get": await orders.get(f"/orders/{order_id}", headers=dana),
            "trace": await orders.get(f"/orders/{order_id}/trace", headers=dana),
            "cancel": await orders.post(f"/orders/{order_id}/cancel", headers=dana),
            "retry": await orders.post(f"/orders/{order_id}/retry", headers=dana),
            "pay": await orders.post(f"/orders/{order_id}/payments", json={}, headers=dana),
        }
        unknown = await orders.get(f"/orders/{unknown_id}", headers=dana)

    expected = without_id(assert_problem(unknown, 404, "not-found"), unknown_id)
    for answer in refused.values():
        assert without_id(assert_problem(answer, 404, "not-found"), order_id) == expected
    after = await as_seen(layers, order_id, await operator_token(layers))
    assert after["status"] == before["status"] == "confirmed"
    assert after["amount_paid"] is None and after["paid_at"] is None
    assert after["invoice"] == before["invoice"]
    assert after["updated_at"] == before["updated_at"]


async def test_a_shoppers_list_holds_their_own_orders_only(layers: ExperienceStack) -> None:
    mine, theirs = await danas_order(layers), await elis_order(layers)
    dana = await back_office_token(layers, "dana")
    elis_customer = await layers.customer_id("eli")

    async with layers.below("process", "orders") as orders:
        everything = await orders.get("/orders", params={"limit": 100}, headers=dana)
        of_eli = await orders.get("/orders", params={"customer_id": elis_customer}, headers=dana)

    assert everything.status_code == 200, everything.text
    listed = {item["id"] for item in everything.json()["items"]}
    assert mine in listed and theirs not in listed
    assert {item["customer_id"] for item in everything.json()["items"]} == {
        await layers.customer_id("dana")
    }
    assert of_eli.status_code == 200 and of_eli.json()["items"] == []


async def test_a_shopper_orders_for_their_own_customer_only(layers: ExperienceStack) -> None:
    dana = await back_office_token(layers, "dana")
    order = await as_seen(layers, await elis_order(layers), await operator_token(layers))
    body = {
        "customer_id": order["customer_id"],
        "location_id": order["location_id"],
        "lines": [{"sku": CHAIR, "quantity": 1}],
    }

    async with layers.below("process", "orders") as orders:
        refused = await orders.post(
            "/orders", json=body, headers={**dana, "Idempotency-Key": "for-eli"}
        )
        listed = await orders.get(
            "/orders",
            params={"customer_id": order["customer_id"], "limit": 100},
            headers=await operator_token(layers),
        )
        own = await orders.post(
            "/orders",
            json={**body, "customer_id": await layers.customer_id("dana")},
            headers={**dana, "Idempotency-Key": "for-dana"},
        )

    problem = assert_problem(refused, 403, "not-your-customer")
    assert [error["field"] for error in problem["errors"]] == ["customer_id"]
    assert [item["id"] for item in listed.json()["items"]] == [order["id"]]
    assert own.status_code == 201, own.text


async def test_a_shopper_still_acts_on_their_own_orders(layers: ExperienceStack) -> None:
    dana = await back_office_token(layers, "dana")
    to_pay, to_cancel = await danas_order(layers), await danas_order(layers)

    async with layers.below("process", "orders") as orders:
        seen = await orders.get(f"/orders/{to_pay}", headers=dana)
        trace = await orders.get(f"/orders/{to_pay}/trace", headers=dana)
        retry = await orders.post(f"/orders/{to_pay}/retry", headers=dana)
        paid = await orders.post(f"/orders/{to_pay}/payments", json={}, headers=dana)
        cancelled = await orders.post(f"/orders/{to_cancel}/cancel", headers=dana)

    assert seen.status_code == trace.status_code == 200, trace.text
    assert_problem(retry, 409, "nothing-to-retry")
    assert paid.status_code == 200 and paid.json()["status"] == "paid", paid.text
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"


@pytest.mark.parametrize("who", ["operator", "client"])
async def test_the_back_office_and_clients_see_everyones(layers: ExperienceStack, who: str) -> None:
    mine, theirs = await danas_order(layers), await elis_order(layers)
    token = await (operator_token(layers) if who == "operator" else client_token(layers))
    eli = await layers.customer_id("eli")

    async with layers.below("process", "orders") as orders:
        everything = await orders.get("/orders", params={"limit": 100}, headers=token)
        trace = await orders.get(f"/orders/{theirs}/trace", headers=token)
    async with layers.below("process", "customers") as customers:
        overview = await customers.get(f"/customers/{eli}/overview", headers=token)

    assert {mine, theirs} <= {item["id"] for item in everything.json()["items"]}
    assert (await as_seen(layers, theirs, token))["customer_id"] == eli
    assert trace.status_code == 200, trace.text
    assert overview.status_code == 200, overview.text


async def test_another_customers_overview_is_not_found(layers: ExperienceStack) -> None:
    dana = await back_office_token(layers, "dana")
    eli, own = await layers.customer_id("eli"), await layers.customer_id("dana")
    unknown_id = "001XX000000UNKNOWN"

    async with layers.below("process", "customers") as customers:
        theirs = await customers.get(f"/customers/{eli}/overview", headers=dana)
        unknown = await customers.get(f"/customers/{unknown_id}/overview", headers=dana)
        mine = await customers.get(f"/customers/{own}/overview", headers=dana)

    expected = without_id(assert_problem(unknown, 404, "not-found"), unknown_id)
    assert without_id(assert_problem(theirs, 404, "not-found"), eli) == expected
    assert mine.status_code == 200 and mine.json()["profile"]["id"] == own


async def test_the_claims_are_verified_not_just_read(layers: ExperienceStack) -> None:
    """Dana's token with its customer link cut out of the payload no longer verifies: it is
    401, not a look at everyone's orders."""
    theirs = await elis_order(layers)
    header, payload, signature = (
        (await back_office_token(layers, "dana"))["Authorization"].split()[1].split(".")
    )
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    del claims["customer_id"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    token = bearer(f"{header}.{forged}.{signature}")

    async with layers.below("process", "orders") as orders:
        answers = [
            await orders.get(f"/orders/{theirs}", headers=token),
            await orders.get("/orders", headers=token),
            await orders.get(f"/orders/{theirs}", headers={}),
        ]

    for answer in answers:
        assert_problem(answer, 401, "invalid-token")
