"""Who may use the portal's API, and what bad input gets: a user token with the apps scopes
only, and problem+json naming the field for every wrong request."""

from __future__ import annotations

from typing import Any

import pytest

from tests.acceptance_support import assert_problem
from tests.gateway.portal.conftest import DEVI, Portal, bearer

APPS = "/portal/api/apps"


async def test_without_a_token_every_route_is_401(portal: Portal) -> None:
    async with portal.http() as http:
        answers = [
            await http.get(APPS),
            await http.post(APPS, json={"name": "x", "scopes": ["crm:read"]}),
            await http.get(f"{APPS}/c_anything"),
            await http.delete(f"{APPS}/c_anything"),
            await http.get(APPS, headers={"Authorization": "Bearer not-a-jwt"}),
        ]
    for answer in answers:
        assert_problem(answer, 401, "invalid-token")
        assert answer.headers["www-authenticate"].startswith("Bearer ")


async def test_a_clients_own_token_is_refused(portal: Portal) -> None:
    # A confidential client holding the very scopes still is not a signed-in developer.
    client, secret = await portal.strata.gateway.oauth.create_client(
        "script", "apps:read apps:write"
    )
    assert secret is not None
    token = await portal.client_token(client.id, secret)
    async with portal.http() as http:
        listed = await http.get(APPS, headers=bearer(token))
        created = await http.post(
            APPS, json={"name": "x", "scopes": ["crm:read"]}, headers=bearer(token)
        )
    for answer in (listed, created):
        body = assert_problem(answer, 403, "user-token-required")
        assert "authorization code" in body["detail"]


async def test_a_user_token_without_the_apps_scopes_is_refused(portal: Portal, devi: str) -> None:
    reader = await portal.sign_in(*DEVI, scope="apps:read")
    async with portal.http() as http:
        assert (await http.get(APPS, headers=bearer(reader))).status_code == 200
        created = await http.post(
            APPS, json={"name": "x", "scopes": ["crm:read"]}, headers=bearer(reader)
        )
        body = assert_problem(created, 403, "insufficient-scope")
        assert 'scope="apps:write"' in created.headers["www-authenticate"]
        assert "apps:write" in body["detail"]
        deleted = await http.delete(f"{APPS}/c_whatever", headers=bearer(reader))
        assert_problem(deleted, 403, "insufficient-scope")


@pytest.mark.parametrize("scope", ["admin", "apps:read", "apps:write"])
async def test_the_gateways_own_scopes_are_not_self_service(
    portal: Portal, devi: str, scope: str
) -> None:
    async with portal.http() as http:
        answer = await http.post(
            APPS, json={"name": "sneaky", "scopes": ["inventory:read", scope]}, headers=bearer(devi)
        )
    body = assert_problem(answer, 422, "validation")
    assert body["errors"][0]["field"] == "scopes"
    assert body["errors"][0]["message"].startswith(f"{scope}: ")
    assert await portal.app_ids(devi) == []


async def test_malformed_json_is_a_422_problem(portal: Portal, devi: str) -> None:
    async with portal.http() as http:
        answer = await http.post(
            APPS,
            content=b'{"name": "x", "scopes": [',
            headers={**bearer(devi), "Content-Type": "application/json"},
        )
    body = assert_problem(answer, 422, "validation")
    assert "malformed JSON" in body["errors"][0]["message"]


BAD_REQUESTS: list[tuple[dict[str, Any], str, str]] = [
    ({"name": "x", "scopes": ["billing:nope"]}, "scopes", "unknown scope billing:nope"),
    ({"name": "x", "scopes": []}, "scopes", "at least 1"),
    ({"name": "x", "scopes": "crm:read"}, "scopes", "list"),
    ({"name": "x", "scopes": [7]}, "scopes.0", "string"),
    ({"scopes": ["crm:read"]}, "name", "required"),
    ({"name": "", "scopes": ["crm:read"]}, "name", "at least 1"),
    ({"name": "   ", "scopes": ["crm:read"]}, "name", "1 to 200"),
    ({"name": "x", "scopes": ["crm:read"], "public": "maybe"}, "public", "boolean"),
    ({"name": "x", "scopes": ["crm:read"], "tier": "premium"}, "tier", "not permitted"),
    ({"name": "x", "scopes": ["me:read"], "public": True}, "redirect_uris", "redirect URI"),
    (
        {"name": "x", "scopes": ["me:read"], "redirect_uris": ["http://evil.example/cb"]},
        "redirect_uris",
        "loopback",
    ),
    (
        {"name": "x", "scopes": ["crm:read"], "redirect_uris": "https://a.example"},
        "redirect_uris",
        "list",
    ),
    (["not", "an", "object"], "body", "dictionary or object"),
]


async def test_bad_requests_name_the_field(portal: Portal, devi: str) -> None:
    async with portal.http() as http:
        for payload, field, says in BAD_REQUESTS:
            answer = await http.post(APPS, json=payload, headers=bearer(devi))
            body = assert_problem(answer, 422, "validation")
            matching = [error for error in body["errors"] if error["field"] == field]
            assert matching, (payload, body)
            assert says in matching[0]["message"], (payload, body)
    assert await portal.app_ids(devi) == []


async def test_an_unknown_app_is_a_404_problem(portal: Portal, devi: str) -> None:
    async with portal.http() as http:
        for answer in (
            await http.get(f"{APPS}/c_nothing", headers=bearer(devi)),
            await http.delete(f"{APPS}/c_nothing", headers=bearer(devi)),
        ):
            body = assert_problem(answer, 404, "not-found")
            assert body["detail"] == "app 'c_nothing' does not exist"


async def test_operators_and_seeded_clients_are_no_developers_apps(
    portal: Portal, devi: str
) -> None:
    operator, _ = await portal.strata.gateway.oauth.create_client("ops", "crm:read")
    async with portal.http() as http:
        for client_id in (operator.id, "strata-portal", "strata-web"):
            answer = await http.delete(f"{APPS}/{client_id}", headers=bearer(devi))
            assert_problem(answer, 404, "not-found")
    assert await portal.app_ids(devi) == []
