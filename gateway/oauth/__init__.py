"""The gateway's OAuth2 authorization server and the access token checks every layer uses.

Build it with the database and its settings, include its routers in the gateway app, start
it once the database is migrated::

    oauth = build_oauth(database, settings.oauth)       # -> OAuthServer
    app.include_router(oauth.router)                    # /oauth/*, /.well-known/*
    app.include_router(oauth.admin_router)              # /admin/clients (scope admin)
    app.include_router(oauth.users_admin_router)        # /admin/users (scope admin)
    await oauth.start()                                 # signing key, revocation poll
    ...
    await oauth.stop()

Endpoints (``oauth.router``):

- ``POST /oauth/token``: grants ``client_credentials`` (confidential clients),
  ``authorization_code`` with PKCE S256 (public web and mobile apps, no secret) and
  ``refresh_token`` (rotated at each use; a reused refresh token revokes its whole family).
  Client authentication: ``client_secret_basic``, ``client_secret_post``, or ``none`` with
  ``client_id`` for public clients. Errors are RFC 6749 JSON. Every grant, and the
  authorization endpoint, take RFC 8707 ``resource`` (repeatable): the APIs the token is for.
- ``GET|POST /oauth/authorize``: the sign-in and consent page (CSRF-safe form).
- ``POST /oauth/introspect`` (RFC 7662, confidential clients), ``POST /oauth/revoke``
  (RFC 7009).
- ``GET /.well-known/oauth-authorization-server`` (RFC 8414), ``GET /.well-known/jwks.json``.

Access tokens are RFC 9068 JWTs (``typ: at+jwt``; ``iss sub aud exp iat jti client_id scope
tier``, plus ``username`` and ``customer_id`` for a user) signed with RS256 by default (see
:class:`OAuthSettings`). ``aud`` names the APIs a token is for, each by its URL at the
gateway (RFC 8707 ``resource``, see :mod:`gateway.oauth.audiences`). Private keys are
stored AES-GCM encrypted under ``settings.secret_key`` (or a secret generated once into
``settings.secret_file``).
``await oauth.rotate_signing_key()`` starts a new key; the old one stays published until every
token it signed has expired.

Checking tokens, in any layer:

- ``oauth.verifier`` (in the gateway, keys and revocations straight from the database) or
  ``TokenVerifier.from_jwks_url(url, issuer=...)`` (a layer elsewhere).
- ``await verifier.verify(authorization_header, required_scopes=(), audience=api_url)
  -> Claims`` for pure ASGI code, or ``verifier.for_audience(api_url)`` for a check bound to
  one API; a token not issued for it is refused. It raises :class:`InvalidToken` (401) or
  :class:`InsufficientScope` (403), both problem+json :class:`~strata.errors.Problem`\\ s
  with the RFC 6750 ``WWW-Authenticate`` header (``error.response()`` gives a ready ASGI
  response).
- FastAPI: ``Depends(verifier.for_audience(api_url).require_scopes("crm:read"))``
  (``verifier.require_scopes(...)`` alone is for the gateway's own endpoints, whose audience
  is the issuer), or ``attach_verifier(app, v, audience=api_url)`` and
  ``Depends(require_scopes("crm:read"))``.

Clients and users: ``await create_client(session_or_db, name, scopes, tier="standard",
redirect_uris=(), public=False) -> (client, plain_secret)`` (the CLI and the admin API call
it) and ``await oauth.seed_demo_users(world)`` (customers ``dana``, ``eli``, ``fran``
linked to the first CRM customers, developer ``devi`` and operator ``otto``, passwords
``<name>-demo-password``; and the public clients ``strata-web``, ``strata-mobile``,
``strata-cli``, ``strata-portal`` and ``strata-docs`` for the API catalog's Swagger UI).
A person's token carries only the scopes their roles entitle them to
(:mod:`gateway.oauth.roles`); operators set roles with ``/admin/users`` or ``strata users``.
"""

from __future__ import annotations

from gateway.oauth.clients import InvalidClientRegistration, create_client
from gateway.oauth.config import OAuthSettings
from gateway.oauth.dependencies import attach_verifier, require_scopes
from gateway.oauth.errors import BearerError, InsufficientScope, InvalidToken
from gateway.oauth.scopes import BUILT_IN_SCOPES, ScopeVocabulary
from gateway.oauth.server import OAuthServer, build_oauth
from gateway.oauth.users import DEMO_USERS, seed_demo_users
from gateway.oauth.verifier import AudienceCheck, Claims, TokenVerifier, bearer_token

__all__ = [
    "BUILT_IN_SCOPES",
    "DEMO_USERS",
    "AudienceCheck",
    "BearerError",
    "Claims",
    "InsufficientScope",
    "InvalidClientRegistration",
    "InvalidToken",
    "OAuthServer",
    "OAuthSettings",
    "ScopeVocabulary",
    "TokenVerifier",
    "attach_verifier",
    "bearer_token",
    "build_oauth",
    "create_client",
    "require_scopes",
    "seed_demo_users",
]
