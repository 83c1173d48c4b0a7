"""The grants, driven end to end with authlib's own OAuth2 client."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from authlib.integrations.base_client import OAuthError
from fastapi import FastAPI
from joserfc import jws

from gateway.oauth import OAuthServer
from gateway.oauth.models import OAuthClient, OAuthUser
from tests.gateway.oauth.conftest import CRM, WEB, Flows, Registered


def _header(token: str) -> dict[str, Any]:
    return dict(jws.extract_compact(token.encode()).headers())


async def test_client_credentials_token_is_an_rfc9068_jwt(
    flows: Flows,
    partner: Registered,
    oauth: OAuthServer,
) -> None:
    token = await flows.client_credentials(partner, scope="crm:read")

    assert token["token_type"].lower() == "bearer"
    assert token["scope"] == "crm:read"
    assert token["expires_in"] == oauth.settings.access_token_ttl_seconds
    assert "refresh_token" not in token
    header = _header(token["access_token"])
    assert header["typ"] == "at+jwt" and header["alg"] == "RS256" and header["kid"]
    claims = await oauth.verifier.verify(f"Bearer {token['access_token']}", audience=CRM)
    assert claims.subject == partner.id == claims.client_id
    assert claims.scopes == {"crm:read"}
    assert claims.audience == (CRM,) and claims.issuer == flows.issuer
    assert claims.raw["aud"] == CRM  # one audience: a string (RFC 9068)
    assert claims.tier == "premium" and claims.customer_id is None
    assert claims.expires_at - claims.issued_at == oauth.settings.access_token_ttl_seconds


async def test_client_credentials_without_scope_gets_every_granted_scope(
    flows: Flows,
    partner: Registered,
) -> None:
    token = await flows.client_credentials(partner)
    assert set(token["scope"].split()) == {"crm:read", "crm:write", "orders:read"}


async def test_the_token_opens_a_protected_route(
    flows: Flows,
    partner: Registered,
    http: httpx.AsyncClient,
) -> None:
    token = await flows.client_credentials(partner, scope="crm:read")
    answer = await http.get(
        "/crm/customers", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert answer.status_code == 200
    assert answer.json() == {"sub": partner.id, "scopes": ["crm:read"]}


async def test_a_scope_not_granted_is_refused(flows: Flows, partner: Registered) -> None:
    with pytest.raises(OAuthError) as refused:
        await flows.client_credentials(partner, scope="crm:read admin")
    assert refused.value.error == "invalid_scope"


async def test_authorization_code_with_pkce(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    oauth: OAuthServer,
    http: httpx.AsyncClient,
) -> None:
    token = await flows.user_tokens(web_app, scope="me:read me:write")

    assert token["refresh_token"]
    assert token["scope"] == "me:read me:write"
    claims = await oauth.verifier.verify(f"Bearer {token['access_token']}", audience=WEB)
    assert claims.subject == user.id and claims.client_id == web_app.id
    assert claims.customer_id == flows.customer_id and claims.is_user
    assert claims.raw["username"] == flows.username
    me = await http.get("/me", headers={"Authorization": f"Bearer {token['access_token']}"})
    assert me.json() == {"sub": user.id, "customer_id": flows.customer_id}


async def test_refresh_rotates_and_reuse_revokes_the_family(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    oauth: OAuthServer,
) -> None:
    first = await flows.user_tokens(web_app)
    async with flows.public_client(web_app) as session:
        second = dict(
            await session.refresh_token(flows.token_url, refresh_token=first["refresh_token"])
        )
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    await oauth.verifier.verify(f"Bearer {second['access_token']}", audience=WEB)

    async with flows.public_client(web_app) as session:
        with pytest.raises(OAuthError) as reused:
            await session.refresh_token(flows.token_url, refresh_token=first["refresh_token"])
    assert reused.value.error == "invalid_grant"

    # The whole family is gone: the successor refresh token and every access token.
    async with flows.public_client(web_app) as session:
        with pytest.raises(OAuthError) as successor:
            await session.refresh_token(flows.token_url, refresh_token=second["refresh_token"])
    assert successor.value.error == "invalid_grant"
    for token in (first, second):
        with pytest.raises(Exception, match="revoked"):
            await oauth.verifier.verify(f"Bearer {token['access_token']}", audience=WEB)


async def test_refresh_may_narrow_but_not_widen_the_scope(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    first = await flows.user_tokens(web_app, scope="me:read inventory:read")
    async with flows.public_client(web_app) as session:
        narrower = await session.refresh_token(
            flows.token_url,
            refresh_token=first["refresh_token"],
            scope="me:read",
        )
        assert narrower["scope"] == "me:read"
        with pytest.raises(OAuthError) as wider:
            await session.refresh_token(
                flows.token_url,
                refresh_token=narrower["refresh_token"],
                scope="me:read me:write",
            )
    assert wider.value.error == "invalid_scope"


async def test_introspect_an_active_token(
    flows: Flows,
    resource_server: Registered,
    web_app: OAuthClient,
    user: OAuthUser,
) -> None:
    user_token = await flows.user_tokens(web_app)
    async with flows.client(
        client_id=resource_server.id, client_secret=resource_server.secret
    ) as session:
        answer = await session.introspect_token(
            f"{flows.issuer}/oauth/introspect",
            token=user_token["access_token"],
        )
        refresh = await session.introspect_token(
            f"{flows.issuer}/oauth/introspect",
            token=user_token["refresh_token"],
            token_type_hint="refresh_token",
        )
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
    body = answer.json()
    assert body["active"] is True
    assert body["client_id"] == web_app.id and body["sub"] == user.id
    assert body["customer_id"] == flows.customer_id
    assert body["token_type"] == "Bearer" and body["iss"] == flows.issuer
    assert {"exp", "iat", "jti", "scope", "aud"} <= body.keys()
    assert refresh.json()["active"] is True
    assert refresh.json()["token_type"] == "refresh_token"


async def test_revoke_then_introspect_says_inactive(
    flows: Flows,
    partner: Registered,
    oauth: OAuthServer,
) -> None:
    token = await flows.client_credentials(partner)
    async with flows.client(client_id=partner.id, client_secret=partner.secret) as session:
        revoked = await session.revoke_token(
            f"{flows.issuer}/oauth/revoke", token=token["access_token"]
        )
        answer = await session.introspect_token(
            f"{flows.issuer}/oauth/introspect", token=token["access_token"]
        )
    assert revoked.status_code == 200
    assert answer.json() == {"active": False}
    with pytest.raises(Exception, match="revoked"):
        await oauth.verifier.verify(f"Bearer {token['access_token']}", audience=CRM)


async def test_revoking_a_refresh_token_ends_the_session(
    flows: Flows,
    web_app: OAuthClient,
    user: OAuthUser,
    resource_server: Registered,
) -> None:
    token = await flows.user_tokens(web_app)
    async with flows.public_client(web_app) as session:
        revoked = await session.revoke_token(
            f"{flows.issuer}/oauth/revoke",
            token=token["refresh_token"],
            token_type_hint="refresh_token",
        )
    assert revoked.status_code == 200
    # Asked by a resource server, which would see them were they active.
    async with flows.client(
        client_id=resource_server.id, client_secret=resource_server.secret
    ) as session:
        for value in (token["refresh_token"], token["access_token"]):
            answer = await session.introspect_token(f"{flows.issuer}/oauth/introspect", token=value)
            assert answer.json() == {"active": False}


async def test_revoking_an_unknown_token_is_not_an_error(
    flows: Flows,
    partner: Registered,
) -> None:
    async with flows.client(client_id=partner.id, client_secret=partner.secret) as session:
        answer = await session.revoke_token(f"{flows.issuer}/oauth/revoke", token="nonsense")
    assert answer.status_code == 200


async def test_another_clients_token_cannot_be_revoked(
    flows: Flows,
    partner: Registered,
    admin_client: Registered,
    http: httpx.AsyncClient,
) -> None:
    token = await flows.client_credentials(partner)
    async with flows.client(
        client_id=admin_client.id, client_secret=admin_client.secret
    ) as session:
        answer = await session.revoke_token(
            f"{flows.issuer}/oauth/revoke", token=token["access_token"]
        )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unauthorized_client"
    still = await http.get(
        "/crm/customers", headers={"Authorization": f"Bearer {token['access_token']}"}
    )
    assert still.status_code == 200


async def test_introspection_needs_a_confidential_client(
    flows: Flows,
    partner: Registered,
    web_app: OAuthClient,
    http: httpx.AsyncClient,
) -> None:
    token = await flows.client_credentials(partner)
    answer = await http.post(
        "/oauth/introspect",
        data={
            "token": token["access_token"],
            "client_id": web_app.id,
        },
    )
    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert answer.headers["www-authenticate"].startswith("Basic ")


async def test_server_metadata_and_jwks(http: httpx.AsyncClient, oauth: OAuthServer) -> None:
    from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

    metadata = (await http.get("/.well-known/oauth-authorization-server")).json()
    AuthorizationServerMetadata(metadata).validate()
    assert metadata["issuer"] == "https://strata.test"
    assert metadata["token_endpoint"] == "https://strata.test/oauth/token"
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert "crm:read" in metadata["scopes_supported"]
    jwks = (await http.get("/.well-known/jwks.json")).json()
    (key,) = jwks["keys"]
    assert key["kid"] == (await oauth.keys.signing_key()).kid
    assert key["kty"] == "RSA" and key["alg"] == "RS256" and key["use"] == "sig"
    assert "d" not in key and "p" not in key


async def test_openapi_document_builds(app: FastAPI) -> None:
    paths = app.openapi()["paths"]
    assert {"/oauth/token", "/oauth/revoke", "/admin/clients"} <= paths.keys()
