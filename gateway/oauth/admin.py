"""The admin API for OAuth clients (``/admin/clients``), guarded by the ``admin`` scope.

Operators also approve the portal's pending apps here: ``GET /admin/clients?status=pending``
lists them and ``POST /admin/clients/{client_id}/approve`` lets one get tokens.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Self

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.oauth.clients import (
    approve_client,
    create_client,
    get_client,
    list_clients,
    mark_deleted,
    pending_reason,
)
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from gateway.oauth.scopes import ADMIN_SCOPE, ScopeVocabulary
from gateway.oauth.tokens import TokenService
from gateway.oauth.verifier import TokenVerifier
from strata.db import Database
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute


class ClientCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: Annotated[
        list[Annotated[str, Field(max_length=100)]], Field(min_length=1, max_length=100)
    ]
    tier: Annotated[str, Field(max_length=32)] = "standard"
    redirect_uris: Annotated[
        list[Annotated[str, Field(max_length=2000)]], Field(max_length=20)
    ] = []
    public: bool = False


ClientStatus = Literal["active", "pending"]


class ClientOut(BaseModel):
    client_id: str
    name: str
    public: bool
    scopes: list[str]
    tier: str
    redirect_uris: list[str]
    grant_types: list[str]
    created_at: datetime
    status: ClientStatus = Field(
        description="active, or pending: waits for an operator's approval and gets no token"
    )
    status_reason: str | None = Field(
        default=None, description="Why a pending client waits (None when active)"
    )
    owner_user_id: str | None = Field(
        default=None, description="The developer who registered it on the portal"
    )
    first_party: bool = Field(default=False, description="One of Strata's own apps")

    @classmethod
    def of(cls, client: OAuthClient, vocabulary: ScopeVocabulary) -> Self:
        return cls(
            client_id=client.id,
            name=client.name,
            public=client.is_public,
            scopes=list(client.scope_list),
            tier=client.tier,
            redirect_uris=list(client.redirect_uris),
            grant_types=list(client.grant_types),
            created_at=client.created_at,
            status=client.status,
            status_reason=pending_reason(client, vocabulary),
            owner_user_id=client.owner_user_id,
            first_party=client.first_party,
        )


class ClientCreated(ClientOut):
    client_secret: str | None = Field(
        description="Shown only in this response; store it now. None for a public client."
    )


class ClientPage(BaseModel):
    items: list[ClientOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for more")


def build_admin_router(
    database: Database,
    verifier: TokenVerifier,
    passwords: Passwords,
    vocabulary: ScopeVocabulary,
    tokens: TokenService,
) -> APIRouter:
    admin = Depends(verifier.require_scopes(ADMIN_SCOPE))
    router = APIRouter(
        route_class=StrictJsonRoute,
        prefix="/admin/clients",
        tags=["admin"],
        dependencies=[admin],
        responses=problem_responses(401, 403),
    )

    @router.post(
        "",
        status_code=201,
        response_model=ClientCreated,
        summary="Register a client; its secret is shown once",
        responses=problem_responses(422),
    )
    async def create(body: ClientCreate, response: Response) -> ClientCreated:
        client, secret = await create_client(
            database,
            body.name,
            body.scopes,
            tier=body.tier,
            redirect_uris=body.redirect_uris,
            public=body.public,
            passwords=passwords,
            vocabulary=vocabulary,
        )
        response.headers["Location"] = f"/admin/clients/{client.id}"
        response.headers["Cache-Control"] = "no-store"
        shown = ClientOut.of(client, vocabulary).model_dump()
        return ClientCreated(**shown, client_secret=secret)

    @router.get(
        "", response_model=ClientPage, summary="List clients", responses=problem_responses(422)
    )
    async def list_all(
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
        status: Annotated[
            ClientStatus | None, Query(description="Only clients in this status")
        ] = None,
    ) -> ClientPage:
        async with database.session() as session:
            clients = await list_clients(session, limit=limit + 1, after=cursor, status=status)
        items = [ClientOut.of(client, vocabulary) for client in clients[:limit]]
        next_cursor = items[-1].client_id if len(clients) > limit else None
        return ClientPage(items=items, next_cursor=next_cursor)

    @router.get(
        "/{client_id}",
        response_model=ClientOut,
        summary="One client",
        responses=problem_responses(404),
    )
    async def get_one(client_id: str) -> ClientOut:
        async with database.session() as session:
            return ClientOut.of(await get_client(session, client_id), vocabulary)

    @router.post(
        "/{client_id}/approve",
        response_model=ClientOut,
        summary="Approve a pending client so that it gets tokens",
        description=(
            "A portal app asking for back-office scopes waits (status pending) until an "
            "operator approves it here. Idempotent: approving an active client changes "
            "nothing and answers 200 with the client."
        ),
        responses=problem_responses(404),
    )
    async def approve(client_id: str) -> ClientOut:
        async with database.session() as session:
            return ClientOut.of(await approve_client(session, client_id), vocabulary)

    @router.delete(
        "/{client_id}",
        status_code=204,
        summary="Delete a client and revoke every token it holds",
        responses=problem_responses(404),
    )
    async def delete(client_id: str) -> Response:
        async with database.session() as session:
            await mark_deleted(session, client_id)
            revoked = await tokens.revoke_client(session, client_id)
        tokens.announce(revoked)
        return Response(status_code=204)

    return router
