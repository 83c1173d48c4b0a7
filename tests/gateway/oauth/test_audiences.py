"""Token audiences: ``aud`` names the APIs a token is for (RFC 9068), by default those its
scopes open, or the RFC 8707 ``resource`` URLs asked for, which narrow the scopes."""

import base64
import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from authlib.common.security import generate_token
from pydantic import ValidationError
from sqlalchemy import select

from gateway.oauth import OAuthServer, OAuthSettings, create_client
from gateway.oauth.models import (
    AuthorizationCode,
    AuthorizationRequest,
    OAuthClient,
    OAuthUser,
    TokenFamily,
)
from gateway.routes import ApiRoute
from strata.db import Database
from tests.gateway.oauth.conftest import (
    CRM,
    INVENTORY,
    ISSUER,
    MOBILE,
    ORDERS,
    ROUTES,
    WEB,
    Flows,
    Registered,
)


def _aud(token: dict[str, Any]) -> Any:
    payload = token["access_token"].split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["aud"]


def _error(answer: httpx.Response, error: str) -> str:
    assert answer.status_code == 400, answer.text
    assert answer.headers["content-type"] == "application/json"
    body = answer.json()
    assert body["error"] == error, body
    description: str = body["error_description"]
    return description


async def _client(database: Database, passwords: Any, scopes: str) -> Registered:
    client, secret = await create_client(database, "Script", scopes, passwords=passwords)
    return Registered(client, secret)


async def test_the_default_audience_lists_exactly_the_apis_of_the_scopes(
    flows: Flows, partner: Registered, database: Database, passwords: Any
) -> None:
    both = await flows.client_credentials(partner)
    one = await flows.client_credentials(partner, scope="crm:write")
    gateway = await flows.client_credentials(await _client(database, passwords, "admin crm:read"))

    assert _aud(both) == [CRM, ORDERS]  # crm:read and crm:write open one API: listed once
    assert _aud(one) == CRM  # one audience: a plain string
    assert _aud(gateway) == [ISSUER, CRM]  # a gateway scope is for the gateway itself


async def test_a_scope_of_several_apis_is_for_each_of_them(
    flows: Flows, web_app: OAuthClient, user: OAuthUser
) -> None:
    token = await flows.user_tokens(web_app, scope="me:read")
    assert _aud(token) == [WEB, MOBILE]


@pytest.mark.parametrize(
    "resource",
    [
        f"{ISSUER}/system/nope/v1",  # not routed
        f"{ISSUER}/system/crm/v2",
        "https://elsewhere.example/system/crm/v1",  # another host
        f"{CRM}/",
        f"{CRM}#part",  # RFC 8707: no fragment
        "/system/crm/v1",  # not absolute
        "",
    ],
)
async def test_an_unknown_resource_is_invalid_target(
    flows: Flows, partner: Registered, resource: str
) -> None:
    answer = await flows.token_request(
        {"grant_type": "client_credentials", "resource": [CRM, resource]}, partner
    )
    assert "resource" in _error(answer, "invalid_target")


async def test_too_many_resources_are_refused(flows: Flows, partner: Registered) -> None:
    answer = await flows.token_request(
        {"grant_type": "client_credentials", "resource": [CRM] * 17}, partner
    )
    assert "at most 16" in _error(answer, "invalid_target")


async def test_resources_narrow_the_scopes_and_make_the_audience(
    flows: Flows, partner: Registered
) -> None:
    crm = await flows.client_credentials_for(partner, resource=[CRM])
    asked = await flows.client_credentials_for(partner, resource=[CRM], scope="crm:read")
    two = await flows.client_credentials_for(partner, resource=[ORDERS, CRM, ORDERS])

    assert crm["scope"] == "crm:read crm:write" and _aud(crm) == CRM
    assert asked["scope"] == "crm:read" and _aud(asked) == CRM
    assert two["scope"] == "crm:read crm:write orders:read" and _aud(two) == [ORDERS, CRM]


async def test_a_resource_none_of_the_scopes_belongs_to_is_invalid_scope(
    flows: Flows, partner: Registered
) -> None:
    for form in (
        {"grant_type": "client_credentials", "resource": [INVENTORY]},
        {"grant_type": "client_credentials", "resource": [ISSUER]},  # no gateway scope
        {"grant_type": "client_credentials", "resource": [CRM], "scope": "orders:read"},
    ):
        _error(await flows.token_request(form, partner), "invalid_scope")


async def test_a_resource_the_narrowed_scopes_do_not_open_is_left_out(
    flows: Flows, partner: Registered
) -> None:
    token = await flows.client_credentials_for(partner, resource=[CRM, ORDERS], scope="crm:read")
    assert token["scope"] == "crm:read" and _aud(token) == CRM


async def test_a_public_api_asked_for_stays_in_the_audience(
    flows: Flows, partner: Registered, oauth: OAuthServer
) -> None:
    status = ApiRoute("status", "system", 1, ("inproc://system/status",))
    oauth.vocabulary.learn_api_scopes([*ROUTES, status])
    token = await flows.client_credentials_for(
        partner, resource=[CRM, f"{ISSUER}/system/status/v1"]
    )
    assert _aud(token) == [CRM, f"{ISSUER}/system/status/v1"]


