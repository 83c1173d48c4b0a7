"""Token introspection (RFC 7662) and revocation (RFC 7009).

A client introspects only the tokens issued to itself, unless it is a resource server
registered with ``tokens:introspect`` (RFC 7662 section 4: the server decides which
clients may learn about which tokens). Any other token answers ``{"active": false}``,
exactly as an unknown one does, so a client learns nothing of other clients' tokens.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.clients import may_introspect_any_token
from gateway.oauth.crypto import digest
from gateway.oauth.errors import InvalidToken, UnauthorizedClientError
from gateway.oauth.models import AccessToken, OAuthClient, OAuthUser, RefreshToken, TokenFamily
from gateway.oauth.tokens import TokenService
from gateway.oauth.verifier import Claims, TokenVerifier
from strata.db import Database

INACTIVE: dict[str, Any] = {"active": False}


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


class TokenInspector:
    def __init__(self, database: Database, verifier: TokenVerifier, tokens: TokenService):
        self._database = database
        self._verifier = verifier
        self._tokens = tokens

    async def introspect(self, client: OAuthClient, token: str, hint: str | None) -> dict[str, Any]:
        """What the token is, if it is active now and ``client`` may know; ``{"active":
        false}`` for anything else. The database is asked, not the revocation cache: this
        answer is authoritative."""
        order = [self._access, self._refresh]
        if hint == "refresh_token":
            order.reverse()
        for inspect in order:
            found = await inspect(token)
            if found is not None:
                issued_to, answer = found
                return answer if _may_see(client, issued_to) else INACTIVE
        return INACTIVE

    async def _access(self, token: str) -> tuple[str, dict[str, Any]] | None:
        if not _looks_like_jwt(token):
            return None
        try:
            claims = await self._verifier.decode(token)
        except InvalidToken:
            return None
        async with self._database.session() as session:
            row = await session.get(AccessToken, claims.jti)
        if row is None or row.revoked_at is not None:
            return claims.client_id, INACTIVE
        body: dict[str, Any] = dict(claims.raw)
        body.update(active=True, token_type="Bearer")
        return row.client_id, body

    async def _refresh(self, token: str) -> tuple[str, dict[str, Any]] | None:
        async with self._database.session() as session:
            found = await self._refresh_row(session, token)
            if found is None:
                return None
            row, family = found
            user = await session.get(OAuthUser, family.user_id) if family.user_id else None
        now = self._tokens.now()
        if row.used_at or row.revoked_at or family.revoked_at or row.expires_at <= now:
            return family.client_id, INACTIVE
        body: dict[str, Any] = {
            "active": True,
            "token_type": "refresh_token",
            "client_id": family.client_id,
            "scope": family.scope,
            "exp": int(row.expires_at.timestamp()),
            "iat": int(row.issued_at.timestamp()),
            "sub": user.id if user else family.client_id,
        }
        if user is not None:
            body["username"] = user.username
        return family.client_id, body

    async def _refresh_row(
        self,
        session: AsyncSession,
        token: str,
    ) -> tuple[RefreshToken, TokenFamily] | None:
        row = await session.get(RefreshToken, digest(token))
        family = await session.get(TokenFamily, row.family_id) if row else None
        if row is None or family is None:
            return None
        return row, family

    async def revoke(self, client: OAuthClient, token: str, hint: str | None) -> None:
        """Revokes the token if it is one of the client's. A token that is not valid is not
        an error (RFC 7009 2.2); one issued to another client is refused."""
        order = [self._revoke_access, self._revoke_refresh]
        if hint == "refresh_token":
            order.reverse()
        for revoke in order:
            if await revoke(client, token):
                return

    async def _revoke_access(self, client: OAuthClient, token: str) -> bool:
        if not _looks_like_jwt(token):
            return False
        try:
            claims: Claims = await self._verifier.decode(token, check_expiry=False)
        except InvalidToken:
            return False
        _must_belong(client, claims.client_id)
        async with self._database.session() as session:
            revoked = await self._tokens.revoke_access_token(session, claims.jti)
        self._tokens.announce(revoked)
        return True

    async def _revoke_refresh(self, client: OAuthClient, token: str) -> bool:
        async with self._database.session() as session:
            found = await self._refresh_row(session, token)
            if found is None:
                return False
            _must_belong(client, found[1].client_id)
            # RFC 7009 2.1: revoking a refresh token also revokes the access tokens of the
            # same grant.
            revoked = await self._tokens.revoke_family(session, found[1].id, "revoked by client")
        self._tokens.announce(revoked)
        return True


def _may_see(client: OAuthClient, issued_to: str) -> bool:
    return issued_to == client.id or may_introspect_any_token(client)


def _must_belong(client: OAuthClient, owner: str) -> None:
    if owner != client.id:
        raise UnauthorizedClientError(description="the token was issued to another client")
