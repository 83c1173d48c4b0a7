"""Assembling the authorization server from its parts (see the package docstring)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog
from fastapi import APIRouter
from sqlalchemy import delete, func
from sqlalchemy.exc import SQLAlchemyError

from gateway.oauth.admin import build_admin_router
from gateway.oauth.admin_users import build_users_admin_router
from gateway.oauth.audiences import Audiences
from gateway.oauth.authorize import Authorizer
from gateway.oauth.clients import create_client
from gateway.oauth.clock import Clock, as_datetime, system_clock
from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import KeyCipher, Passwords, load_secret
from gateway.oauth.grants import Grants
from gateway.oauth.introspection import TokenInspector
from gateway.oauth.keys import KeyStore
from gateway.oauth.keysources import CachedKeySet
from gateway.oauth.models import (
    AccessToken,
    AuthorizationCode,
    AuthorizationRequest,
    OAuthClient,
    RefreshToken,
    TokenFamily,
)
from gateway.oauth.revocation import DatabaseRevocations, RevocationList
from gateway.oauth.router import OAuthEndpoints, build_oauth_router
from gateway.oauth.scopes import ScopeVocabulary
from gateway.oauth.throttle import FailureThrottle
from gateway.oauth.tokens import TokenService
from gateway.oauth.users import follow_issuer, grant_docs_scopes, seed_demo_users
from gateway.oauth.verifier import TokenVerifier
from strata.db import Database

if TYPE_CHECKING:
    from system_apis.demo import DemoWorld

log = structlog.get_logger(__name__)


class OAuthServer:
    """The gateway's authorization server and its token verifier, built by :func:`build_oauth`.

    ``router`` holds the OAuth2 and well-known endpoints, ``admin_router`` the client admin
    API, ``users_admin_router`` the people admin API; ``verifier`` checks access tokens on
    every request. ``start()`` (once the database is migrated) makes or rotates the signing
    key and starts the revocation poll; ``stop()`` ends the background work.
    """

    def __init__(
        self,
        database: Database,
        settings: OAuthSettings,
        *,
        clock: Clock = system_clock,
        vocabulary: ScopeVocabulary | None = None,
        throttle: FailureThrottle | None = None,
    ) -> None:
        self.database = database
        self.throttle = throttle or FailureThrottle.build(settings.throttle, None)
        self.settings = settings
        self.clock = clock
        self.vocabulary = vocabulary or ScopeVocabulary()
        self.passwords = Passwords.from_settings(settings)
        self.keys = KeyStore(database, settings, KeyCipher(load_secret(settings)), clock)
        self.revocations = RevocationList(
            DatabaseRevocations(database),
            clock,
            settings.revocation_poll_seconds,
        )
        self.key_set = CachedKeySet(
            self.keys.published,
            max_age=settings.key_max_age_seconds,
            min_refresh_interval=settings.key_min_refresh_seconds,
        )
        # Both RS256 and ES256 are accepted, each only with a key of its own kind: tokens signed
        # before a change of ``signing_alg`` stay valid until they expire.
        self.verifier = TokenVerifier(
            self.key_set,
            issuer=settings.issuer,
            leeway=settings.leeway_seconds,
            cache_size=settings.verified_token_cache_size,
            revocations=self.revocations,
            clock=clock,
        )
        self.tokens = TokenService(settings, self.keys, clock, self.revocations)
        self.audiences = Audiences(settings.issuer, self.vocabulary)
        grants = Grants(database, self.tokens, self.vocabulary, self.audiences)
        inspector = TokenInspector(database, self.verifier, self.tokens)
        endpoints = OAuthEndpoints(database, self.passwords, grants, inspector, self.throttle)
        authorizer = Authorizer(
            database,
            settings,
            self.passwords,
            self.vocabulary,
            self.tokens,
            self.audiences,
            self.throttle,
        )
        self.router: APIRouter = build_oauth_router(
            endpoints,
            authorizer,
            self.keys,
            settings,
            self.vocabulary,
        )
        self.admin_router: APIRouter = build_admin_router(
            database,
            self.verifier,
            self.passwords,
            self.vocabulary,
            self.tokens,
        )
        self.users_admin_router: APIRouter = build_users_admin_router(
            database, self.verifier, self.passwords, self.tokens
        )
        self._purge_task: asyncio.Task[None] | None = None

    @property
    def routers(self) -> Sequence[APIRouter]:
        return (self.router, self.admin_router, self.users_admin_router)

    async def start(self, *, background: bool = True) -> None:
        await self.keys.ensure_signing_key()
        moved = await follow_issuer(self.database, self.settings.issuer)
        if moved:
            log.info("redirect URIs follow the issuer", clients=moved, issuer=self.settings.issuer)
        if background:
            await self.revocations.start()
            if self._purge_task is None:
                self._purge_task = asyncio.create_task(self._purge_loop(), name="oauth-purge")
        else:
            await self.revocations.poll()

    async def stop(self) -> None:
        await self.revocations.stop()
        await self.throttle.aclose()
        if self._purge_task is not None:
            self._purge_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._purge_task
            self._purge_task = None

    async def rotate_signing_key(self, activation_delay_seconds: float | None = None) -> str:
        """A new key signs (after the configured delay); the old one stays in the JWKS until
        every token it signed has expired. Returns the new key's kid."""
        kid = await self.keys.rotate(activation_delay_seconds)
        self.key_set.invalidate()
        log.info("rotated the token signing key", kid=kid)
        return kid

    async def create_client(
        self,
        name: str,
        scopes: str | Iterable[str],
        tier: str = "standard",
        redirect_uris: Sequence[str] = (),
        public: bool = False,
    ) -> tuple[OAuthClient, str | None]:
        """:func:`gateway.oauth.clients.create_client` with this server's hashing and scopes."""
        return await create_client(
            self.database,
            name,
            scopes,
            tier,
            redirect_uris,
            public,
            passwords=self.passwords,
            vocabulary=self.vocabulary,
        )

    async def seed_demo_users(self, world: DemoWorld) -> int:
        return await seed_demo_users(
            self.database, world, self.passwords, self.vocabulary, base_url=self.settings.issuer
        )

    async def grant_docs_scopes(self, scopes: Iterable[str]) -> None:
        """The API docs' client may also ask for these (scopes of newly registered APIs)."""
        await grant_docs_scopes(self.database, scopes)

    async def purge_expired(self) -> int:
        """Deletes what can never be used again: expired forms, codes, tokens, token families
        with no live token left, and keys no verifier needs."""
        now = as_datetime(self.clock())
        # A family's last token was issued at its last rotation at the latest.
        family_dead_before = now - timedelta(
            seconds=self.settings.refresh_token_ttl_seconds + self.settings.access_token_ttl_seconds
        )
        removed = 0
        async with self.database.session() as session:
            for model in (AuthorizationRequest, AuthorizationCode, RefreshToken, AccessToken):
                result = await session.execute(delete(model).where(model.expires_at <= now))
                removed += _rowcount(result)
            last_used = func.coalesce(TokenFamily.rotated_at, TokenFamily.created_at)
            result = await session.execute(
                delete(TokenFamily).where(last_used < family_dead_before)
            )
            removed += _rowcount(result)
        return removed + await self.keys.purge()

    async def _purge_loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval_seconds)
            try:
                await self.purge_expired()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("purging expired OAuth records failed", error=str(exc))


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def build_oauth(
    database: Database,
    settings: OAuthSettings,
    *,
    clock: Clock = system_clock,
    vocabulary: ScopeVocabulary | None = None,
    redis_url: str | None = None,
) -> OAuthServer:
    """The authorization server; with ``redis_url`` its sign-in throttle is shared by every
    gateway process."""
    throttle = FailureThrottle.build(settings.throttle, redis_url)
    return OAuthServer(database, settings, clock=clock, vocabulary=vocabulary, throttle=throttle)
