"""The client admin API: guarded by the admin scope, secrets shown once, problem+json errors."""

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.oauth import OAuthServer, create_client
from gateway.oauth.models import OAuthClient
from tests.gateway.oauth.conftest import CRM, Flows, Registered


@pytest.fixture
async def admin_headers(flows: Flows, admin_client: Registered) -> dict[str, str]:
    token = await flows.client_credentials(admin_client, scope="admin")
    return {"Authorization": f"Bearer {token['access_token']}"}


async def test_needs_a_token_with_the_admin_scope(
    http: httpx.AsyncClient,
    flows: Flows,
    database: Any,
    passwords: Any,
) -> None:
    anonymous = await http.get("/admin/clients")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    # A token for the gateway itself (a gateway scope), without the admin scope.
    client, secret = await create_client(
        database, "Resource server", "tokens:introspect", passwords=passwords
    )
    token = await flows.client_credentials(Registered(client, secret))
    forbidden = await http.get(
        "/admin/clients", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert forbidden.status_code == 403
    assert 'scope="admin"' in forbidden.headers["www-authenticate"]


async def test_refuses_a_token_issued_for_apis_only(
    http: httpx.AsyncClient,
    flows: Flows,
    database: Any,
    passwords: Any,
) -> None:
    # Holds admin, but was asked for the CRM API only: not a token for the gateway.
    client, secret = await create_client(
        database, "Operator script", "admin crm:read", passwords=passwords
    )
    token = await flows.client_credentials_for(Registered(client, secret), resource=[CRM])
    refused = await http.get(
        "/admin/clients", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert token["scope"] == "crm:read"
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "another audience" in refused.headers["www-authenticate"]


async def test_create_shows_the_secret_once_and_it_works(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    database: Any,
) -> None:
    created = await http.post(
        "/admin/clients",
        headers=admin_headers,
        json={
            "name": "Warehouse robot",
            "scopes": ["inventory:read", "inventory:write"],
            "tier": "free",
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"/admin/clients/{body['client_id']}"
    assert created.headers["cache-control"] == "no-store"
    assert body["client_secret"] and body["grant_types"] == ["client_credentials"]
    assert body["tier"] == "free" and body["public"] is False

    shown = await http.get(f"/admin/clients/{body['client_id']}", headers=admin_headers)
    assert shown.status_code == 200 and "client_secret" not in shown.json()
    async with database.session() as session:
        stored = await session.get(OAuthClient, body["client_id"])
    assert stored is not None and stored.secret_hash is not None
    assert stored.secret_hash.startswith("$argon2id$")
    assert body["client_secret"] not in stored.secret_hash

    token = await http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(body["client_id"], body["client_secret"]),
    )
    assert token.status_code == 200 and token.json()["scope"] == "inventory:read inventory:write"


async def test_create_a_public_client(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    created = await http.post(
        "/admin/clients",
        headers=admin_headers,
        json={
            "name": "Kiosk",
            "scopes": ["me:read"],
            "public": True,
            "redirect_uris": ["https://kiosk.example/cb", "dev.strata.kiosk:/cb"],
        },
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["client_secret"] is None
    assert body["grant_types"] == ["authorization_code", "refresh_token"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "x", "scopes": ["nope:read"]}, "scopes"),
        ({"name": "x", "scopes": ["me:read"], "public": True}, "redirect_uris"),
        (
            {
                "name": "x",
                "scopes": ["admin"],
                "public": True,
                "redirect_uris": ["https://a.example/cb"],
            },
            "scopes",
        ),
        (
            {"name": "x", "scopes": ["me:read"], "redirect_uris": ["http://evil.example/cb"]},
            "redirect_uris",
        ),
        (
            {"name": "x", "scopes": ["me:read"], "redirect_uris": ["https://a.example/cb#f"]},
            "redirect_uris",
        ),
        ({"name": "x", "scopes": ["me:read"], "tier": "Gold!"}, "tier"),
        ({"name": "x", "scopes": []}, "scopes"),
        ({"name": "", "scopes": ["me:read"]}, "name"),
        ({"name": "x", "scopes": "me:read"}, "scopes"),
        ({"name": "x", "scopes": ["me:read"], "surprise": 1}, "surprise"),
        ({"name": "x" * 201, "scopes": ["me:read"]}, "name"),
    ],
)
async def test_invalid_registrations(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    payload: dict[str, Any],
    field: str,
    database: Any,
) -> None:
    answer = await http.post("/admin/clients", headers=admin_headers, json=payload)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert any(field in error["field"] for error in answer.json()["errors"])
    async with database.session() as session:
        count = len((await session.execute(select(OAuthClient.id))).all())
    assert count == 1  # only the admin client itself


async def test_malformed_json(http: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    answer = await http.post(
        "/admin/clients",
        content=b"{not json",
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"


async def test_list_pages_through_clients(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    partner: Registered,
) -> None:
    for number in range(3):
        await http.post(
            "/admin/clients",
            headers=admin_headers,
            json={"name": f"c{number}", "scopes": ["me:read"]},
        )
    pages, url = [], "/admin/clients?limit=2"
    while url:
        page = (await http.get(url, headers=admin_headers)).json()
        pages.append(page)
        url = f"/admin/clients?limit=2&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert [len(page["items"]) for page in pages] == [2, 2, 1]
    ids = [item["client_id"] for page in pages for item in page["items"]]
    assert len(set(ids)) == 5  # admin, partner and three new
    assert all("client_secret" not in item for page in pages for item in page["items"])
    bad = await http.get("/admin/clients?limit=0", headers=admin_headers)
    assert bad.status_code == 422


async def test_unknown_client_is_404(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
) -> None:
    for method in ("GET", "DELETE"):
        answer = await http.request(method, "/admin/clients/c_nobody", headers=admin_headers)
        assert answer.status_code == 404
        assert answer.json()["type"].endswith("/not-found")


async def test_delete_revokes_everything_the_client_holds(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    flows: Flows,
    partner: Registered,
    oauth: OAuthServer,
) -> None:
    token = await flows.client_credentials(partner)
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await http.get("/crm/customers", headers=headers)).status_code == 200

    deleted = await http.delete(f"/admin/clients/{partner.id}", headers=admin_headers)
    assert deleted.status_code == 204

    assert (await http.get("/crm/customers", headers=headers)).status_code == 401
    again = await http.post(
        "/oauth/token", data={"grant_type": "client_credentials"}, auth=(partner.id, partner.secret)
    )
    assert again.status_code == 401
    gone = await http.get(f"/admin/clients/{partner.id}", headers=admin_headers)
    assert gone.status_code == 404
