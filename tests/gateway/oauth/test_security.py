"""Token checks refuse everything that is not a live access token of ours (RFC 6750 errors)."""

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import RSAKey

from gateway.oauth import InsufficientScope, InvalidToken, OAuthServer
from tests.gateway.oauth.conftest import CRM, ORDERS, WEB, Flows, Registered


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())


def _claims(oauth: OAuthServer, **overrides: Any) -> dict[str, Any]:
    now = int(oauth.clock())
    claims = {
        "iss": oauth.settings.issuer,
        "sub": "c_forged",
        "aud": CRM,
        "exp": now + 300,
        "iat": now,
        "jti": "forged-jti",
        "client_id": "c_forged",
        "scope": "crm:read admin",
    }
    claims.update(overrides)
    return claims


async def _signed(oauth: OAuthServer, header: dict[str, Any] | None = None, **claims: Any) -> str:
    key = await oauth.keys.signing_key()
    jose_header = {"alg": "RS256", "typ": "at+jwt", "kid": key.kid, **(header or {})}
    return jwt.encode(jose_header, _claims(oauth, **claims), key.key, algorithms=["RS256"])


async def _call(http: httpx.AsyncClient, token: str | None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return await http.get("/crm/customers", headers=headers)


def _assert_invalid_token(answer: httpx.Response, description_part: str) -> None:
    assert answer.status_code == 401, answer.text
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="strata", error="invalid_token"')
    assert description_part in challenge
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["status"] == 401 and description_part in answer.json()["detail"]


async def test_a_genuine_token_passes(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    answer = await _call(http, await _signed(oauth))
    assert answer.status_code == 200


async def test_missing_token_gets_a_bare_challenge(http: httpx.AsyncClient) -> None:
    answer = await _call(http, None)
    assert answer.status_code == 401
    # RFC 6750 3.1: no error code when the request carried no credentials at all.
    assert answer.headers["www-authenticate"] == 'Bearer realm="strata"'
    assert answer.json()["type"].endswith("/invalid-token")


async def test_other_schemes_and_garbage_are_refused(http: httpx.AsyncClient) -> None:
    basic = await http.get("/crm/customers", headers={"Authorization": "Basic dXNlcjpwdw=="})
    assert basic.status_code == 401
    assert basic.headers["www-authenticate"] == 'Bearer realm="strata"'
    for garbage in ("not-a-jwt", "a.b.c", "a b", "é.é.é", "x" * 9000):
        header = f"Bearer {garbage}".encode("latin-1")
        answer = await http.get("/crm/customers", headers={b"Authorization": header})
        assert answer.status_code == 401, garbage
        assert 'error="invalid_token"' in answer.headers["www-authenticate"]


async def test_alg_none_is_refused(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    key = await oauth.keys.signing_key()
    token = _segments({"alg": "none", "typ": "at+jwt", "kid": key.kid}, _claims(oauth)) + "."
    _assert_invalid_token(await _call(http, token), "are not accepted")


async def test_hs256_signed_with_the_public_key_is_refused(
    oauth: OAuthServer,
    http: httpx.AsyncClient,
) -> None:
    key = await oauth.keys.signing_key()
    public_pem = key.key.as_pem(private=False)
    signing_input = _segments({"alg": "HS256", "typ": "at+jwt", "kid": key.kid}, _claims(oauth))
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    _assert_invalid_token(await _call(http, f"{signing_input}.{_b64(mac)}"), "are not accepted")


async def test_wrong_audience(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    # The scopes would do: the audience alone decides.
    for aud in ("some-other-api", ORDERS, [ORDERS, WEB], oauth.settings.issuer):
        token = await _signed(oauth, aud=aud)
        _assert_invalid_token(await _call(http, token), "another audience")
    assert (await _call(http, await _signed(oauth, aud=[ORDERS, CRM]))).status_code == 200


async def test_malformed_audience(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    for aud in (42, [], [""], [CRM, 7], {"crm": CRM}, ""):
        token = await _signed(oauth, aud=aud)
        answer = await _call(http, token)
        assert answer.status_code == 401, (aud, answer.text)
        assert "aud claim" in answer.headers["www-authenticate"]


async def test_wrong_issuer(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    token = await _signed(oauth, iss="https://evil.example")
    _assert_invalid_token(await _call(http, token), "another issuer")


async def test_wrong_token_type(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    token = await _signed(oauth, header={"typ": "JWT"})
    _assert_invalid_token(await _call(http, token), "typ must be at+jwt")


async def test_missing_required_claim(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    token = await _signed(oauth, client_id=None)
    _assert_invalid_token(await _call(http, token), "client_id claim")


async def test_expired_token_even_when_cached(
    flows: Flows,
    partner: Registered,
    oauth: OAuthServer,
    http: httpx.AsyncClient,
    clock: Any,
) -> None:
    token = (await flows.client_credentials(partner, scope="crm:read"))["access_token"]
    assert (await _call(http, token)).status_code == 200  # now cached
    clock.advance(oauth.settings.access_token_ttl_seconds + oauth.settings.leeway_seconds - 5)
    assert (await _call(http, token)).status_code == 200  # inside the leeway
    clock.advance(10)
    _assert_invalid_token(await _call(http, token), "expired")


async def test_token_from_an_unknown_key(oauth: OAuthServer, http: httpx.AsyncClient) -> None:
    rogue = RSAKey.generate_key(2048, parameters={"kid": "rogue-key", "alg": "RS256"})
    token = jwt.encode(
        {"alg": "RS256", "typ": "at+jwt", "kid": "rogue-key"},
        _claims(oauth),
        rogue,
        algorithms=["RS256"],
    )
    _assert_invalid_token(await _call(http, token), "unknown key")


async def test_token_signed_by_another_key_under_our_kid(
    oauth: OAuthServer,
    http: httpx.AsyncClient,
) -> None:
    key = await oauth.keys.signing_key()
    rogue = RSAKey.generate_key(2048)
    token = jwt.encode(
        {"alg": "RS256", "typ": "at+jwt", "kid": key.kid},
        _claims(oauth),
        rogue,
        algorithms=["RS256"],
    )
    _assert_invalid_token(await _call(http, token), "signature is invalid")


async def test_tampered_payload(
    flows: Flows,
    partner: Registered,
    http: httpx.AsyncClient,
) -> None:
    token = (await flows.client_credentials(partner, scope="crm:read"))["access_token"]
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["scope"] = "crm:read admin"
    forged = f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"
    _assert_invalid_token(await _call(http, forged), "signature is invalid")


async def test_revoked_token_even_when_cached(
    flows: Flows,
    partner: Registered,
    http: httpx.AsyncClient,
) -> None:
    token = (await flows.client_credentials(partner, scope="crm:read"))["access_token"]
    assert (await _call(http, token)).status_code == 200
    revoke = await http.post(
        "/oauth/revoke", data={"token": token}, auth=(partner.id, partner.secret)
    )
    assert revoke.status_code == 200
    _assert_invalid_token(await _call(http, token), "revoked")


async def test_missing_scope_is_403(
    flows: Flows,
    partner: Registered,
    http: httpx.AsyncClient,
) -> None:
    token = (await flows.client_credentials(partner, scope="crm:write"))["access_token"]
    answer = await _call(http, token)
    assert answer.status_code == 403
    challenge = answer.headers["www-authenticate"]
    assert challenge.startswith('Bearer realm="strata", error="insufficient_scope"')
    assert 'scope="crm:read"' in challenge
    assert answer.json()["type"].endswith("/insufficient-scope")


async def test_verify_raises_typed_errors_for_asgi_code(
    oauth: OAuthServer,
    flows: Flows,
    partner: Registered,
) -> None:
    token = (await flows.client_credentials(partner, scope="orders:read"))["access_token"]
    claims = await oauth.verifier.verify(f"bearer {token}", audience=ORDERS)
    assert claims.scopes == {"orders:read"}
    with pytest.raises(InsufficientScope) as denied:
        await oauth.verifier.verify(
            f"Bearer {token}", ["orders:read", "crm:write"], audience=ORDERS
        )
    assert denied.value.status == 403
    assert 'scope="orders:read crm:write"' in denied.value.www_authenticate
    assert denied.value.response().status_code == 403
    with pytest.raises(InvalidToken) as elsewhere:
        await oauth.verifier.verify(f"Bearer {token}", ["orders:read"], audience=CRM)
    assert "another audience" in elsewhere.value.www_authenticate
    with pytest.raises(InvalidToken) as missing:
        await oauth.verifier.verify(None, audience=ORDERS)
    assert missing.value.error is None and missing.value.status == 401


async def test_cache_is_bounded_and_counts_hits(
    oauth: OAuthServer,
    flows: Flows,
    partner: Registered,
) -> None:
    from gateway.oauth.verifier import TokenVerifier

    verifier = TokenVerifier(
        oauth.key_set,
        issuer=oauth.settings.issuer,
        cache_size=2,
        clock=oauth.clock,
    )
    tokens = [(await flows.client_credentials(partner))["access_token"] for _ in range(3)]
    for token in tokens:
        await verifier.verify_token(token, audience=CRM)
    await verifier.verify_token(tokens[2], audience=ORDERS)  # one entry serves every API
    assert verifier.cache_misses == 3 and verifier.cache_hits == 1
    await verifier.verify_token(tokens[0], audience=CRM)  # evicted, so verified again
    assert verifier.cache_misses == 4


async def test_arbitrary_garbage_never_escapes_as_another_error(oauth: OAuthServer) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    key = await oauth.keys.signing_key()
    header = _b64(json.dumps({"alg": "RS256", "typ": "at+jwt", "kid": key.kid}).encode())
    await oauth.verifier.keys.get(key.kid)  # keys loaded once, outside the examples
    segment = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), max_size=80)
    outcomes: list[str] = []

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        st.one_of(
            st.builds(lambda p, s: f"{header}.{p}.{s}", segment, segment), st.text(max_size=120)
        )
    )
    def examples(token: str) -> None:
        outcomes.append(token)

    examples()
    for token in outcomes:
        with pytest.raises(InvalidToken):
            await oauth.verifier.verify_token(token, audience=CRM)
