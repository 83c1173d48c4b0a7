"""Bad input on the token endpoint: RFC 6749 errors, never a 500, never half-written data."""

from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from gateway.oauth import OAuthServer
from gateway.oauth.models import OAuthClient, OAuthUser
from tests.gateway.oauth.conftest import WEB

Flows = Any
Registered = Any


def _assert_error(answer: httpx.Response, status: int, error: str) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, Any] = answer.json()
    assert body["error"] == error and body.get("error_description")
    return body


async def _token(http: httpx.AsyncClient, data: dict[str, str], **kwargs: Any) -> httpx.Response:
    return await http.post("/oauth/token", data=data, **kwargs)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        (b'{"grant_type": "client_credentials"}', "application/json"),
        (b"grant_type=client_credentials&&&=x", "application/x-www-form-urlencoded"),
        (b"grant_type=\xff\xfe", "application/x-www-form-urlencoded"),
        (b"grant_type=a&grant_type=b", "application/x-www-form-urlencoded"),
        (b"a=" + b"x" * 20_000, "application/x-www-form-urlencoded"),
        (b"", "application/x-www-form-urlencoded"),
    ],
)
async def test_malformed_bodies(
    http: httpx.AsyncClient,
    partner: Registered,
    content: bytes,
    content_type: str,
) -> None:
    answer = await http.post(
        "/oauth/token",
        content=content,
        auth=(partner.id, partner.secret),
        headers={"Content-Type": content_type},
    )
    _assert_error(answer, 400, "invalid_request")


async def test_unknown_grant_type(http: httpx.AsyncClient, partner: Registered) -> None:
    answer = await _token(
        http,
        {"grant_type": "password", "username": "x", "password": "y"},
        auth=(partner.id, partner.secret),
    )
    _assert_error(answer, 400, "unsupported_grant_type")


async def test_wrong_secret(http: httpx.AsyncClient, partner: Registered) -> None:
    answer = await _token(
        http, {"grant_type": "client_credentials"}, auth=(partner.id, "not-the-secret")
    )
    _assert_error(answer, 401, "invalid_client")
    assert answer.headers["www-authenticate"].startswith('Basic realm="strata"')


async def test_wrong_secret_in_the_body(http: httpx.AsyncClient, partner: Registered) -> None:
    answer = await _token(
        http, {"grant_type": "client_credentials", "client_id": partner.id, "client_secret": "nope"}
    )
    _assert_error(answer, 401, "invalid_client")
    assert answer.headers["www-authenticate"].startswith("Basic ")


