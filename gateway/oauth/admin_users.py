"""The admin API for people (``/admin/users``), guarded by the ``admin`` scope: list, look up
and make accounts, and set a person's roles. Passwords are taken, never returned."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Self

import structlog
from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthUser
from gateway.oauth.people import get_user, list_users, set_roles
from gateway.oauth.roles import CUSTOMER, ROLES
from gateway.oauth.scopes import ADMIN_SCOPE
from gateway.oauth.tokens import TokenService
from gateway.oauth.users import create_user
from gateway.oauth.verifier import TokenVerifier
from strata.db import Database
from strata.errors import problem_responses
from strata.json_body import StrictJsonRoute

log = structlog.get_logger(__name__)

RoleName = Annotated[
    str,
    Field(max_length=32, json_schema_extra={"enum": list(ROLES)}),
]
RoleList = Annotated[
    list[RoleName],
    Field(
        max_length=len(ROLES),
        description="customer: experience APIs; developer: the portal's apps scopes; "
        "operator: system and process APIs; admin: everything",
    ),
]


class UserCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, Field(min_length=2, max_length=150)]
    password: Annotated[str, Field(max_length=1024, description="Stored as an argon2 hash")]
    display_name: Annotated[str, Field(min_length=1, max_length=200)]
    customer_id: Annotated[
        str | None, Field(max_length=64, description="The CRM customer a shopper is")
    ] = None
    roles: RoleList = [CUSTOMER]


class RolesChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: RoleList


class UserOut(BaseModel):
    user_id: str
    username: str
    display_name: str
    customer_id: str | None
    roles: list[str]
    created_at: datetime

    @classmethod
    def of(cls, user: OAuthUser) -> Self:
        return cls(
            user_id=user.id,
            username=user.username,
            display_name=user.display_name,
            customer_id=user.customer_id,
            roles=list(user.role_list),
            created_at=user.created_at,
        )


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None = Field(default=None, description="Pass as ?cursor= for more")


def build_users_admin_router(
    database: Database,
    verifier: TokenVerifier,
    passwords: Passwords,
    tokens: TokenService,
) -> APIRouter:
    router = APIRouter(
        route_class=StrictJsonRoute,
        prefix="/admin/users",
        tags=["admin"],
        dependencies=[Depends(verifier.require_scopes(ADMIN_SCOPE))],
        responses=problem_responses(401, 403),
    )

    @router.post(
        "",
        status_code=201,
        response_model=UserOut,
        summary="Make a person's account",
        responses=problem_responses(409, 422),
    )
    async def create(body: UserCreate, response: Response) -> UserOut:
        async with database.session() as session:
            user = await create_user(
                session,
                body.username,
                body.password,
                body.display_name,
                body.customer_id,
                passwords,
                roles=body.roles,
            )
        log.info("user created", user_id=user.id, roles=user.roles)
        response.headers["Location"] = f"/admin/users/{user.id}"
        return UserOut.of(user)

    @router.get(
        "", response_model=UserPage, summary="List people", responses=problem_responses(422)
    )
    async def list_all(
        limit: Annotated[int, Query(ge=1, le=200)] = 50,
        cursor: Annotated[str | None, Query(max_length=64)] = None,
    ) -> UserPage:
        async with database.session() as session:
            users = await list_users(session, limit=limit + 1, after=cursor)
        items = [UserOut.of(user) for user in users[:limit]]
        next_cursor = items[-1].user_id if len(users) > limit else None
        return UserPage(items=items, next_cursor=next_cursor)

    @router.get(
        "/{user_id}", response_model=UserOut, summary="One person", responses=problem_responses(404)
    )
    async def get_one(user_id: str) -> UserOut:
        async with database.session() as session:
            return UserOut.of(await get_user(session, user_id))

    @router.put(
        "/{user_id}/roles",
        response_model=UserOut,
        summary="Set a person's roles; removing one revokes every token they hold",
        responses=problem_responses(404, 422),
    )
    async def put_roles(user_id: str, body: RolesChange) -> UserOut:
        async with database.session() as session:
            user = await get_user(session, user_id)
            revoked = await set_roles(session, user, body.roles, tokens)
            changed = UserOut.of(user)
        tokens.announce(revoked)
        log.info("user roles set", user_id=user_id, roles=changed.roles, revoked=len(revoked))
        return changed

    return router
