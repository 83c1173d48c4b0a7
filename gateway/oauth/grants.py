"""The token endpoint's grants: client credentials, authorization code with PKCE, and refresh
token with rotation and reuse detection (RFC 6749 4.1, 4.4, 6; RFC 7636; OAuth 2.0 Security
BCP 4.14), each taking RFC 8707 ``resource`` parameters (see :mod:`gateway.oauth.audiences`)."""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence

from authlib.oauth2.rfc7636 import create_s256_code_challenge
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.audiences import Audiences, parse_resources
from gateway.oauth.crypto import digest
from gateway.oauth.errors import (
    InvalidGrantError,
    InvalidRequestError,
    InvalidScopeError,
    OAuth2Error,
)
from gateway.oauth.forms import Form, required
from gateway.oauth.keys import ActiveKey
from gateway.oauth.models import (
    AuthorizationCode,
    OAuthClient,
    OAuthUser,
    RefreshToken,
    TokenFamily,
)
from gateway.oauth.roles import entitled_scopes
from gateway.oauth.scopes import ScopeVocabulary, parse_scope
from gateway.oauth.tokens import IssuedTokens, RevokedIds, TokenService
from strata.db import Database

CODE_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def resolve_scopes(
    requested: str | None,
    allowed: Sequence[str],
    vocabulary: ScopeVocabulary,
) -> tuple[str, ...]:
    """The scopes to grant: those asked for, each known and allowed; all allowed if none."""
    if requested is None or not requested.strip():
        scopes = tuple(scope for scope in allowed if scope in vocabulary)
    else:
        scopes = parse_scope(requested)
        refused = [scope for scope in scopes if scope not in vocabulary or scope not in allowed]
        if refused:
            raise InvalidScopeError(
                description=f"scope not granted to this client: {_ascii(' '.join(refused))}"
            )
    if not scopes:
        raise InvalidScopeError(description="no scope could be granted")
    return scopes


def scopes_for_person(
    user: OAuthUser,
    scopes: Sequence[str],
    vocabulary: ScopeVocabulary,
) -> tuple[str, ...]:
    """``scopes`` (what the client may ask for) narrowed to those the person's current roles
    entitle them to; the token response then says what was granted (RFC 6749 3.3)."""
    granted = entitled_scopes(
        user.role_list, scopes, vocabulary, customer_link=user.customer_id is not None
    )
    if not granted:
        roles = " ".join(user.role_list) or "no role"
        raise InvalidScopeError(
            description=f"this account ({roles}) is not entitled to any scope asked for: "
            + _ascii(" ".join(scopes))
        )
    return granted


def _ascii(text: str) -> str:
    cleaned = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "?" for c in text
    )
    return cleaned[:200]


