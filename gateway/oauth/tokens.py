"""Issuing and revoking tokens.

Access tokens are JWTs in the RFC 9068 profile, signed by the current key, with a row each
(for revocation); their ``aud`` is the resources they are for (see
:mod:`gateway.oauth.audiences`), a string when there is one, as RFC 9068 allows. Refresh
tokens are opaque random strings stored as digests; each belongs to a family (one
authorization), which keeps the resources it was authorized for. Rotation uses a token once
and issues its successor in the same family; presenting a used one again revokes the whole
family, access tokens included.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc import jwt
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.audiences import format_resources
from gateway.oauth.clock import Clock, as_datetime
from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import digest, new_token
from gateway.oauth.keys import ActiveKey, KeyStore
from gateway.oauth.models import (
    AccessToken,
    OAuthClient,
    OAuthUser,
    RefreshToken,
    TokenFamily,
)
from gateway.oauth.revocation import RevocationList
from gateway.oauth.scopes import format_scope

RevokedIds = list[tuple[str, datetime]]


@dataclass(frozen=True)
class IssuedTokens:
    access_token: str
    expires_in: int
    scope: str
    refresh_token: str | None = None

    def response(self) -> dict[str, Any]:
        """The RFC 6749 section 5.1 token response."""
        body: dict[str, Any] = {
            "access_token": self.access_token,
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        }
        if self.refresh_token is not None:
            body["refresh_token"] = self.refresh_token
        return body


class TokenService:
    def __init__(
        self,
        settings: OAuthSettings,
        keys: KeyStore,
        clock: Clock,
        revocations: RevocationList | None = None,
    ) -> None:
        self._settings = settings
        self._keys = keys
        self._clock = clock
        self._revocations = revocations

    def now(self) -> datetime:
        return as_datetime(self._clock())

    async def signer(self) -> ActiveKey:
        """The key to sign with; fetch it before opening the transaction that issues (on
        SQLite a second transaction inside the first would wait for it forever)."""
        return await self._keys.signing_key()

    async def issue(
        self,
        session: AsyncSession,
        *,
        signer: ActiveKey,
        client: OAuthClient,
        scopes: Sequence[str],
        audience: Sequence[str],
        user: OAuthUser | None = None,
        family_id: str | None = None,
        with_refresh_token: bool = False,
    ) -> IssuedTokens:
        if not audience:
            raise ValueError("an access token is always for at least one resource")
        access_token = self._access_token(
            session, signer, client, scopes, audience, user, family_id
        )
        refresh = None
        if with_refresh_token:
            assert family_id is not None, "refresh tokens belong to a family"
            refresh = await self.refresh_token(session, family_id)
        return IssuedTokens(
            access_token,
            self._settings.access_token_ttl_seconds,
            format_scope(scopes),
            refresh,
        )

    def _access_token(
        self,
        session: AsyncSession,
        key: ActiveKey,
        client: OAuthClient,
        scopes: Sequence[str],
        audience: Sequence[str],
        user: OAuthUser | None,
        family_id: str | None,
    ) -> str:
        issued_at = int(self._clock())
        expires_at = issued_at + self._settings.access_token_ttl_seconds
        jti = new_token(18)
        claims: dict[str, Any] = {
            "iss": self._settings.issuer,
            "sub": user.id if user else client.id,
            "aud": audience[0] if len(audience) == 1 else list(audience),
            "exp": expires_at,
            "iat": issued_at,
            "jti": jti,
            "client_id": client.id,
            "scope": format_scope(scopes),
            "tier": client.tier,
        }
        if user is not None:
            claims["username"] = user.username
            if user.customer_id:
                claims["customer_id"] = user.customer_id
        header = {"alg": key.alg, "typ": "at+jwt", "kid": key.kid}
        token = jwt.encode(header, claims, key.key, algorithms=[key.alg])
        session.add(
            AccessToken(
                jti=jti,
                client_id=client.id,
                user_id=user.id if user else None,
                family_id=family_id,
                scope=format_scope(scopes),
                issued_at=as_datetime(issued_at),
                expires_at=as_datetime(expires_at),
            )
        )
        return token

    async def start_family(
        self,
        session: AsyncSession,
        family_id: str,
        client: OAuthClient,
        user: OAuthUser | None,
        scopes: Sequence[str],
        resources: Sequence[str] = (),
    ) -> None:
        """``resources``: those the authorization named (RFC 8707); none, by its scopes."""
        session.add(
            TokenFamily(
                id=family_id,
                client_id=client.id,
                user_id=user.id if user else None,
                scope=format_scope(scopes),
                resource=format_resources(resources),
                created_at=self.now(),
            )
        )
        await session.flush()

    async def refresh_token(self, session: AsyncSession, family_id: str) -> str:
        token = new_token(32)
        now = self.now()
        session.add(
            RefreshToken(
                token_hash=digest(token),
                family_id=family_id,
                issued_at=now,
                expires_at=now + timedelta(seconds=self._settings.refresh_token_ttl_seconds),
            )
        )
        return token

    async def lock_family_for_rotation(self, session: AsyncSession, family_id: str) -> bool:
        """Marks the family as rotating; False when it was revoked. Revocation updates the
        same row, so a rotation and a revocation of one family run one after the other."""
        result = await session.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
            .values(rotated_at=self.now())
        )
        return _rowcount(result) == 1

    async def revoke_family(self, session: AsyncSession, family_id: str, reason: str) -> RevokedIds:
        """Revokes a family: its refresh tokens and every access token issued in it."""
        now = self.now()
        await session.execute(
            update(TokenFamily)
            .where(TokenFamily.id == family_id, TokenFamily.revoked_at.is_(None))
            .values(revoked_at=now, revoked_reason=reason[:64])
        )
        await session.execute(
            update(RefreshToken)
            .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        return await self._revoke_access_tokens(session, AccessToken.family_id == family_id)

    async def revoke_access_token(self, session: AsyncSession, jti: str) -> RevokedIds:
        return await self._revoke_access_tokens(session, AccessToken.jti == jti)

    async def revoke_client(self, session: AsyncSession, client_id: str) -> RevokedIds:
        """Revokes everything a (deleted) client holds."""
        family_ids = (
            (
                await session.execute(
                    select(TokenFamily.id).where(
                        TokenFamily.client_id == client_id, TokenFamily.revoked_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        revoked: RevokedIds = []
        for family_id in family_ids:
            revoked += await self.revoke_family(session, family_id, "client deleted")
        revoked += await self._revoke_access_tokens(session, AccessToken.client_id == client_id)
        return revoked

    async def revoke_user(self, session: AsyncSession, user_id: str, reason: str) -> RevokedIds:
        """Revokes everything issued for a person, through any client: every refresh-token
        family and every access token, those outside a family included."""
        family_ids = (
            (
                await session.execute(
                    select(TokenFamily.id).where(
                        TokenFamily.user_id == user_id, TokenFamily.revoked_at.is_(None)
                    )
                )
            )
            .scalars()
            .all()
        )
        revoked: RevokedIds = []
        for family_id in family_ids:
            revoked += await self.revoke_family(session, family_id, reason)
        revoked += await self._revoke_access_tokens(session, AccessToken.user_id == user_id)
        return revoked

    async def _revoke_access_tokens(self, session: AsyncSession, condition: Any) -> RevokedIds:
        now = self.now()
        result = await session.execute(
            update(AccessToken)
            .where(condition, AccessToken.revoked_at.is_(None), AccessToken.expires_at > now)
            .values(revoked_at=now)
            .returning(AccessToken.jti, AccessToken.expires_at)
        )
        return [(jti, expires_at) for jti, expires_at in result.all()]

    def announce(self, revoked: RevokedIds) -> None:
        """Makes revocations effective in this process at once (after they are committed);
        other processes learn of them from their next poll."""
        if self._revocations is not None and revoked:
            self._revocations.add(revoked)


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
