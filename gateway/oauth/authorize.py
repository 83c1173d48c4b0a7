"""The authorization endpoint (RFC 6749 4.1) with PKCE S256 (RFC 7636) for public clients.

GET validates the request, stores it, and renders the sign-in and consent form; the form
carries only the stored request's one-time id, so nothing the client asked for can be changed
in the browser. The request is also bound to the browser that opened it: a random cookie
(HttpOnly, SameSite=Lax) whose digest is stored with it. A cross-site POST arrives without the
cookie and is refused, so the form is CSRF-safe. POST checks the password (a few attempts per
request), then redirects back with a one-time code, or with ``access_denied``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from authlib.common.urls import add_params_to_uri
from fastapi import Request
from sqlalchemy import update
from starlette.responses import RedirectResponse, Response

from gateway.oauth.audiences import Audiences, format_resources
from gateway.oauth.clients import ensure_may_get_tokens, find_client, redirect_uri_matches
from gateway.oauth.config import OAuthSettings
from gateway.oauth.consent import describe_consent
from gateway.oauth.crypto import Passwords, digest, new_token
from gateway.oauth.errors import (
    AccessDeniedError,
    InvalidRequestError,
    OAuth2Error,
    UnauthorizedClientError,
    UnsupportedResponseTypeError,
)
from gateway.oauth.forms import Form, read_form, unique_parameters
from gateway.oauth.grants import resolve_scopes, scopes_for_person
from gateway.oauth.models import (
    AuthorizationCode,
    AuthorizationRequest,
    OAuthClient,
    OAuthUser,
)
from gateway.oauth.pages import error_page, login_page
from gateway.oauth.scopes import ScopeVocabulary, format_scope, parse_scope
from gateway.oauth.throttle import FailureThrottle, Throttled, address_of
from gateway.oauth.tokens import TokenService
from gateway.oauth.users import authenticate_user
from strata.db import Database

BROWSER_COOKIE = "strata_oauth_browser"
CODE_CHALLENGE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_COOKIE_VALUE = re.compile(r"^[A-Za-z0-9_-]{43}$")
MAX_STATE_LENGTH = 1024


class _PageError(Exception):
    """An error shown to the user: the redirect URI cannot be trusted (or is not known)."""

    def __init__(self, title: str, message: str) -> None:
        super().__init__(message)
        self.title = title
        self.message = message


@dataclass(frozen=True)
class _Target:
    """Where errors go once the client and its redirect URI are known."""

    redirect_uri: str
    state: str | None


class Authorizer:
    def __init__(
        self,
        database: Database,
        settings: OAuthSettings,
        passwords: Passwords,
        vocabulary: ScopeVocabulary,
        tokens: TokenService,
        audiences: Audiences,
        throttle: FailureThrottle,
    ) -> None:
        self._throttle = throttle
        self._database = database
        self._settings = settings
        self._passwords = passwords
        self._vocabulary = vocabulary
        self._tokens = tokens
        self._audiences = audiences

    async def start(self, request: Request) -> Response:
        """GET: validate the authorization request and show the sign-in form."""
        try:
            params = unique_parameters(list(request.query_params.multi_items()))
        except OAuth2Error:
            return error_page("Invalid request", "A parameter is repeated in the request.")
        try:
            client, target, uri_given = await self._client_and_target(params)
        except _PageError as error:
            return error_page(error.title, error.message)
        try:
            scopes, challenge, resources = self._validate(client, params)
        except OAuth2Error as error:
            return self._redirect_error(target, error)
        browser = request.cookies.get(BROWSER_COOKIE, "")
        if not _COOKIE_VALUE.match(browser):
            browser = new_token(32)
        request_id = await self._store_request(
            client, target, uri_given, scopes, resources, challenge, browser
        )
        response = login_page(
            action=request.url.path,
            request_id=request_id,
            consent=await describe_consent(
                self._database, self._vocabulary, client, target.redirect_uri, scopes
            ),
        )
        self._set_browser_cookie(response, request.url.path, browser)
        return response

    async def _client_and_target(self, params: dict[str, str]) -> tuple[OAuthClient, _Target, bool]:
        client_id = params.get("client_id", "")
        async with self._database.session() as session:
            client = await find_client(session, client_id) if client_id else None
        if client is None:
            raise _PageError(
                "Unknown application",
                "The application that sent you here is not registered. Return to it and try again.",
            )
        if len(params.get("state") or "") > MAX_STATE_LENGTH:
            raise _PageError("Invalid request", "The application sent an oversized state.")
        given = params.get("redirect_uri")
        if given is None:
            if len(client.redirect_uris) != 1:
                raise _PageError(
                    "Invalid request", "The application did not say where to return (redirect_uri)."
                )
            return client, _Target(client.redirect_uris[0], params.get("state")), False
        if not any(redirect_uri_matches(uri, given) for uri in client.redirect_uris):
            raise _PageError(
                "Invalid request",
                "The application asked to return to an address it did not register.",
            )
        return client, _Target(given, params.get("state")), True

    def _validate(
        self, client: OAuthClient, params: Form
    ) -> tuple[tuple[str, ...], str, tuple[str, ...]]:
        """The scopes, the PKCE challenge, and the resources (RFC 8707) asked for."""
        if params.get("response_type") != "code":
            raise UnsupportedResponseTypeError(_printable(params.get("response_type", "")))
        if "authorization_code" not in client.grant_types:
            raise UnauthorizedClientError(
                description="this client may not use the authorization code grant"
            )
        ensure_may_get_tokens(client)
        challenge = params.get("code_challenge")
        if not challenge:
            raise InvalidRequestError(description="code_challenge is required (PKCE with S256)")
        if params.get("code_challenge_method") != "S256":
            raise InvalidRequestError(description="code_challenge_method must be S256")
        if not CODE_CHALLENGE.match(challenge):
            raise InvalidRequestError(description="code_challenge is malformed")
        scopes = resolve_scopes(params.get("scope"), client.scope_list, self._vocabulary)
        if not params.all("resource"):
            return scopes, challenge, ()
        # Narrowed now, so that the consent page shows only what the resources take.
        granted = self._audiences.fresh(scopes, params.all("resource"))
        return granted.scopes, challenge, granted.audience

    async def _store_request(
        self,
        client: OAuthClient,
        target: _Target,
        uri_given: bool,
        scopes: tuple[str, ...],
        resources: tuple[str, ...],
        challenge: str,
        browser: str,
    ) -> str:
        now = self._tokens.now()
        ttl = timedelta(seconds=self._settings.authorization_request_ttl_seconds)
        request_id = new_token(32)
        async with self._database.session() as session:
            session.add(
                AuthorizationRequest(
                    id=request_id,
                    client_id=client.id,
                    redirect_uri=target.redirect_uri,
                    redirect_uri_given=uri_given,
                    scope=format_scope(scopes),
                    resource=format_resources(resources),
                    state=target.state,
                    code_challenge=challenge,
                    browser_binding_hash=digest(browser),
                    failed_attempts=0,
                    created_at=now,
                    expires_at=now + ttl,
                )
            )
        return request_id

    def _set_browser_cookie(self, response: Response, path: str, value: str) -> None:
        response.set_cookie(
            BROWSER_COOKIE,
            value,
            max_age=self._settings.authorization_request_ttl_seconds,
            path=path,
            httponly=True,
            samesite="lax",
            secure=self._settings.issuer_is_secure,
        )

    async def submit(self, request: Request) -> Response:
        """POST: the user signed in (or denied); answer the client with a code or an error."""
        try:
            form = await read_form(request)
        except OAuth2Error:
            return error_page("Invalid request", "The sign-in form could not be read.")
        pending = await self._pending(form.get("request_id", ""), request)
        if isinstance(pending, Response):
            return pending
        target = _Target(pending.redirect_uri, pending.state)
        if form.get("decision") != "allow":
            if not await self._complete(pending.id):
                return _expired()
            return self._redirect_error(
                target, AccessDeniedError(description="the user denied the request")
            )
        return await self._sign_in(request, pending, target, form)

    async def _pending(self, request_id: str, request: Request) -> AuthorizationRequest | Response:
        async with self._database.session() as session:
            pending = await session.get(AuthorizationRequest, request_id) if request_id else None
            client = await find_client(session, pending.client_id) if pending else None
        if (
            pending is None
            or client is None
            or pending.completed_at is not None
            or pending.expires_at <= self._tokens.now()
        ):
            return _expired()
        browser = request.cookies.get(BROWSER_COOKIE, "")
        if not browser or digest(browser) != pending.browser_binding_hash:
            return error_page(
                "Sign-in refused",
                "This sign-in form was not opened in this "
                "browser. Return to the application and start again.",
                status=403,
            )
        return pending

    async def _sign_in(
        self,
        request: Request,
        pending: AuthorizationRequest,
        target: _Target,
        form: dict[str, str],
    ) -> Response:
        username = form.get("username", "")[:150]
        address = address_of(request)
        try:
            # Before the hash: a flood of wrong passwords costs no hashing.
            await self._throttle.check("password", username, address)
        except Throttled as refused:
            return await self._sign_in_again(
                request,
                pending,
                username,
                f"Too many failed sign-ins from here. Try again in {refused.retry_after} s.",
                status=429,
                headers={"Retry-After": str(refused.retry_after)},
            )
        async with self._database.session() as session:
            user = await authenticate_user(
                session, username, form.get("password", "")[:1024], self._passwords
            )
        if user is None:
            await self._throttle.failed("password", username, address)
            return await self._failed_attempt(request, pending, target, username)
        if not await self._complete(pending.id):
            return _expired()
        # Only now is the person known: the code carries what the client asked for AND
        # their roles entitle them to, so a customer never gets a back-office scope.
        try:
            scopes = scopes_for_person(user, parse_scope(pending.scope), self._vocabulary)
        except OAuth2Error as error:
            return self._redirect_error(target, error)
        code = await self._store_code(pending, user, scopes)
        return self._redirect(target, {"code": code})

    async def _store_code(
        self,
        pending: AuthorizationRequest,
        user: OAuthUser,
        scopes: tuple[str, ...],
    ) -> str:
        code = new_token(32)
        now = self._tokens.now()
        async with self._database.session() as session:
            session.add(
                AuthorizationCode(
                    code_hash=digest(code),
                    client_id=pending.client_id,
                    user_id=user.id,
                    redirect_uri=pending.redirect_uri,
                    redirect_uri_given=pending.redirect_uri_given,
                    scope=format_scope(scopes),
                    resource=pending.resource,
                    code_challenge=pending.code_challenge,
                    family_id=new_token(18),
                    created_at=now,
                    expires_at=now
                    + timedelta(seconds=self._settings.authorization_code_ttl_seconds),
                )
            )
        return code

    async def _failed_attempt(
        self,
        request: Request,
        pending: AuthorizationRequest,
        target: _Target,
        username: str,
    ) -> Response:
        limit = self._settings.login_max_attempts
        async with self._database.session() as session:
            counted = await session.execute(
                update(AuthorizationRequest)
                .where(
                    AuthorizationRequest.id == pending.id,
                    AuthorizationRequest.completed_at.is_(None),
                    AuthorizationRequest.failed_attempts < limit - 1,
                )
                .values(failed_attempts=AuthorizationRequest.failed_attempts + 1)
            )
        if not getattr(counted, "rowcount", 0):
            await self._complete(pending.id)
            return self._redirect_error(
                target, AccessDeniedError(description="too many failed sign-in attempts")
            )
        return await self._sign_in_again(request, pending, username, "Wrong username or password.")

    async def _sign_in_again(
        self,
        request: Request,
        pending: AuthorizationRequest,
        username: str,
        error: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response:
        """The same form once more (its request kept), saying what went wrong."""
        async with self._database.session() as session:
            client = await find_client(session, pending.client_id)
        if client is None:
            return _expired()
        page = login_page(
            action=request.url.path,
            request_id=pending.id,
            consent=await describe_consent(
                self._database,
                self._vocabulary,
                client,
                pending.redirect_uri,
                parse_scope(pending.scope),
            ),
            username=username,
            error=error,
            status=status,
        )
        page.headers.update(headers or {})
        return page

    async def _complete(self, request_id: str) -> bool:
        """Uses up the request; False when another submission already did."""
        async with self._database.session() as session:
            result = await session.execute(
                update(AuthorizationRequest)
                .where(
                    AuthorizationRequest.id == request_id,
                    AuthorizationRequest.completed_at.is_(None),
                )
                .values(completed_at=self._tokens.now())
            )
        return bool(getattr(result, "rowcount", 0))

    def _redirect_error(self, target: _Target, error: OAuth2Error) -> Response:
        params: dict[str, Any] = {"error": error.error}
        description = error.get_error_description()
        if description:
            params["error_description"] = description
        return self._redirect(target, params)

    def _redirect(self, target: _Target, params: dict[str, Any]) -> Response:
        if target.state is not None:
            params["state"] = target.state
        params["iss"] = self._settings.issuer  # RFC 9207: mix-up attack defence
        location = add_params_to_uri(target.redirect_uri, list(params.items()))
        return RedirectResponse(
            location,
            status_code=303,
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )


def _expired() -> Response:
    return error_page(
        "Sign-in expired",
        "This sign-in form has expired or was already used. "
        "Return to the application and start again.",
    )


def _printable(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isprintable() and c not in '"\\')[:40]
