"""The OAuth2 endpoints: token, authorize, introspect, revoke, and the two well-known
documents (RFC 8414 metadata, JWKS)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, Response

from gateway.oauth.authorize import Authorizer
from gateway.oauth.clients import ensure_may_get_tokens, find_client
from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import Passwords
from gateway.oauth.errors import (
    NO_STORE,
    InvalidClientError,
    OAuth2Error,
    TooManyAttemptsError,
    UnauthorizedClientError,
    UnsupportedGrantTypeError,
    oauth_error_response,
)
from gateway.oauth.forms import Form, authenticate, client_credentials, read_form, required
from gateway.oauth.grants import Grants
from gateway.oauth.introspection import TokenInspector
from gateway.oauth.keys import KeyStore
from gateway.oauth.models import OAuthClient
from gateway.oauth.scopes import ScopeVocabulary
from gateway.oauth.throttle import FailureThrottle, Throttled, address_of
from gateway.oauth.tokens import IssuedTokens
from strata.db import Database
from strata.json_body import StrictJsonRoute

TOKEN_PATH = "/oauth/token"
AUTHORIZE_PATH = "/oauth/authorize"
INTROSPECT_PATH = "/oauth/introspect"
REVOKE_PATH = "/oauth/revoke"
METADATA_PATH = "/.well-known/oauth-authorization-server"
JWKS_PATH = "/.well-known/jwks.json"

_CONFIDENTIAL_AUTH = ["client_secret_basic", "client_secret_post"]
_FORM_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}},
    }
}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": 'RFC 6749 error: `{"error", "error_description"}`'},
    401: {"description": "invalid_client, with a `WWW-Authenticate: Basic` challenge"},
}


def authorization_server_metadata(
    settings: OAuthSettings,
    vocabulary: ScopeVocabulary,
) -> dict[str, Any]:
    base = settings.issuer
    return {
        "issuer": base,
        "authorization_endpoint": base + AUTHORIZE_PATH,
        "token_endpoint": base + TOKEN_PATH,
        "jwks_uri": base + JWKS_PATH,
        "introspection_endpoint": base + INTROSPECT_PATH,
        "revocation_endpoint": base + REVOKE_PATH,
        "scopes_supported": list(vocabulary),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
        "token_endpoint_auth_methods_supported": [*_CONFIDENTIAL_AUTH, "none"],
        "introspection_endpoint_auth_methods_supported": _CONFIDENTIAL_AUTH,
        "revocation_endpoint_auth_methods_supported": [*_CONFIDENTIAL_AUTH, "none"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": True,
    }


class OAuthEndpoints:
    """Client authentication and dispatch for the token, introspection and revocation
    endpoints; every failure becomes an RFC 6749 error response."""

    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        grants: Grants,
        inspector: TokenInspector,
        throttle: FailureThrottle,
    ) -> None:
        self._throttle = throttle
        self._database = database
        self._passwords = passwords
        self._inspector = inspector
        self._grants: dict[str, Callable[[OAuthClient, Form], Awaitable[IssuedTokens]]] = {
            "client_credentials": grants.client_credentials,
            "authorization_code": grants.authorization_code,
            "refresh_token": grants.refresh_token,
        }

    async def _client(self, request: Request, form: Form, *, allow_public: bool) -> OAuthClient:
        credentials = client_credentials(request, form)
        address = address_of(request)
        try:
            # Before the hash: a flood of wrong secrets costs no hashing.
            await self._throttle.check("client", credentials.client_id, address)
        except Throttled as refused:
            raise TooManyAttemptsError(refused.retry_after) from None
        async with self._database.session() as session:
            client = await find_client(session, credentials.client_id)
        try:
            return await authenticate(
                credentials, client, self._passwords, allow_public=allow_public
            )
        except InvalidClientError:
            await self._throttle.failed("client", credentials.client_id, address)
            raise

    async def token(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = await self._client(request, form, allow_public=True)
            grant_type = required(form, "grant_type")
            grant = self._grants.get(grant_type)
            if grant is None:
                raise UnsupportedGrantTypeError(_printable(grant_type))
            if grant_type not in client.grant_types:
                raise UnauthorizedClientError(
                    description=f"this client may not use the {grant_type} grant"
                )
            ensure_may_get_tokens(client)
            issued = await grant(client, form)
        except OAuth2Error as error:
            return oauth_error_response(error)
        return JSONResponse(issued.response(), headers=NO_STORE)

    async def introspect(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = await self._client(request, form, allow_public=False)
            token = required(form, "token")
        except OAuth2Error as error:
            return oauth_error_response(error)
        answer = await self._inspector.introspect(client, token, form.get("token_type_hint"))
        return JSONResponse(answer, headers=NO_STORE)

    async def revoke(self, request: Request) -> Response:
        try:
            form = await read_form(request)
            client = await self._client(request, form, allow_public=True)
            token = required(form, "token")
            await self._inspector.revoke(client, token, form.get("token_type_hint"))
        except OAuth2Error as error:
            return oauth_error_response(error)
        return Response(status_code=200, headers=NO_STORE)


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isprintable() and c not in '"\\')[:40]


def build_oauth_router(
    endpoints: OAuthEndpoints,
    authorizer: Authorizer,
    keys: KeyStore,
    settings: OAuthSettings,
    vocabulary: ScopeVocabulary,
) -> APIRouter:
    router = APIRouter(route_class=StrictJsonRoute, tags=["oauth"])

    @router.post(
        TOKEN_PATH,
        summary="Token endpoint (RFC 6749)",
        openapi_extra=_FORM_BODY,
        responses=_OAUTH_ERRORS,
    )
    async def token(request: Request) -> Response:
        return await endpoints.token(request)

    @router.get(
        AUTHORIZE_PATH,
        summary="Sign in and consent (authorization code with PKCE)",
        response_class=Response,
    )
    async def authorize(request: Request) -> Response:
        return await authorizer.start(request)

    @router.post(
        AUTHORIZE_PATH,
        summary="Submit the sign-in and consent form",
        response_class=Response,
        include_in_schema=False,
    )
    async def authorize_submit(request: Request) -> Response:
        return await authorizer.submit(request)

    @router.post(
        INTROSPECT_PATH,
        summary="Token introspection (RFC 7662)",
        openapi_extra=_FORM_BODY,
        responses=_OAUTH_ERRORS,
    )
    async def introspect(request: Request) -> Response:
        return await endpoints.introspect(request)

    @router.post(
        REVOKE_PATH,
        summary="Token revocation (RFC 7009)",
        openapi_extra=_FORM_BODY,
        responses=_OAUTH_ERRORS,
    )
    async def revoke(request: Request) -> Response:
        return await endpoints.revoke(request)

    @router.get(METADATA_PATH, summary="Authorization server metadata (RFC 8414)")
    async def metadata() -> JSONResponse:
        return JSONResponse(
            authorization_server_metadata(settings, vocabulary),
            headers={"Cache-Control": "public, max-age=3600"},
        )

    @router.get(JWKS_PATH, summary="Public keys that verify access tokens (JWKS)")
    async def jwks() -> JSONResponse:
        # Caches must not hold the set longer than a new key is published before it signs.
        max_age = min(settings.key_activation_delay_seconds, 300)
        return JSONResponse(
            {"keys": await keys.published()},
            headers={"Cache-Control": f"public, max-age={max_age}"},
        )

    return router
