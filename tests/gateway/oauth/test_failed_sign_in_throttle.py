"""Failed sign-ins and wrong client secrets are throttled per account and address, before
the password hash runs: from the attacker's address even the right secret waits, while the
real user elsewhere signs in at once."""

from urllib.parse import urlencode

import httpx
import pytest
from fastapi import FastAPI

from gateway.oauth import OAuthSettings
from gateway.oauth.models import OAuthClient, OAuthUser
from tests.gateway.oauth.conftest import (
    ISSUER,
    WEB_REDIRECT,
    Flows,
    Registered,
    oauth_settings,
)

ATTACKER = "198.51.100.7"
ELSEWHERE = "203.0.113.9"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


@pytest.fixture
def settings() -> OAuthSettings:
    # Room for many wrong passwords on one form, and a small throttle to reach quickly.
    return oauth_settings(
        login_max_attempts=20, throttle={"per_account": "3/min burst 3", "per_address": "50/min"}
    )


def from_address(app: FastAPI, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url=ISSUER)


async def test_wrong_client_secrets_wait_before_the_hash(app: FastAPI, partner: Registered) -> None:
    form = {"grant_type": "client_credentials"}
    async with from_address(app, ATTACKER) as attacker:
        for _ in range(3):
            wrong = await attacker.post("/oauth/token", data=form, auth=(partner.id, "nope"))
            assert wrong.status_code == 401
        throttled = await attacker.post("/oauth/token", data=form, auth=(partner.id, "nope"))
        right = await attacker.post("/oauth/token", data=form, auth=partner_auth(partner))
    assert throttled.status_code == 429
    assert throttled.json()["error"] == "temporarily_unavailable"
    assert int(throttled.headers["retry-after"]) == 20
    # Refused before the secret was checked: the right one waits too, from that address.
    assert right.status_code == 429

    async with from_address(app, ELSEWHERE) as owner:
        answer = await owner.post("/oauth/token", data=form, auth=partner_auth(partner))
    assert answer.status_code == 200, answer.text


def partner_auth(partner: Registered) -> tuple[str, str]:
    return partner.id, partner.secret


def authorize_url(web_app: OAuthClient) -> str:
    query = {
        "response_type": "code",
        "client_id": web_app.id,
        "redirect_uri": WEB_REDIRECT,
        "scope": "me:read",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    return "/oauth/authorize?" + urlencode(query)


async def test_wrong_passwords_wait_but_never_lock_the_user_out(
    app: FastAPI, flows: Flows, web_app: OAuthClient, user: OAuthUser
) -> None:
    async with from_address(app, ATTACKER) as attacker:
        request_id = flows.request_id(await attacker.get(authorize_url(web_app)))
        for _ in range(3):
            wrong = await flows.submit(attacker, request_id, password="nope")
            assert "Wrong username or password" in wrong.text
        throttled = await flows.submit(attacker, request_id)
        assert throttled.status_code == 429
        assert "Too many failed sign-ins" in throttled.text
        assert int(throttled.headers["retry-after"]) == 20
        assert "location" not in throttled.headers

    async with from_address(app, ELSEWHERE) as owner:
        answer = await flows.sign_in(owner, authorize_url(web_app))
    assert answer.status_code == 303
    assert "code=" in answer.headers["location"]