async def test_secret_in_the_body_works(http: httpx.AsyncClient, partner: Registered) -> None:
    answer = await _token(
        http,
        {
            "grant_type": "client_credentials",
            "client_id": partner.id,
            "client_secret": partner.secret,
        },
    )
    assert answer.status_code == 200 and answer.json()["token_type"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic !!!", "Basic " + "Og==", "Digest abc", "Basic"])
async def test_malformed_client_authentication(http: httpx.AsyncClient, header: str) -> None:
    answer = await _token(
        http, {"grant_type": "client_credentials"}, headers={"Authorization": header}
    )
    _assert_error(answer, 401, "invalid_client")


async def test_unknown_client_and_no_client(http: httpx.AsyncClient) -> None:
    unknown = await _token(http, {"grant_type": "client_credentials"}, auth=("c_nobody", "x"))
    _assert_error(unknown, 401, "invalid_client")
    anonymous = await _token(http, {"grant_type": "client_credentials"})
    _assert_error(anonymous, 401, "invalid_client")


async def test_two_authentication_methods_at_once(
    http: httpx.AsyncClient,
    partner: Registered,
) -> None:
    answer = await _token(
        http,
        {"grant_type": "client_credentials", "client_secret": partner.secret},
        auth=(partner.id, partner.secret),
    )
    _assert_error(answer, 400, "invalid_request")


async def test_public_client_may_not_use_client_credentials(
    http: httpx.AsyncClient,
    web_app: OAuthClient,
) -> None:
    answer = await _token(http, {"grant_type": "client_credentials", "client_id": web_app.id})
    _assert_error(answer, 400, "unauthorized_client")


async def test_confidential_client_without_redirect_may_not_use_codes(
    http: httpx.AsyncClient,
    partner: Registered,
) -> None:
    answer = await _token(
        http,
        {"grant_type": "authorization_code", "code": "x", "code_verifier": "v" * 43},
        auth=(partner.id, partner.secret),
    )
    _assert_error(answer, 400, "unauthorized_client")


async def test_unknown_scope(http: httpx.AsyncClient, partner: Registered) -> None:
    answer = await _token(
        http,
        {"grant_type": "client_credentials", "scope": "crm:read nope"},
        auth=(partner.id, partner.secret),
    )
    _assert_error(answer, 400, "invalid_scope")


def _exchange(code: str, verifier: str, client_id: str, **extra: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "code_verifier": verifier,
        "client_id": client_id,
        "redirect_uri": "https://app.example/callback",
        **extra,
    }


async def test_pkce_verifier_mismatch_does_not_burn_the_code(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
) -> None:
    code, verifier, _ = await flows.authorization_code(web_app)
    wrong = await _token(http, _exchange(code, "w" * 43, web_app.id))
    _assert_error(wrong, 400, "invalid_grant")
    right = await _token(http, _exchange(code, verifier, web_app.id))
    assert right.status_code == 200


@pytest.mark.parametrize("verifier", ["short", "x" * 129, "has spaces " * 5])
async def test_malformed_code_verifier(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    verifier: str,
) -> None:
    code, _, _ = await flows.authorization_code(web_app)
    _assert_error(await _token(http, _exchange(code, verifier, web_app.id)), 400, "invalid_request")


async def test_code_reuse_is_refused_and_revokes_what_it_issued(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    oauth: OAuthServer,
) -> None:
    code, verifier, _ = await flows.authorization_code(web_app)
    first = await _token(http, _exchange(code, verifier, web_app.id))
    assert first.status_code == 200
    tokens = first.json()
    await oauth.verifier.verify(f"Bearer {tokens['access_token']}", audience=WEB)

    again = await _token(http, _exchange(code, verifier, web_app.id))
    _assert_error(again, 400, "invalid_grant")

    with pytest.raises(Exception, match="revoked"):
        await oauth.verifier.verify(f"Bearer {tokens['access_token']}", audience=WEB)
    refresh = await _token(
        http,
        {
            "grant_type": "refresh_token",
            "client_id": web_app.id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    _assert_error(refresh, 400, "invalid_grant")


async def test_redirect_uri_mismatch(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
) -> None:
    code, verifier, _ = await flows.authorization_code(web_app)
    answer = await _token(
        http, _exchange(code, verifier, web_app.id, redirect_uri="https://app.example/other")
    )
    _assert_error(answer, 400, "invalid_grant")
    missing = _exchange(code, verifier, web_app.id)
    del missing["redirect_uri"]
    _assert_error(await _token(http, missing), 400, "invalid_grant")


async def test_code_expires(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    clock: Any,
    oauth: OAuthServer,
) -> None:
    code, verifier, _ = await flows.authorization_code(web_app)
    clock.advance(oauth.settings.authorization_code_ttl_seconds + 1)
    _assert_error(await _token(http, _exchange(code, verifier, web_app.id)), 400, "invalid_grant")


async def test_code_of_another_client(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    database: Any,
    passwords: Any,
) -> None:
    from gateway.oauth import create_client

    other, _ = await create_client(
        database,
        "Other app",
        "me:read",
        redirect_uris=["https://app.example/callback"],
        public=True,
        passwords=passwords,
    )
    code, verifier, _ = await flows.authorization_code(web_app)
    _assert_error(await _token(http, _exchange(code, verifier, other.id)), 400, "invalid_grant")
    assert (await _token(http, _exchange(code, verifier, web_app.id))).status_code == 200


async def test_unknown_code_and_refresh_token(
    http: httpx.AsyncClient,
    web_app: OAuthClient,
) -> None:
    _assert_error(
        await _token(http, _exchange("made-up", "v" * 43, web_app.id)), 400, "invalid_grant"
    )
    refresh = await _token(
        http, {"grant_type": "refresh_token", "client_id": web_app.id, "refresh_token": "made-up"}
    )
    _assert_error(refresh, 400, "invalid_grant")
    missing = await _token(http, {"grant_type": "refresh_token", "client_id": web_app.id})
    _assert_error(missing, 400, "invalid_request")


async def test_refresh_token_of_another_client(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    database: Any,
    passwords: Any,
) -> None:
    from gateway.oauth import create_client

    tokens = await flows.user_tokens(web_app)
    other, _ = await create_client(
        database,
        "Other app",
        "me:read",
        redirect_uris=["https://app.example/callback"],
        public=True,
        passwords=passwords,
    )
    stolen = await _token(
        http,
        {
            "grant_type": "refresh_token",
            "client_id": other.id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    _assert_error(stolen, 400, "invalid_grant")
    # The rightful client is unaffected.
    mine = await _token(
        http,
        {
            "grant_type": "refresh_token",
            "client_id": web_app.id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert mine.status_code == 200


async def test_refresh_token_expires(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    http: httpx.AsyncClient,
    clock: Any,
    oauth: OAuthServer,
) -> None:
    tokens = await flows.user_tokens(web_app)
    clock.advance(oauth.settings.refresh_token_ttl_seconds + 1)
    answer = await _token(
        http,
        {
            "grant_type": "refresh_token",
            "client_id": web_app.id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    body = _assert_error(answer, 400, "invalid_grant")
    assert "expired" in body["error_description"]


async def test_random_forms_never_cause_a_server_error(
    http: httpx.AsyncClient,
    partner: Registered,
    web_app: OAuthClient,
) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    names = st.sampled_from(
        [
            "grant_type",
            "code",
            "code_verifier",
            "refresh_token",
            "scope",
            "client_id",
            "client_secret",
            "redirect_uri",
            "token",
            "token_type_hint",
            "request_id",
            "username",
            "password",
            "x",
        ]
    )
    values = st.one_of(
        st.sampled_from(
            [
                "client_credentials",
                "authorization_code",
                "refresh_token",
                partner.id,
                web_app.id,
                "a" * 43,
            ]
        ),
        st.text(max_size=60),
    )
    bodies = st.one_of(
        st.lists(st.tuples(names, values), max_size=6).map(lambda pairs: urlencode(pairs).encode()),
        st.binary(max_size=80),
    )
    examples: list[bytes] = []

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(bodies)
    def collect(body: bytes) -> None:
        examples.append(body)

    collect()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for body in examples:
        for path in ("/oauth/token", "/oauth/introspect", "/oauth/revoke", "/oauth/authorize"):
            answer = await http.post(path, content=body, headers=headers)
            # 429 once this address's failed client authentications are spent (the throttle).
            assert answer.status_code in (200, 303, 400, 401, 403, 429), (path, body, answer.text)
