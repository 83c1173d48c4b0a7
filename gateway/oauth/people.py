"""People's accounts as operators manage them (the ``/admin/users`` API and ``strata users``):
what a valid account looks like, finding accounts, and changing a person's roles.

Removing a role revokes every token the person holds, so the change bites at once rather
than at the next refresh.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.models import OAuthUser
from gateway.oauth.roles import ROLES, parse_roles
from gateway.oauth.tokens import RevokedIds, TokenService
from strata.errors import NotFound, Problem

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,149}$")
# NIST SP 800-63B: at least 8 characters; the sign-in form reads no more than 1024.
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
CUSTOMER_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


class InvalidUser(Problem):
    """An account cannot be made or changed as asked (422, naming the field)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            422,
            "Invalid request",
            f"{field}: {message}",
            kind="validation",
            errors=[{"field": field, "in": "body", "message": message}],
        )


def valid_username(username: str) -> str:
    name = str(username).strip().lower()
    if not USERNAME_PATTERN.match(name):
        raise InvalidUser(
            "username", "2 to 150 characters: letters, digits and . _ @ -, not starting with one"
        )
    return name


def valid_password(password: str) -> str:
    if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
        raise InvalidUser("password", f"{MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters")
    return password


def valid_display_name(display_name: str) -> str:
    name = " ".join(str(display_name).split())
    if not 1 <= len(name) <= 200:
        raise InvalidUser("display_name", "1 to 200 characters")
    return name


def valid_customer_id(customer_id: str | None) -> str | None:
    if customer_id is None or not customer_id.strip():
        return None
    if not CUSTOMER_ID_PATTERN.match(customer_id.strip()):
        raise InvalidUser("customer_id", "a CRM customer id: up to 64 letters, digits and . _ : -")
    return customer_id.strip()


def valid_roles(roles: Iterable[str]) -> tuple[str, ...]:
    """Known roles only (an unknown one is refused, never dropped), in the order of ROLES."""
    given = [str(role) for role in roles]
    unknown = [role for role in given if role not in ROLES]
    if unknown:
        raise InvalidUser(
            "roles", f"unknown role {', '.join(map(repr, unknown))}; use {', '.join(ROLES)}"
        )
    return parse_roles(given)


async def find_user_by_username(session: AsyncSession, username: str) -> OAuthUser | None:
    query = select(OAuthUser).where(OAuthUser.username == str(username).strip().lower())
    return (await session.execute(query)).scalar_one_or_none()


async def get_user(session: AsyncSession, user_id: str) -> OAuthUser:
    user = await session.get(OAuthUser, user_id)
    if user is None:
        raise NotFound("user", user_id)
    return user


async def list_users(
    session: AsyncSession,
    *,
    limit: int = 50,
    after: str | None = None,
) -> list[OAuthUser]:
    query = select(OAuthUser)
    if after is not None:
        query = query.where(OAuthUser.id > after)
    query = query.order_by(OAuthUser.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def set_roles(
    session: AsyncSession,
    user: OAuthUser,
    roles: Iterable[str],
    tokens: TokenService,
) -> RevokedIds:
    """Gives ``user`` exactly ``roles``. When one is taken away, every token the user holds
    is revoked (returned, to announce once committed): a token may carry a scope only the
    removed role entitled, and the next sign-in or refresh narrows by the roles left."""
    wanted = valid_roles(roles)
    removed = set(user.role_list) - set(wanted)
    user.roles = " ".join(wanted)
    await session.flush()
    if not removed:
        return []
    return await tokens.revoke_user(session, user.id, "role removed")
