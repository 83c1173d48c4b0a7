"""People and their roles from the command line (``strata users``): the same services the
``/admin/users`` API uses, straight on the database. Each returns the person as JSON-ready
data (never the password) and raises :class:`~strata.errors.Problem` for anything wrong."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.oauth.clock import system_clock
from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import KeyCipher, Passwords, load_secret
from gateway.oauth.keys import KeyStore
from gateway.oauth.models import OAuthUser
from gateway.oauth.people import (
    InvalidUser,
    find_user_by_username,
    list_users,
    set_roles,
    valid_roles,
)
from gateway.oauth.roles import CUSTOMER
from gateway.oauth.tokens import TokenService
from gateway.oauth.users import create_user
from strata.db import Database
from strata.errors import NotFound

PAGE_SIZE = 200


def person(user: OAuthUser) -> dict[str, Any]:
    return {
        "user_id": user.id,
        "username": user.username,
        "display_name": user.display_name,
        "customer_id": user.customer_id,
        "roles": list(user.role_list),
        "created_at": user.created_at.isoformat(),
    }


async def list_people(database: Database) -> list[dict[str, Any]]:
    people: list[dict[str, Any]] = []
    after = None
    async with database.session() as session:
        while True:
            page = await list_users(session, limit=PAGE_SIZE, after=after)
            people += [person(user) for user in page]
            if len(page) < PAGE_SIZE:
                return people
            after = page[-1].id


async def create_person(
    database: Database,
    settings: OAuthSettings,
    *,
    username: str,
    password: str,
    display_name: str | None = None,
    customer_id: str | None = None,
    roles: Sequence[str] = (CUSTOMER,),
) -> dict[str, Any]:
    async with database.session() as session:
        user = await create_user(
            session,
            username,
            password,
            display_name or username,
            customer_id,
            Passwords.from_settings(settings),
            roles=roles,
        )
    return person(user)


async def change_roles(
    database: Database,
    settings: OAuthSettings,
    username: str,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
) -> tuple[dict[str, Any], int]:
    """Adds and removes roles; returns the person and how many tokens were revoked (every
    token they hold, when a role was removed)."""
    added, removed = valid_roles(add), valid_roles(remove)
    both = set(added) & set(removed)
    if both:
        raise InvalidUser("roles", f"cannot both add and remove {', '.join(sorted(both))}")
    tokens = _revoking_service(database, settings)
    async with database.session() as session:
        user = await find_user_by_username(session, username)
        if user is None:
            raise NotFound("user", username)
        wanted = [role for role in (*user.role_list, *added) if role not in removed]
        revoked = await set_roles(session, user, wanted, tokens)
    # Gateways learn of the revocations from the database on their next poll.
    return person(user), len(revoked)


def _revoking_service(database: Database, settings: OAuthSettings) -> TokenService:
    # Only its revocation helpers are used here: it never signs a token.
    keys = KeyStore(database, settings, KeyCipher(load_secret(settings)), system_clock)
    return TokenService(settings, keys, system_clock)
