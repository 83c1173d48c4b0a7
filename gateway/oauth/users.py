"""End users who sign in on the authorization page; each may be linked to a CRM customer."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.clients import create_client
from gateway.oauth.crypto import Passwords, new_token
from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.people import (
    find_user_by_username,
    valid_customer_id,
    valid_display_name,
    valid_password,
    valid_roles,
    valid_username,
)
from gateway.oauth.roles import CUSTOMER, DEVELOPER, OPERATOR
from gateway.oauth.scopes import ADMIN_SCOPE, ScopeVocabulary
from strata.db import Database, utcnow
from strata.errors import Conflict

if TYPE_CHECKING:
    from system_apis.demo import DemoWorld

WEB_CLIENT_ID = "strata-web"
MOBILE_CLIENT_ID = "strata-mobile"
DOCS_CLIENT_ID = "strata-docs"
PORTAL_CLIENT_ID = "strata-portal"
CLI_CLIENT_ID = "strata-cli"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"
WEB_REDIRECT_PATH = "/app/callback"
DOCS_REDIRECT_PATH = "/apis/_assets/oauth2-redirect.html"  # Swagger UI in the API catalog
PORTAL_REDIRECT_PATH = "/portal/callback"
WEB_REDIRECT_URI = DEFAULT_BASE_URL + WEB_REDIRECT_PATH
# The apps the gateway itself serves, so their redirect URIs are on the issuer.
ISSUER_REDIRECT_PATHS = {
    WEB_CLIENT_ID: WEB_REDIRECT_PATH,
    DOCS_CLIENT_ID: DOCS_REDIRECT_PATH,
    PORTAL_CLIENT_ID: PORTAL_REDIRECT_PATH,
}
# RFC 8252: a private-use scheme for the installed app, and loopback for its debug build.
MOBILE_REDIRECT_URIS = ("dev.strata.mobile:/oauth/callback", "http://127.0.0.1/oauth/callback")
# `strata login --user` listens on a loopback port the system picks (RFC 8252 7.3).
CLI_REDIRECT_URIS = ("http://127.0.0.1/callback",)
# The customer apps talk to the experience APIs only.
USER_APP_SCOPES = "me:read me:write"
PORTAL_SCOPES = "apps:read apps:write"


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    display_name: str
    customer_index: int | None  # which of the demo world's customers; None for staff
    roles: tuple[str, ...] = (CUSTOMER,)


# Documented in the README ("People and roles"): shoppers for the web and mobile apps, a
# developer for the portal, an operator for the back-office APIs' docs.
DEMO_USERS = (
    DemoUser("dana", "dana-demo-password", "Dana Demo", 0),
    DemoUser("eli", "eli-demo-password", "Eli Example", 1),
    DemoUser("fran", "fran-demo-password", "Fran Sample", 3),
    DemoUser("devi", "devi-demo-password", "Devi Developer", None, (DEVELOPER,)),
    DemoUser("otto", "otto-demo-password", "Otto Operator", None, (OPERATOR,)),
)


async def create_user(
    session: AsyncSession,
    username: str,
    password: str,
    display_name: str,
    customer_id: str | None,
    passwords: Passwords,
    *,
    roles: Iterable[str] = (CUSTOMER,),
    user_id: str | None = None,
) -> OAuthUser:
    """Makes a person's account; raises :class:`~gateway.oauth.people.InvalidUser` (422)
    naming a wrong field, or :class:`~strata.errors.Conflict` when the username is taken."""
    name = valid_username(username)
    user = OAuthUser(
        id=user_id or f"u_{new_token(15)}",
        username=name,
        password_hash=await passwords.hash_async(valid_password(password)),
        display_name=valid_display_name(display_name),
        customer_id=valid_customer_id(customer_id),
        roles=" ".join(valid_roles(roles)),
        created_at=utcnow(),
    )
    if await find_user_by_username(session, name) is not None:
        raise _username_taken(name)
    session.add(user)
    try:
        await session.flush()
    except IntegrityError:
        raise _username_taken(name) from None
    return user


def _username_taken(username: str) -> Conflict:
    return Conflict(
        f"a user named {username!r} already exists",
        errors=[{"field": "username", "in": "body", "message": "already taken"}],
    )


async def authenticate_user(
    session: AsyncSession,
    username: str,
    password: str,
    passwords: Passwords,
) -> OAuthUser | None:
    """The user whose password this is, or None (in the same time either way)."""
    user = (
        await session.execute(
            select(OAuthUser).where(OAuthUser.username == username.strip().lower())
        )
    ).scalar_one_or_none()
    if not await passwords.verify(user.password_hash if user else None, password):
        return None
    assert user is not None
    if passwords.needs_rehash(user.password_hash):
        await session.execute(
            update(OAuthUser)
            .where(OAuthUser.id == user.id)
            .values(password_hash=await passwords.hash_async(password))
        )
    return user


async def seed_demo_users(
    database: Database,
    world: DemoWorld,
    passwords: Passwords | None = None,
    vocabulary: ScopeVocabulary | None = None,
    *,
    base_url: str = DEFAULT_BASE_URL,
) -> int:
    """Creates the demo users (linked to the first customers of the world) and the public
    clients of the demo web app, mobile app, command line, API docs and developer portal,
    where missing; the web, docs and portal clients return to ``base_url``. Returns how many
    were created."""
    passwords = passwords or Passwords()
    created = 0
    async with database.session() as session:
        for number, demo in enumerate(DEMO_USERS, start=1):
            created += await _seed_demo_user(session, number, demo, world, passwords)
        created += await _seed_app_clients(session, passwords, vocabulary, base_url.rstrip("/"))
    return created


async def _seed_demo_user(
    session: AsyncSession,
    number: int,
    demo: DemoUser,
    world: DemoWorld,
    passwords: Passwords,
) -> int:
    """1 when the demo user was made, 0 when one of that name exists (kept as it is, roles
    included: an operator may have changed them)."""
    if await find_user_by_username(session, demo.username) is not None:
        return 0
    customer = None if demo.customer_index is None else world.customers[demo.customer_index]
    await create_user(
        session,
        demo.username,
        demo.password,
        demo.display_name,
        customer.crm_id if customer else None,
        passwords,
        roles=demo.roles,
        user_id=f"u_demo_{number:04d}",
    )
    return 1


async def _seed_app_clients(
    session: AsyncSession,
    passwords: Passwords,
    vocabulary: ScopeVocabulary | None,
    base_url: str,
) -> int:
    known = vocabulary or ScopeVocabulary()
    # The docs try every API out, so their client may ask for any scope but admin.
    docs_scopes = " ".join(scope for scope in known if scope != ADMIN_SCOPE)
    apps = (
        (WEB_CLIENT_ID, "Strata web app", (base_url + WEB_REDIRECT_PATH,), USER_APP_SCOPES),
        (MOBILE_CLIENT_ID, "Strata mobile app", MOBILE_REDIRECT_URIS, USER_APP_SCOPES),
        (CLI_CLIENT_ID, "Strata command line", CLI_REDIRECT_URIS, USER_APP_SCOPES),
        (DOCS_CLIENT_ID, "Strata API docs", (base_url + DOCS_REDIRECT_PATH,), docs_scopes),
        (
            PORTAL_CLIENT_ID,
            "Strata developer portal",
            (base_url + PORTAL_REDIRECT_PATH,),
            PORTAL_SCOPES,
        ),
    )
    created = 0
    for client_id, name, redirect_uris, scopes in apps:
        if await session.get(OAuthClient, client_id) is not None:
            continue  # kept as is, even when an operator deleted it
        await create_client(
            session,
            name,
            scopes,
            tier="standard",
            redirect_uris=redirect_uris,
            public=True,
            client_id=client_id,
            passwords=passwords,
            vocabulary=known,
            first_party=True,
        )
        created += 1
    return created


async def follow_issuer(database: Database, base_url: str) -> list[str]:
    """Brings the redirect URIs of the apps the gateway serves (web app, API docs, portal) to
    ``base_url``, the issuer, where they point at another origin: after a start on another
    address or a change of ``STRATA_OAUTH__ISSUER``. A deleted client stays deleted; the
    mobile and command-line apps' loopback and private-scheme URIs are left alone. Returns
    the ids of the clients changed."""
    base = base_url.rstrip("/")
    changed = []
    async with database.session() as session:
        clients = await session.execute(
            select(OAuthClient)
            .where(
                OAuthClient.id.in_(ISSUER_REDIRECT_PATHS),
                OAuthClient.first_party.is_(True),
                OAuthClient.deleted_at.is_(None),
            )
            .order_by(OAuthClient.id)
            .with_for_update()  # processes starting at once take their turns (PostgreSQL)
        )
        for client in clients.scalars():
            wanted = _moved_to(base, ISSUER_REDIRECT_PATHS[client.id], client.redirect_uris)
            if wanted != client.redirect_uris:
                client.redirect_uris = wanted
                changed.append(client.id)
    return changed


def _moved_to(base: str, path: str, redirect_uris: list[str]) -> list[str]:
    """``redirect_uris`` with each one on the app's own path moved to ``base``; any other
    (an operator's addition) kept as it is."""
    moved = (base + path if _is_on_path(uri, path) else uri for uri in redirect_uris)
    return list(dict.fromkeys(moved))


def _is_on_path(uri: str, path: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme in ("http", "https") and parts.path.endswith(path)


async def grant_docs_scopes(database: Database, scopes: Iterable[str]) -> None:
    """Lets the API docs' client ask for scopes that became known after it was made (those of
    APIs registered later), so every API's docs page can be tried out. A deleted docs client
    stays deleted. One conditional UPDATE per scope, so gateway processes learning the same
    scope at once add it once."""
    wanted = [scope for scope in dict.fromkeys(scopes) if scope != ADMIN_SCOPE]
    if not wanted:
        return
    padded = literal(" ") + OAuthClient.scopes + literal(" ")
    async with database.session() as session:
        for scope in wanted:
            await session.execute(
                update(OAuthClient)
                .where(
                    OAuthClient.id == DOCS_CLIENT_ID,
                    OAuthClient.deleted_at.is_(None),
                    ~padded.contains(f" {scope} ", autoescape=True),
                )
                .values(scopes=OAuthClient.scopes + literal(f" {scope}"))
            )
