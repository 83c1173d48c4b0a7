"""The portal's work: a signed-in developer's own client apps, made through the same
``create_client`` as the admin API, owned by the developer, on the free tier.

A developer hands out only what their role may (:func:`gateway.oauth.roles.developer_may_grant`);
an app asking for scopes that reach back-office data starts ``pending`` and gets no token
until an operator approves it (``strata clients approve`` or the admin API).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.clients import (
    ACTIVE,
    PENDING,
    InvalidClientRegistration,
    approval_scopes,
    create_client,
    mark_deleted,
)
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from gateway.oauth.roles import developer_may_grant
from gateway.oauth.scopes import ScopeVocabulary, parse_scope
from gateway.oauth.server import OAuthServer
from gateway.oauth.tokens import TokenService
from gateway.portal.naming import check_app_name
from gateway.portal.schemas import MAX_APPS_PER_DEVELOPER, AppCreate
from strata.db import Database
from strata.errors import Conflict, NotFound

# Self-service apps start on the free tier; an operator moves them up.
SELF_SERVICE_TIER = "free"


class TooManyApps(Conflict):
    def __init__(self) -> None:
        super().__init__(
            f"a developer may have at most {MAX_APPS_PER_DEVELOPER} apps; delete one first",
            limit=MAX_APPS_PER_DEVELOPER,
        )


class PortalService:
    def __init__(
        self,
        database: Database,
        passwords: Passwords,
        vocabulary: ScopeVocabulary,
        tokens: TokenService,
    ) -> None:
        self.database = database
        self.passwords = passwords
        self.vocabulary = vocabulary
        self.tokens = tokens

    @classmethod
    def of(cls, oauth: OAuthServer) -> PortalService:
        """Shares the authorization server's hashing, scopes and token revocation."""
        return cls(oauth.database, oauth.passwords, oauth.vocabulary, oauth.tokens)

    def grantable_scopes(self) -> list[tuple[str, str]]:
        """The scopes a developer may give an app (registered APIs' included), by name."""
        return [
            (scope, self.vocabulary.describe(scope))
            for scope in self.vocabulary
            if developer_may_grant(scope, self.vocabulary)
        ]

    async def list_apps(self, owner: str) -> list[OAuthClient]:
        async with self.database.session() as session:
            query = _owned_by(owner).order_by(OAuthClient.created_at, OAuthClient.id)
            return list((await session.execute(query)).scalars())

    async def get_app(self, owner: str, client_id: str) -> OAuthClient:
        async with self.database.session() as session:
            return await _owned_app(session, owner, client_id)

    async def create_app(self, owner: str, request: AppCreate) -> tuple[OAuthClient, str | None]:
        """The new app and its plain secret (None for a public app), shown only now; pending
        when it asks for a scope an operator must approve."""
        check_app_name(request.name)
        self._refuse_ungrantable(request.scopes)
        waiting = approval_scopes(parse_scope(request.scopes), self.vocabulary)
        if await self._count(owner) >= MAX_APPS_PER_DEVELOPER:
            raise TooManyApps()
        client, secret = await create_client(
            self.database,
            request.name,
            request.scopes,
            tier=SELF_SERVICE_TIER,
            redirect_uris=request.redirect_uris,
            public=request.public,
            passwords=self.passwords,
            vocabulary=self.vocabulary,
            owner_user_id=owner,
            status=PENDING if waiting else ACTIVE,
        )
        await self._undo_if_over_limit(owner, client.id)
        return client, secret

    def _refuse_ungrantable(self, scopes: Sequence[str]) -> None:
        # Unknown scopes are left to create_client, which names them as unknown.
        refused = [
            scope
            for scope in parse_scope(scopes)
            if scope in self.vocabulary and not developer_may_grant(scope, self.vocabulary)
        ]
        if refused:
            raise InvalidClientRegistration(
                "scopes",
                f"{' '.join(refused)}: the gateway's own scopes are not for self-service apps "
                "(an operator registers such clients)",
            )

    async def delete_app(self, owner: str, client_id: str) -> None:
        """Soft delete, as the admin API does: every token the app holds stops working."""
        async with self.database.session() as session:
            await _owned_app(session, owner, client_id)
            await mark_deleted(session, client_id)
            revoked = await self.tokens.revoke_client(session, client_id)
        self.tokens.announce(revoked)

    async def _count(self, owner: str) -> int:
        async with self.database.session() as session:
            query = select(func.count()).select_from(_owned_by(owner).subquery())
            return int((await session.execute(query)).scalar_one())

    async def _undo_if_over_limit(self, owner: str, client_id: str) -> None:
        # The count before creating can race with the developer's other tabs. Counting again
        # once the app is committed settles it without holding a lock while the secret is
        # hashed: of two racing creations the later count sees both, so the limit is never
        # passed (at worst both are refused). Nobody has the secret yet, so the row just goes.
        if await self._count(owner) <= MAX_APPS_PER_DEVELOPER:
            return
        async with self.database.session() as session:
            await session.execute(delete(OAuthClient).where(OAuthClient.id == client_id))
        raise TooManyApps()


def _owned_by(owner: str) -> Select[OAuthClient]:
    return select(OAuthClient).where(
        OAuthClient.owner_user_id == owner, OAuthClient.deleted_at.is_(None)
    )


async def _owned_app(session: AsyncSession, owner: str, client_id: str) -> OAuthClient:
    """The developer's live app; someone else's is as unknown as a missing one (404)."""
    client = (
        await session.execute(_owned_by(owner).where(OAuthClient.id == client_id))
    ).scalar_one_or_none()
    if client is None:
        raise NotFound("app", client_id)
    return client