async def test_without_a_routed_api_for_the_scopes_no_token_is_issued(
    flows: Flows, partner: Registered, oauth: OAuthServer
) -> None:
    oauth.vocabulary.learn_api_scopes([])
    answer = await flows.token_request({"grant_type": "client_credentials"}, partner)
    assert "no routed API" in _error(answer, "invalid_scope")


async def test_other_parameters_still_may_not_repeat(flows: Flows, partner: Registered) -> None:
    answer = await flows.token_request(
        {"grant_type": "client_credentials", "scope": ["crm:read", "crm:write"]}, partner
    )
    assert "scope" in _error(answer, "invalid_request")


class Authorization:
    """An authorization code flow with ``resource`` at the authorization endpoint."""

    def __init__(self, flows: Flows, web_app: OAuthClient) -> None:
        self.flows = flows
        self.web_app = web_app
        self.verifier = generate_token(48)

    async def location(self, resources: list[str], scope: str = "me:read me:write") -> str:
        async with self.flows.public_client(self.web_app, scope=scope) as session:
            url, _ = session.create_authorization_url(
                self.flows.authorize_url, code_verifier=self.verifier
            )
        url += "&" + urlencode([("resource", resource) for resource in resources])
        async with self.flows.browser() as browser:
            page = await browser.get(url)
            if page.status_code == 303:
                return str(page.headers["location"])
            answer = await self.flows.submit(browser, self.flows.request_id(page))
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    async def code(self, resources: list[str]) -> str:
        query = dict(parse_qsl(urlsplit(await self.location(resources)).query))
        return query["code"]

    async def exchange(self, code: str, resources: Sequence[str] = ()) -> httpx.Response:
        form: dict[str, str | list[str]] = {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": self.verifier,
            "client_id": self.web_app.id,
            "redirect_uri": self.flows.redirect_uri,
            "resource": list(resources),
        }
        return await self.flows.token_request(form)

    async def refresh(self, refresh_token: str, resources: list[str]) -> httpx.Response:
        form: dict[str, str | list[str]] = {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": self.web_app.id,
            "resource": resources,
        }
        return await self.flows.token_request(form)


@pytest.fixture
def authorization(flows: Flows, web_app: OAuthClient, user: OAuthUser) -> Authorization:
    return Authorization(flows, web_app)


async def test_resources_asked_at_authorize_are_kept_to_the_token_family(
    authorization: Authorization, database: Database
) -> None:
    code = await authorization.code([WEB])
    answer = await authorization.exchange(code)

    assert answer.status_code == 200, answer.text
    assert _aud(answer.json()) == WEB
    async with database.session() as session:
        request = (await session.execute(select(AuthorizationRequest))).scalar_one()
        stored_code = (await session.execute(select(AuthorizationCode))).scalar_one()
        family = (await session.execute(select(TokenFamily))).scalar_one()
    assert request.resource == stored_code.resource == family.resource == WEB


async def test_an_unknown_resource_at_authorize_returns_invalid_target(
    authorization: Authorization,
) -> None:
    location = await authorization.location([f"{ISSUER}/experience/kiosk/v1"])
    query = dict(parse_qsl(urlsplit(location).query))
    assert location.startswith(authorization.flows.redirect_uri)
    assert query["error"] == "invalid_target" and "resource" in query["error_description"]


async def test_the_code_exchange_may_ask_for_part_of_the_authorized_resources(
    authorization: Authorization,
) -> None:
    wider = await authorization.exchange(await authorization.code([WEB]), [MOBILE])
    narrower = await authorization.exchange(await authorization.code([WEB, MOBILE]), [MOBILE])
    by_scopes = await authorization.exchange(await authorization.code([]), [WEB])
    outside = await authorization.exchange(await authorization.code([]), [CRM])

    assert "not covered" in _error(wider, "invalid_target")
    assert _aud(narrower.json()) == MOBILE
    assert _aud(by_scopes.json()) == WEB
    assert "not covered" in _error(outside, "invalid_target")


async def test_a_refused_code_exchange_leaves_the_code_usable(
    authorization: Authorization,
) -> None:
    code = await authorization.code([WEB])
    _error(await authorization.exchange(code, [CRM]), "invalid_target")
    assert (await authorization.exchange(code, [WEB])).status_code == 200


async def test_a_refresh_may_ask_for_a_subset_of_the_familys_resources(
    authorization: Authorization,
) -> None:
    first = (await authorization.exchange(await authorization.code([WEB, MOBILE]))).json()
    assert _aud(first) == [WEB, MOBILE]

    subset = await authorization.refresh(first["refresh_token"], [MOBILE])
    assert subset.status_code == 200, subset.text
    outside = await authorization.refresh(subset.json()["refresh_token"], [CRM])
    whole = await authorization.refresh(subset.json()["refresh_token"], [])

    assert _aud(subset.json()) == MOBILE
    assert "not covered" in _error(outside, "invalid_target")
    # The refused refresh used nothing up; the family keeps every resource it was given.
    assert whole.status_code == 200, whole.text
    assert _aud(whole.json()) == [WEB, MOBILE]


def test_a_single_audience_setting_is_refused_with_a_reason() -> None:
    with pytest.raises(ValidationError, match="audience is no longer a setting"):
        OAuthSettings.model_validate({"issuer": ISSUER, "audience": "strata"})
