"""Apps that reach back-office data wait for an operator: a developer's portal app asking for
system or process scopes (the catalog reads aside) is pending and gets no token until it is
approved, through the admin API or `strata clients approve`; catalog-only and experience apps
are active at once."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from sqlalchemy import select

from gateway.oauth.models import OAuthUser
from tests.acceptance_support import assert_problem
from tests.commands.strata_command import run_strata_command
from tests.gateway.portal.conftest import Portal, bearer, s256

BACK_OFFICE = ["crm:write", "erp:write", "inventory:write", "orders:write"]
SPA_REDIRECT = "https://spa.example/callback"
WAITS = "waits for an operator's approval"


async def _devi_id(portal: Portal) -> str:
    async with portal.strata.layers.database.session() as session:
        found = await session.execute(select(OAuthUser.id).where(OAuthUser.username == "devi"))
        return str(found.scalar_one())


def _assert_refused_as_pending(answer: Any) -> None:
    assert answer.status_code == 400, answer.text
    body = answer.json()
    assert body["error"] == "unauthorized_client"
    assert WAITS in body["error_description"]
    assert "access_token" not in body


async def test_back_office_scopes_wait_for_an_operators_approval(portal: Portal, devi: str) -> None:
    app = await portal.create_app(devi, name="Order robot", scopes=BACK_OFFICE)
    assert app["status"] == "pending" and app["client_secret"]
    assert WAITS in app["status_reason"]
    for scope in BACK_OFFICE:
        assert scope in app["status_reason"]
    async with portal.http() as http:
        listed = (await http.get("/portal/api/apps", headers=bearer(devi))).json()["items"]
    assert [(item["status"], item["status_reason"]) for item in listed] == [
        ("pending", app["status_reason"])
    ]
    _assert_refused_as_pending(await portal.token_answer(app["client_id"], app["client_secret"]))

    admin = bearer(await portal.admin_token())
    async with portal.http() as http:
        waiting = await http.get("/admin/clients", params={"status": "pending"}, headers=admin)
        assert waiting.status_code == 200, waiting.text
        [shown] = waiting.json()["items"]
        assert shown["client_id"] == app["client_id"] and shown["status"] == "pending"
        assert shown["owner_user_id"] == await _devi_id(portal)
        assert shown["first_party"] is False

        approved = await http.post(f"/admin/clients/{app['client_id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "active"
        assert approved.json()["status_reason"] is None
        # Approving again changes nothing: the same 200.
        again = await http.post(f"/admin/clients/{app['client_id']}/approve", headers=admin)
        assert again.status_code == 200 and again.json()["status"] == "active"
        after = await http.get("/admin/clients", params={"status": "pending"}, headers=admin)
        assert after.json()["items"] == []

    issued = await portal.token_answer(app["client_id"], app["client_secret"])
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"].split() == BACK_OFFICE


async def test_approving_needs_the_admin_scope_and_a_known_client(
    portal: Portal, devi: str
) -> None:
    app = await portal.create_app(devi, name="Order robot", scopes=["orders:write"])
    admin = bearer(await portal.admin_token())
    async with portal.http() as http:
        path = f"/admin/clients/{app['client_id']}/approve"
        assert_problem(await http.post(path), 401, "invalid-token")
        # The developer's own portal token is no operator's.
        assert_problem(await http.post(path, headers=bearer(devi)), 403, "insufficient-scope")
        unknown = await http.post("/admin/clients/c_nothing/approve", headers=admin)
        assert_problem(unknown, 404, "not-found")
        bad = await http.get("/admin/clients", params={"status": "waiting"}, headers=admin)
        body = assert_problem(bad, 422, "validation")
        assert body["errors"][0]["field"] == "status"
    _assert_refused_as_pending(await portal.token_answer(app["client_id"], app["client_secret"]))


@pytest.mark.parametrize(
    "scopes",
    [
        ["inventory:read", "availability:read"],  # the catalog, no one's records
        ["me:read", "me:write"],  # a person's own data, through their consent
    ],
)
async def test_catalog_and_experience_apps_are_active_at_once(
    portal: Portal, devi: str, scopes: list[str]
) -> None:
    app = await portal.create_app(devi, name="Shop window", scopes=scopes)
    assert app["status"] == "active" and app["status_reason"] is None
    issued = await portal.token_answer(app["client_id"], app["client_secret"])
    assert issued.status_code == 200, issued.text


@pytest.mark.parametrize("scope", ["crm:read", "customers:read", "tokens:introspect"])
async def test_reading_records_or_other_tokens_waits_too(
    portal: Portal, devi: str, scope: str
) -> None:
    app = await portal.create_app(devi, name="Reader", scopes=["inventory:read", scope])
    assert app["status"] == "pending"
    assert scope in app["status_reason"] and "inventory:read" not in app["status_reason"]


async def test_a_pending_public_app_is_refused_at_the_authorize_page(
    portal: Portal, devi: str
) -> None:
    app = await portal.create_app(
        devi,
        name="Back-office SPA",
        scopes=["customers:read"],
        redirect_uris=[SPA_REDIRECT],
        public=True,
    )
    assert app["status"] == "pending"
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": SPA_REDIRECT,
        "state": "s1",
        "code_challenge": s256("v" * 43),
        "code_challenge_method": "S256",
    }
    async with portal.http() as browser:
        refused = await browser.get("/oauth/authorize", params=query)
    assert refused.status_code == 303
    location = refused.headers["location"]
    assert location.startswith(SPA_REDIRECT + "?")
    returned = dict(parse_qsl(urlsplit(location).query))
    assert returned["error"] == "unauthorized_client" and returned["state"] == "s1"
    assert WAITS in returned["error_description"]

    admin = bearer(await portal.admin_token())
    async with portal.http() as http:
        approved = await http.post(f"/admin/clients/{app['client_id']}/approve", headers=admin)
        assert approved.status_code == 200, approved.text
        page = await http.get("/oauth/authorize", params=query)
    assert page.status_code == 200 and 'name="request_id"' in page.text


async def test_an_operator_approves_from_the_command_line(portal: Portal, devi: str) -> None:
    app = await portal.create_app(devi, name="Stock robot", scopes=["inventory:write"])
    _assert_refused_as_pending(await portal.token_answer(app["client_id"], app["client_secret"]))
    database_url = portal.strata.layers.database.url

    listed = await run_strata_command(database_url, "clients", "list", "--pending")
    assert listed.exit_code == 0, listed.stderr
    assert [item["client_id"] for item in json.loads(listed.stdout)] == [app["client_id"]]
    approved = await run_strata_command(database_url, "clients", "approve", app["client_id"])
    assert approved.exit_code == 0, approved.stderr

    issued = await portal.token_answer(app["client_id"], app["client_secret"])
    assert issued.status_code == 200, issued.text
    assert issued.json()["scope"] == "inventory:write"
