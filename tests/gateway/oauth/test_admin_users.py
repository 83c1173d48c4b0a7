"""The people admin API (/admin/users): guarded by the admin scope, passwords never shown,
problem+json naming the field, and a removed role revoking the person's tokens at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from gateway.oauth.clients import create_client
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import AccessToken, OAuthUser, TokenFamily
from gateway.oauth.roles import CUSTOMER, DEVELOPER, OPERATOR
from gateway.oauth.users import authenticate_user
from strata.db import Database
from tests.gateway.oauth.conftest import Flows, Registered
from tests.gateway.oauth.people_support import make_person, refresh, sign_in

USERS = "/admin/users"
APP_REDIRECT = "https://apps.example/callback"
NEW_PERSON = {
    "username": "Olga",
    "password": "olga-long-password",
    "display_name": "Olga Operator",
}


@pytest.fixture
async def admin_headers(flows: Flows, admin_client: Registered) -> dict[str, str]:
    token = await flows.client_credentials(admin_client, scope="admin")
    return {"Authorization": f"Bearer {token['access_token']}"}


def _problem(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = answer.json()
    assert body["status"] == status
    return body


def _fields(body: dict[str, Any]) -> list[str]:
    return [error["field"] for error in body.get("errors", [])]


async def test_every_route_needs_a_token_with_the_admin_scope(
    http: httpx.AsyncClient, flows: Flows, database: Database, passwords: Passwords
) -> None:
    # A token for the gateway itself, without the admin scope.
    client, secret = await create_client(
        database, "Resource server", "tokens:introspect", passwords=passwords
    )
    assert secret is not None
    token = await flows.client_credentials(Registered(client, secret))
    calls = [
        ("GET", USERS, None),
        ("GET", f"{USERS}/u_someone", None),
        ("POST", USERS, NEW_PERSON),
        ("PUT", f"{USERS}/u_someone/roles", {"roles": ["admin"]}),
    ]
    for method, path, body in calls:
        anonymous = await http.request(method, path, json=body)
        _problem(anonymous, 401)
        forbidden = await http.request(
            method, path, json=body, headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        _problem(forbidden, 403)
        assert 'scope="admin"' in forbidden.headers["www-authenticate"]
    async with database.session() as session:
        assert (await session.execute(select(OAuthUser))).first() is None


async def test_create_a_person_whose_password_is_never_shown(
    http: httpx.AsyncClient, admin_headers: dict[str, str], database: Database, passwords: Passwords
) -> None:
    created = await http.post(USERS, json=NEW_PERSON, headers=admin_headers)

    assert created.status_code == 201, created.text
    body = created.json()
    assert created.headers["location"] == f"{USERS}/{body['user_id']}"
    assert set(body) == {
        "user_id",
        "username",
        "display_name",
        "customer_id",
        "roles",
        "created_at",
    }
    assert body["username"] == "olga" and body["roles"] == [CUSTOMER]
    assert body["customer_id"] is None
    assert NEW_PERSON["password"] not in created.text
    shown = await http.get(f"{USERS}/{body['user_id']}", headers=admin_headers)
    assert shown.json() == body
    async with database.session() as session:
        stored = await session.get(OAuthUser, body["user_id"])
        assert stored is not None and stored.password_hash.startswith("$argon2id$")
        signed_in = await authenticate_user(session, "olga", NEW_PERSON["password"], passwords)
    assert signed_in is not None and signed_in.id == body["user_id"]


async def test_create_with_roles_and_a_customer(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    created = await http.post(
        USERS,
        json={**NEW_PERSON, "roles": ["operator", "customer"], "customer_id": "001Dn0000001"},
        headers=admin_headers,
    )

    assert created.status_code == 201, created.text
    assert created.json()["roles"] == ["customer", "operator"]
    assert created.json()["customer_id"] == "001Dn0000001"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"roles": ["customer", "superuser"]}, "roles"),
        ({"password": "short"}, "password"),
        ({"username": "two words"}, "username"),
        ({"username": ""}, "username"),
        ({"display_name": ""}, "display_name"),
        ({"customer_id": "not a customer id"}, "customer_id"),
        ({"is_admin": True}, "is_admin"),
    ],
)
async def test_create_refuses_bad_input_naming_the_field(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    database: Database,
    change: dict[str, Any],
    field: str,
) -> None:
    answer = await http.post(USERS, json={**NEW_PERSON, **change}, headers=admin_headers)

    body = _problem(answer, 422)
    assert field in _fields(body) and field in body["detail"]
    async with database.session() as session:
        assert (await session.execute(select(OAuthUser))).first() is None


async def test_a_taken_username_is_a_conflict(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    first = await http.post(USERS, json=NEW_PERSON, headers=admin_headers)
    again = await http.post(USERS, json={**NEW_PERSON, "username": " OLGA "}, headers=admin_headers)

    assert first.status_code == 201
    body = _problem(again, 409)
    assert _fields(body) == ["username"] and "olga" in body["detail"]


async def test_the_list_is_paged_and_shows_no_password(
    http: httpx.AsyncClient, admin_headers: dict[str, str], database: Database, passwords: Passwords
) -> None:
    for name in ("ann", "bob", "cy"):
        await make_person(database, passwords, name, (CUSTOMER,))

    first = await http.get(USERS, params={"limit": 2}, headers=admin_headers)
    cursor = first.json()["next_cursor"]
    rest = await http.get(USERS, params={"limit": 2, "cursor": cursor}, headers=admin_headers)
    too_many = await http.get(USERS, params={"limit": 1000}, headers=admin_headers)

    assert first.status_code == 200 and len(first.json()["items"]) == 2 and cursor
    assert rest.json()["next_cursor"] is None and len(rest.json()["items"]) == 1
    names = [item["username"] for item in first.json()["items"] + rest.json()["items"]]
    assert sorted(names) == ["ann", "bob", "cy"]
    assert "password" not in first.text + rest.text and "argon2" not in first.text + rest.text
    assert "limit" in _fields(_problem(too_many, 422))


async def test_an_unknown_person_is_a_404_problem(
    http: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    shown = await http.get(f"{USERS}/u_nobody", headers=admin_headers)
    changed = await http.put(
        f"{USERS}/u_nobody/roles", json={"roles": ["customer"]}, headers=admin_headers
    )

    for answer in (shown, changed):
        assert _problem(answer, 404)["type"].endswith("/not-found")


async def test_roles_are_set_exactly_and_an_unknown_one_is_refused(
    http: httpx.AsyncClient, admin_headers: dict[str, str], database: Database, passwords: Passwords
) -> None:
    person = await make_person(database, passwords, "ann", (CUSTOMER,))
    path = f"{USERS}/{person.id}/roles"

    made_operator = await http.put(
        path, json={"roles": ["operator", "customer"]}, headers=admin_headers
    )
    unknown = await http.put(path, json={"roles": ["operator", "root"]}, headers=admin_headers)
    missing = await http.put(path, json={}, headers=admin_headers)
    shown = await http.get(f"{USERS}/{person.id}", headers=admin_headers)

    assert made_operator.status_code == 200, made_operator.text
    assert made_operator.json()["roles"] == ["customer", "operator"]
    body = _problem(unknown, 422)
    assert _fields(body) == ["roles"] and "'root'" in body["detail"]
    assert "roles" in _fields(_problem(missing, 422))
    assert shown.json()["roles"] == ["customer", "operator"]


async def _signed_in_as_developer_and_operator(
    database: Database, passwords: Passwords, flows: Flows
) -> tuple[OAuthUser, str, dict[str, Any]]:
    """Cora, both a developer and an operator, signed in to an app that may ask for both
    kinds of scope; returns her, the app's id and her tokens."""
    app, _ = await create_client(
        database,
        "Back-office console",
        "apps:read crm:read",
        redirect_uris=[APP_REDIRECT],
        public=True,
        passwords=passwords,
    )
    cora = await make_person(database, passwords, "cora", (DEVELOPER, OPERATOR))
    token = await sign_in(
        flows, app.id, APP_REDIRECT, "apps:read crm:read", "cora", "cora-test-password"
    )
    assert token["scope"] == "apps:read crm:read"
    return cora, app.id, token


