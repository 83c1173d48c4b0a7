"""The portal's API: a signed-in developer registers client apps, sees the secret once, uses
it to call an API through the gateway, and sees and deletes only their own apps."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.users import PORTAL_CLIENT_ID
from gateway.portal.schemas import MAX_APPS_PER_DEVELOPER
from tests.acceptance_support import assert_problem
from tests.gateway.portal.conftest import DEVI, PORTAL_REDIRECT_URI, Portal, bearer


async def _user_id(portal: Portal, username: str) -> str:
    async with portal.strata.layers.database.session() as session:
        found = await session.execute(select(OAuthUser.id).where(OAuthUser.username == username))
        return str(found.scalar_one())


async def test_the_portal_client_is_seeded_for_the_page(portal: Portal) -> None:
    async with portal.strata.layers.database.session() as session:
        client = await session.get(OAuthClient, PORTAL_CLIENT_ID)
    assert client is not None and client.is_public and client.secret_hash is None
    assert client.redirect_uris == [PORTAL_REDIRECT_URI]
    assert client.scope_list == ("apps:read", "apps:write")
    assert client.owner_user_id is None


async def test_a_developer_creates_an_app_whose_secret_calls_an_api(
    portal: Portal, devi: str
) -> None:
    async with portal.http() as http:
        created = await http.post(
            "/portal/api/apps",
            json={
                "name": "  Devi's   stock sync ",
                "scopes": ["inventory:read", "availability:read"],
            },
            headers=bearer(devi),
        )
        assert created.status_code == 201, created.text
        app = created.json()
        assert created.headers["cache-control"] == "no-store"
        assert created.headers["location"] == f"/portal/api/apps/{app['client_id']}"
        assert app["name"] == "Devi's stock sync"
        assert app["tier"] == "free" and app["public"] is False
        assert app["scopes"] == ["inventory:read", "availability:read"]
        assert app["status"] == "active" and app["status_reason"] is None
        assert app["first_party"] is False
        assert app["grant_types"] == ["client_credentials"]
        secret = app["client_secret"]
        assert isinstance(secret, str) and len(secret) >= 32

        # The secret is in the create answer only: not in the list, not in the one app.
        listed = await http.get("/portal/api/apps", headers=bearer(devi))
        one = await http.get(f"/portal/api/apps/{app['client_id']}", headers=bearer(devi))
        assert listed.status_code == 200 and one.status_code == 200
        assert [item["client_id"] for item in listed.json()["items"]] == [app["client_id"]]
        assert listed.json()["limit"] == MAX_APPS_PER_DEVELOPER
        for shown in (listed.json()["items"][0], one.json()):
            assert "client_secret" not in shown and secret not in str(shown)
            assert shown["created_at"] == app["created_at"]

        # Its own credentials: a client-credentials token that opens a real API.
        token = await portal.client_token(app["client_id"], secret, "inventory:read")
        products = await http.get("/system/inventory/v1/products?limit=2", headers=bearer(token))
        assert products.status_code == 200, products.text
        assert len(products.json()["items"]) == 2
        # Granted inventory:read and availability:read only: no token for more, and this
        # one opens no other API.
        wider = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials", "scope": "erp:read"},
            auth=(app["client_id"], secret),
        )
        assert wider.status_code == 400 and wider.json()["error"] == "invalid_scope"
        orders = await http.get("/system/erp/v1/orders", headers=bearer(token))
        assert orders.status_code in (401, 403), orders.text

    async with portal.strata.layers.database.session() as session:
        stored = await session.get(OAuthClient, app["client_id"])
    assert stored is not None and stored.owner_user_id == await _user_id(portal, "devi")
    assert stored.secret_hash is not None and secret not in stored.secret_hash


async def test_a_public_app_gets_no_secret(portal: Portal, devi: str) -> None:
    app = await portal.create_app(
        devi,
        name="Devi's SPA",
        scopes=["me:read"],
        redirect_uris=["https://spa.example/callback"],
        public=True,
    )
    assert app["client_secret"] is None and app["public"] is True
    assert app["redirect_uris"] == ["https://spa.example/callback"]
    assert app["grant_types"] == ["authorization_code", "refresh_token"]


async def test_developers_see_and_delete_only_their_own_apps(
    portal: Portal, devi: str, vera: str
) -> None:
    devis = await portal.create_app(devi, name="Devi's", scopes=["inventory:read"])
    veras = await portal.create_app(vera, name="Vera's", scopes=["me:read"])

    assert await portal.app_ids(devi) == [devis["client_id"]]
    assert await portal.app_ids(vera) == [veras["client_id"]]
    async with portal.http() as http:
        path = f"/portal/api/apps/{devis['client_id']}"
        seen = await http.get(path, headers=bearer(vera))
        assert_problem(seen, 404, "not-found")
        deleted = await http.delete(path, headers=bearer(vera))
        body = assert_problem(deleted, 404, "not-found")
        assert devis["client_id"] in body["detail"]
    # Devi's app and its secret still work.
    assert await portal.app_ids(devi) == [devis["client_id"]]
    await portal.client_token(devis["client_id"], devis["client_secret"])


async def test_a_deleted_apps_tokens_are_refused(portal: Portal, devi: str) -> None:
    app = await portal.create_app(devi, name="Short-lived", scopes=["inventory:read"])
    token = await portal.client_token(app["client_id"], app["client_secret"])
    async with portal.http() as http:
        products = "/system/inventory/v1/products"
        assert (await http.get(products, headers=bearer(token))).is_success

        path = f"/portal/api/apps/{app['client_id']}"
        deleted = await http.delete(path, headers=bearer(devi))
        assert deleted.status_code == 204, deleted.text

        refused = await http.get(products, headers=bearer(token))
        assert_problem(refused, 401, "invalid-token")
        again = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(app["client_id"], app["client_secret"]),
        )
        assert again.status_code == 401 and again.json()["error"] == "invalid_client"
        assert_problem(await http.delete(path, headers=bearer(devi)), 404, "not-found")
    assert await portal.app_ids(devi) == []
    # Soft-deleted, as the admin API does: the row stays for its tokens' revocations.
    async with portal.strata.layers.database.session() as session:
        stored = await session.get(OAuthClient, app["client_id"])
    assert stored is not None and stored.deleted_at is not None


async def test_a_developer_may_have_twenty_apps(portal: Portal, devi: str, vera: str) -> None:
    ids = [
        (await portal.create_app(devi, name=f"App {n}", scopes=["crm:read"]))["client_id"]
        for n in range(MAX_APPS_PER_DEVELOPER)
    ]
    async with portal.http() as http:
        over = await http.post(
            "/portal/api/apps",
            json={"name": "one more", "scopes": ["crm:read"]},
            headers=bearer(devi),
        )
        body = assert_problem(over, 409, "conflict")
        assert body["limit"] == MAX_APPS_PER_DEVELOPER and "at most 20" in body["detail"]
        # The limit is per developer, and a deleted app frees its place.
        await portal.create_app(vera, name="Vera's", scopes=["crm:read"])
        deleted = await http.delete(f"/portal/api/apps/{ids[0]}", headers=bearer(devi))
        assert deleted.status_code == 204
    await portal.create_app(devi, name="Replacement", scopes=["crm:read"])
    listed = await portal.app_ids(devi)
    assert len(listed) == MAX_APPS_PER_DEVELOPER and ids[0] not in listed


async def test_racing_creations_never_pass_the_limit(portal: Portal, devi: str) -> None:
    for n in range(MAX_APPS_PER_DEVELOPER - 2):
        await portal.create_app(devi, name=f"App {n}", scopes=["crm:read"])

    async def create(n: int) -> int:
        async with portal.http() as http:
            answer = await http.post(
                "/portal/api/apps",
                json={"name": f"Racer {n}", "scopes": ["crm:read"]},
                headers=bearer(devi),
            )
        assert answer.status_code in (201, 409), answer.text
        return answer.status_code

    statuses = await asyncio.gather(*(create(n) for n in range(5)))

    listed = await portal.app_ids(devi)
    assert len(listed) <= MAX_APPS_PER_DEVELOPER
    assert len(listed) == MAX_APPS_PER_DEVELOPER - 2 + statuses.count(201)
    async with portal.strata.layers.database.session() as session:
        rows = await session.execute(
            select(OAuthClient.id).where(
                OAuthClient.owner_user_id == await _user_id(portal, "devi")
            )
        )
    assert sorted(rows.scalars()) == sorted(listed)  # a refused racer leaves nothing behind


async def test_scopes_of_apis_registered_later_can_be_granted(portal: Portal, devi: str) -> None:
    async with portal.http() as http:
        before = (await http.get("/portal/api/scopes")).json()["items"]
        names = [scope["name"] for scope in before]
        assert "admin" not in names and names == sorted(names)
        described = {scope["name"]: scope["description"] for scope in before}
        assert described["crm:read"].startswith("Read customers")
        assert described["tokens:introspect"] == "Introspect tokens issued to other clients"
        # The gateway's own person scopes are not a developer's to hand out.
        assert not {"admin", "apps:read", "apps:write"} & set(names)

        vocabulary = portal.strata.gateway.oauth.vocabulary
        vocabulary.add("billing:read", "Read invoices in billing", "system")
        after = (await http.get("/portal/api/scopes")).json()["items"]
    assert {"name": "billing:read", "description": "Read invoices in billing"} in after
    app = await portal.create_app(devi, name="Billing reader", scopes=["billing:read"])
    # A system API registered later is back office by its layer: the app waits.
    assert app["scopes"] == ["billing:read"] and app["status"] == "pending"


async def test_apps_belong_to_the_developer_across_sign_ins(portal: Portal) -> None:
    # The owner is the user, not the token: Devi signing in again sees the same apps.
    first = await portal.sign_in(*DEVI)
    app = await portal.create_app(first, name="Devi's", scopes=["crm:read"])
    second = await portal.sign_in(*DEVI, scope="apps:read")
    assert await portal.app_ids(second) == [app["client_id"]]