class Grants:
    def __init__(
        self,
        database: Database,
        tokens: TokenService,
        vocabulary: ScopeVocabulary,
        audiences: Audiences,
    ) -> None:
        self._database = database
        self._tokens = tokens
        self._vocabulary = vocabulary
        self._audiences = audiences

    async def client_credentials(self, client: OAuthClient, form: Form) -> IssuedTokens:
        scopes = resolve_scopes(form.get("scope"), client.scope_list, self._vocabulary)
        granted = self._audiences.fresh(scopes, form.all("resource"))
        signer = await self._tokens.signer()
        async with self._database.session() as session:
            return await self._tokens.issue(
                session,
                signer=signer,
                client=client,
                scopes=granted.scopes,
                audience=granted.audience,
            )

    async def authorization_code(self, client: OAuthClient, form: Form) -> IssuedTokens:
        code = required(form, "code")
        verifier = required(form, "code_verifier")
        if not CODE_VERIFIER.match(verifier):
            raise InvalidRequestError(
                description="code_verifier must be 43 to 128 characters of A-Z a-z 0-9 - . _ ~"
            )
        signer = await self._tokens.signer()
        async with self._database.session() as session:
            outcome = await self._exchange_code(session, signer, client, code, verifier, form)
        return self._finish(outcome)

    async def _exchange_code(
        self,
        session: AsyncSession,
        signer: ActiveKey,
        client: OAuthClient,
        code: str,
        verifier: str,
        form: Form,
    ) -> IssuedTokens | tuple[OAuth2Error, RevokedIds]:
        row = await session.get(AuthorizationCode, digest(code))
        if row is None or row.client_id != client.id:
            raise InvalidGrantError(description="the authorization code is not valid")
        if row.used_at is not None:
            return await self._replayed_code(session, row)
        if row.expires_at <= self._tokens.now():
            raise InvalidGrantError(description="the authorization code has expired")
        _check_redirect_uri(row, form.get("redirect_uri"))
        expected = create_s256_code_challenge(verifier)
        if not hmac.compare_digest(expected.encode(), row.code_challenge.encode()):
            raise InvalidGrantError(description="the code_verifier does not match the challenge")
        consumed = await session.execute(
            update(AuthorizationCode)
            .where(
                AuthorizationCode.code_hash == row.code_hash, AuthorizationCode.used_at.is_(None)
            )
            .values(used_at=self._tokens.now())
        )
        if not getattr(consumed, "rowcount", 0):
            # Another request redeemed it a moment ago: one of the two is a replay.
            return await self._replayed_code(session, row)
        user = await session.get(OAuthUser, row.user_id)
        if user is None:
            raise InvalidGrantError(description="the user no longer exists")
        # Narrowed at sign-in already; again here, as a role may have gone since.
        scopes = scopes_for_person(user, parse_scope(row.scope), self._vocabulary)
        # The family keeps the whole authorization; this token may be for part of it.
        authorized = parse_resources(row.resource)
        granted = self._audiences.continued(
            scopes, form.all("resource"), authorized=authorized, authorized_scopes=scopes
        )
        await self._tokens.start_family(session, row.family_id, client, user, scopes, authorized)
        return await self._tokens.issue(
            session,
            signer=signer,
            client=client,
            scopes=granted.scopes,
            audience=granted.audience,
            user=user,
            family_id=row.family_id,
            with_refresh_token=True,
        )

    async def _replayed_code(
        self,
        session: AsyncSession,
        row: AuthorizationCode,
    ) -> tuple[OAuth2Error, RevokedIds]:
        # RFC 6749 4.1.2: a code used twice revokes what was issued from it.
        revoked = await self._tokens.revoke_family(session, row.family_id, "code replayed")
        error = InvalidGrantError(
            description="the authorization code was already used; tokens issued from it are revoked"
        )
        return error, revoked

    async def refresh_token(self, client: OAuthClient, form: Form) -> IssuedTokens:
        token = required(form, "refresh_token")
        signer = await self._tokens.signer()
        async with self._database.session() as session:
            outcome = await self._rotate(session, signer, client, token, form)
        return self._finish(outcome)

    async def _rotate(
        self,
        session: AsyncSession,
        signer: ActiveKey,
        client: OAuthClient,
        token: str,
        form: Form,
    ) -> IssuedTokens | tuple[OAuth2Error, RevokedIds]:
        row = await session.get(RefreshToken, digest(token))
        family = await session.get(TokenFamily, row.family_id) if row else None
        if row is None or family is None or family.client_id != client.id:
            raise InvalidGrantError(description="the refresh token is not valid")
        now = self._tokens.now()
        used = await session.execute(
            update(RefreshToken)
            .where(
                RefreshToken.token_hash == row.token_hash,
                RefreshToken.used_at.is_(None),
                RefreshToken.revoked_at.is_(None),
                RefreshToken.expires_at > now,
            )
            .values(used_at=now)
        )
        if not getattr(used, "rowcount", 0):
            return await self._refused_refresh(session, row, family)
        if not await self._tokens.lock_family_for_rotation(session, family.id):
            raise InvalidGrantError(description="the refresh token was revoked")
        user = await session.get(OAuthUser, family.user_id) if family.user_id else None
        if family.user_id and user is None:
            raise InvalidGrantError(description="the user no longer exists")
        scopes = resolve_scopes(form.get("scope"), parse_scope(family.scope), self._vocabulary)
        if user is not None:
            # The person's roles now decide, not those they held at sign-in.
            scopes = scopes_for_person(user, scopes, self._vocabulary)
        granted = self._audiences.continued(
            scopes,
            form.all("resource"),
            authorized=parse_resources(family.resource),
            authorized_scopes=parse_scope(family.scope),
        )
        return await self._tokens.issue(
            session,
            signer=signer,
            client=client,
            scopes=granted.scopes,
            audience=granted.audience,
            user=user,
            family_id=family.id,
            with_refresh_token=True,
        )

    async def _refused_refresh(
        self,
        session: AsyncSession,
        row: RefreshToken,
        family: TokenFamily,
    ) -> tuple[OAuth2Error, RevokedIds]:
        await session.refresh(row)
        if row.used_at is not None and row.revoked_at is None:
            # A rotated-out token came back: it was stolen, or the client is confused.
            # Either way no token of this family can be trusted any more.
            revoked = await self._tokens.revoke_family(session, family.id, "refresh reused")
            return InvalidGrantError(
                description="the refresh token was already used; the session is revoked"
            ), revoked
        if row.revoked_at is not None:
            return InvalidGrantError(description="the refresh token was revoked"), []
        return InvalidGrantError(description="the refresh token has expired"), []

    def _finish(self, outcome: IssuedTokens | tuple[OAuth2Error, RevokedIds]) -> IssuedTokens:
        """Called after the transaction committed: a refusal that revoked tokens keeps the
        revocation and answers the error."""
        if isinstance(outcome, IssuedTokens):
            return outcome
        error, revoked = outcome
        self._tokens.announce(revoked)
        raise error


def _check_redirect_uri(row: AuthorizationCode, given: str | None) -> None:
    # RFC 6749 4.1.3: required, and identical, when the authorization request carried it.
    if given is None and not row.redirect_uri_given:
        return
    if given != row.redirect_uri:
        raise InvalidGrantError(description="redirect_uri does not match the authorization request")