async def test_removing_a_role_revokes_every_token_of_the_person_at_once(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    database: Database,
    passwords: Passwords,
    flows: Flows,
) -> None:
    cora, app_id, token = await _signed_in_as_developer_and_operator(database, passwords, flows)
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await http.get("/crm/customers", headers=bearer)).status_code == 200

    changed = await http.put(
        f"{USERS}/{cora.id}/roles", json={"roles": ["developer"]}, headers=admin_headers
    )

    assert changed.status_code == 200 and changed.json()["roles"] == ["developer"]
    _problem(await http.get("/crm/customers", headers=bearer), 401)
    refreshed = await refresh(flows, app_id, token["refresh_token"])
    assert refreshed.status_code == 400 and refreshed.json()["error"] == "invalid_grant"
    async with database.session() as session:
        families = (await session.execute(select(TokenFamily))).scalars().all()
        query = select(AccessToken).where(AccessToken.user_id == cora.id)
        tokens = (await session.execute(query)).scalars().all()
    assert families and all(family.revoked_at is not None for family in families)
    assert tokens and all(access.revoked_at is not None for access in tokens)
    again = await sign_in(
        flows, app_id, APP_REDIRECT, "apps:read crm:read", "cora", "cora-test-password"
    )
    assert again["scope"] == "apps:read"


async def test_adding_a_role_keeps_the_tokens_the_person_holds(
    http: httpx.AsyncClient,
    admin_headers: dict[str, str],
    database: Database,
    passwords: Passwords,
    flows: Flows,
) -> None:
    cora, app_id, token = await _signed_in_as_developer_and_operator(database, passwords, flows)

    changed = await http.put(
        f"{USERS}/{cora.id}/roles",
        json={"roles": ["developer", "operator", "admin"]},
        headers=admin_headers,
    )

    assert changed.status_code == 200
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert (await http.get("/crm/customers", headers=bearer)).status_code == 200
    refreshed = await refresh(flows, app_id, token["refresh_token"])
    assert refreshed.status_code == 200 and refreshed.json()["scope"] == "apps:read crm:read"
