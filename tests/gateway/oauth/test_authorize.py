"""The authorization endpoint: PKCE S256 only, the sign-in form, CSRF, escaping."""

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from gateway.oauth import OAuthServer, create_client
from gateway.oauth.models import OAuthClient, OAuthUser

Flows = Any

CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"  # RFC 7636 appendix B


def _query(web_app: OAuthClient, **overrides: str | None) -> str:
    params: dict[str, str | None] = {
        "response_type": "code",
        "client_id": web_app.id,
        "redirect_uri": "https://app.example/callback",
        "scope": "me:read",
        "state": "s-123",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})


def _redirect_params(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code in (302, 303), answer.text
    location = answer.headers["location"]
    assert location.startswith("https://app.example/callback?")
    return dict(parse_qsl(urlsplit(location).query))


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None, "code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": "too-short"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"scope": "me:read admin"}, "invalid_scope"),
        ({"scope": "crm:read"}, "invalid_scope"),
    ],
)
async def test_bad_requests_go_back_to_the_client(
    flows: Flows,
    web_app: OAuthClient,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    async with flows.browser() as browser:
        answer = await browser.get(_query(web_app, **overrides))
    params = _redirect_params(answer)
    assert params["error"] == error
    assert params["state"] == "s-123" and params["iss"] == flows.issuer
    assert "code" not in params


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "c_unknown"},
        {"client_id": None},
        {"redirect_uri": "https://evil.example/callback"},
        {"redirect_uri": "https://app.example/callback/../steal"},
    ],
)
async def test_untrusted_redirects_are_never_followed(
    flows: Flows,
    web_app: OAuthClient,
    overrides: dict[str, str | None],
) -> None:
    async with flows.browser() as browser:
        answer = await browser.get(_query(web_app, **overrides))
    assert answer.status_code == 400
    assert "location" not in answer.headers
    assert answer.headers["content-type"].startswith("text/html")


async def test_repeated_parameters_are_refused(flows: Flows, web_app: OAuthClient) -> None:
    async with flows.browser() as browser:
        answer = await browser.get(_query(web_app) + "&scope=me:write")
    assert answer.status_code == 400 and "location" not in answer.headers


async def test_the_page_escapes_and_is_locked_down(
    flows: Flows,
    web_app: OAuthClient,
) -> None:
    async with flows.browser() as browser:
        page = await browser.get(_query(web_app, state='"><script>alert(1)</script>'))
    assert page.status_code == 200
    assert "Web &lt;app&gt; &amp; co" in page.text and "<app>" not in page.text
    assert "<script>" not in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie


async def test_sign_in_redirects_with_a_code_and_the_state(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    async with flows.browser() as browser:
        answer = await flows.sign_in(browser, _query(web_app))
    params = _redirect_params(answer)
    assert params["code"] and params["state"] == "s-123" and params["iss"] == flows.issuer


async def test_deny(flows: Flows, web_app: OAuthClient, user: OAuthUser) -> None:
    async with flows.browser() as browser:
        answer = await flows.sign_in(browser, _query(web_app), decision="deny")
    params = _redirect_params(answer)
    assert params["error"] == "access_denied" and "code" not in params


async def test_wrong_password_shows_the_form_again(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    async with flows.browser() as browser:
        page = await browser.get(_query(web_app))
        request_id = flows.request_id(page)
        wrong = await flows.submit(browser, request_id, username="<b>ada</b>", password="nope")
        assert wrong.status_code == 200
        assert "Wrong username or password" in wrong.text
        assert "&lt;b&gt;ada&lt;/b&gt;" in wrong.text and "<b>ada</b>" not in wrong.text
        right = await flows.submit(browser, request_id)
    assert _redirect_params(right)["code"]


async def test_too_many_wrong_passwords_deny_the_request(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    oauth: OAuthServer,
) -> None:
    async with flows.browser() as browser:
        page = await browser.get(_query(web_app))
        request_id = flows.request_id(page)
        for _ in range(oauth.settings.login_max_attempts - 1):
            answer = await flows.submit(browser, request_id, password="nope")
            assert answer.status_code == 200
        last = await flows.submit(browser, request_id, password="nope")
        assert _redirect_params(last)["error"] == "access_denied"
        # The request is used up: even the right password cannot revive it.
        after = await flows.submit(browser, request_id)
    assert after.status_code == 400 and "location" not in after.headers


async def test_a_form_posted_without_its_browser_cookie_is_refused(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    async with flows.browser() as victim:
        page = await victim.get(_query(web_app))
        request_id = flows.request_id(page)
    async with flows.browser() as attacker:
        await attacker.get(_query(web_app))  # has a cookie of its own, not the victim's
        forged = await flows.submit(attacker, request_id)
    assert forged.status_code == 403 and "location" not in forged.headers
    async with flows.browser() as bare:
        no_cookie = await flows.submit(bare, request_id)
    assert no_cookie.status_code == 403


async def test_a_form_works_once(flows: Flows, web_app: OAuthClient, user: OAuthUser) -> None:
    async with flows.browser() as browser:
        page = await browser.get(_query(web_app))
        request_id = flows.request_id(page)
        first = await flows.submit(browser, request_id)
        second = await flows.submit(browser, request_id)
    assert _redirect_params(first)["code"]
    assert second.status_code == 400 and "location" not in second.headers


async def test_a_form_expires(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    clock: Any,
    oauth: OAuthServer,
) -> None:
    async with flows.browser() as browser:
        page = await browser.get(_query(web_app))
        clock.advance(oauth.settings.authorization_request_ttl_seconds + 1)
        answer = await flows.submit(browser, flows.request_id(page))
    assert answer.status_code == 400 and "expired" in answer.text


@pytest.mark.parametrize("request_id", ["", "unknown", "x" * 5000])
async def test_unknown_form_ids(flows: Flows, request_id: str) -> None:
    async with flows.browser() as browser:
        answer = await flows.submit(browser, request_id)
    assert answer.status_code == 400


async def test_native_app_loopback_redirect_on_any_port(
    flows: Flows,
    database: Any,
    passwords: Any,
    user: OAuthUser,
) -> None:
    native, _ = await create_client(
        database,
        "CLI",
        "me:read",
        redirect_uris=["http://127.0.0.1/callback"],
        public=True,
        passwords=passwords,
    )
    async with flows.browser() as browser:
        ok = await browser.get(_query(native, redirect_uri="http://127.0.0.1:53682/callback"))
        other_host = await browser.get(_query(native, redirect_uri="http://10.0.0.1:1/callback"))
        other_path = await browser.get(_query(native, redirect_uri="http://127.0.0.1:5/x"))
    assert ok.status_code == 200
    assert other_host.status_code == 400 and other_path.status_code == 400


async def test_redirect_uri_may_be_omitted_with_one_registered(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
) -> None:
    async with flows.browser() as browser:
        answer = await flows.sign_in(browser, _query(web_app, redirect_uri=None))
    code = _redirect_params(answer)["code"]
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"  # RFC 7636 appendix B
    token = await http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": verifier,
            "client_id": web_app.id,
        },
    )
    assert token.status_code == 200, token.text
