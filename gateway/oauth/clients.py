"""OAuth clients: registered here, authenticated at the token, introspection and revocation
endpoints. A confidential client's secret is shown once, at creation, and stored only as an
argon2 hash. A self-service app asking for back-office scopes starts ``pending`` and gets no
token until an operator approves it."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from ipaddress import ip_address
from urllib.parse import urlsplit

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.crypto import Passwords, new_token
from gateway.oauth.errors import UnauthorizedClientError
from gateway.oauth.models import OAuthClient
from gateway.oauth.roles import needs_approval
from gateway.oauth.scopes import (
    ADMIN_SCOPE,
    INTROSPECT_SCOPE,
    ScopeVocabulary,
    format_scope,
    parse_scope,
)
from strata.db import Database, utcnow
from strata.errors import NotFound, Problem

TIER_PATTERN = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
CLIENT_ID_PATTERN = re.compile(r"^[A-Za-z0-9._~-]{3,64}$")
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")
ACTIVE = "active"
PENDING = "pending"
STATUSES = (ACTIVE, PENDING)

log = structlog.get_logger(__name__)


class InvalidClientRegistration(Problem):
    """A client cannot be registered as asked (422, naming what is wrong)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(
            422,
            "Invalid request",
            f"{field}: {message}",
            kind="validation",
            errors=[{"field": field, "in": "body", "message": message}],
        )


@asynccontextmanager
async def _session(session_or_db: AsyncSession | Database) -> AsyncIterator[AsyncSession]:
    if isinstance(session_or_db, Database):
        async with session_or_db.session() as session:
            yield session
    else:
        yield session_or_db


async def create_client(
    session_or_db: AsyncSession | Database,
    name: str,
    scopes: str | Iterable[str],
    tier: str = "standard",
    redirect_uris: Sequence[str] = (),
    public: bool = False,
    *,
    client_id: str | None = None,
    passwords: Passwords | None = None,
    vocabulary: ScopeVocabulary | None = None,
    owner_user_id: str | None = None,
    status: str = ACTIVE,
    first_party: bool = False,
) -> tuple[OAuthClient, str | None]:
    """Registers a client; returns it and its plain secret (None for a public client).

    Confidential clients get client_credentials (and the authorization code grant when they
    have redirect URIs); public clients (web and mobile apps) get the authorization code grant
    with PKCE and refresh tokens, and no secret. ``owner_user_id`` is the developer who
    registered it on the portal; a ``pending`` client gets no token until approved;
    ``first_party`` marks Strata's own apps (the consent page says so).
    """
    if status not in STATUSES:
        raise InvalidClientRegistration("status", f"one of {', '.join(STATUSES)}")
    granted = _valid_scopes(scopes, vocabulary or ScopeVocabulary(), public)
    name = _valid_name(name)
    if not TIER_PATTERN.match(tier):
        raise InvalidClientRegistration("tier", "use a short lower-case name such as standard")
    uris = [validate_redirect_uri(uri) for uri in redirect_uris]
    if public and not uris:
        raise InvalidClientRegistration("redirect_uris", "a public client needs a redirect URI")
    if client_id is not None and not CLIENT_ID_PATTERN.match(client_id):
        raise InvalidClientRegistration("client_id", "3 to 64 URL-safe characters")
    secret = None if public else new_token(32)
    hashed = None
    if secret is not None:
        hashed = await (passwords or Passwords()).hash_async(secret)
    client = OAuthClient(
        id=client_id or f"c_{new_token(15)}",
        name=name,
        secret_hash=hashed,
        is_public=public,
        scopes=format_scope(granted),
        tier=tier,
        redirect_uris=uris,
        created_at=utcnow(),
        owner_user_id=owner_user_id,
        status=status,
        first_party=first_party,
    )
    async with _session(session_or_db) as session:
        if await session.get(OAuthClient, client.id) is not None:
            raise InvalidClientRegistration("client_id", "a client with this id already exists")
        session.add(client)
        try:
            await session.flush()
        except IntegrityError:
            raise InvalidClientRegistration(
                "client_id", "a client with this id already exists"
            ) from None
    return client, secret


def _valid_name(name: str) -> str:
    name = " ".join(str(name).split())
    if not 1 <= len(name) <= 200:
        raise InvalidClientRegistration("name", "1 to 200 characters")
    return name


def _valid_scopes(
    scopes: str | Iterable[str],
    vocabulary: ScopeVocabulary,
    public: bool,
) -> tuple[str, ...]:
    granted = parse_scope(scopes)
    if not granted:
        raise InvalidClientRegistration("scopes", "grant at least one scope")
    unknown = vocabulary.unknown(granted)
    if unknown:
        raise InvalidClientRegistration("scopes", f"unknown scope {' '.join(unknown)}")
    if public and ADMIN_SCOPE in granted:
        raise InvalidClientRegistration("scopes", "a public client cannot hold the admin scope")
    return granted


def validate_redirect_uri(uri: str) -> str:
    """An absolute URI without fragment: https, http on loopback only, or a private-use
    scheme with a dot in it (RFC 8252 7.1, e.g. ``dev.strata.mobile:/callback``)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname
    except ValueError:
        raise InvalidClientRegistration("redirect_uris", f"{uri!r} is not a URI") from None
    if len(uri) > 2000 or parts.fragment or "#" in uri or not parts.scheme:
        raise InvalidClientRegistration(
            "redirect_uris", f"{uri!r} is not an absolute URI without fragment"
        )
    if parts.scheme == "https" and host:
        return uri
    if parts.scheme == "http" and host and is_loopback(host):
        return uri
    if parts.scheme not in ("http", "https") and "." in parts.scheme:
        return uri
    raise InvalidClientRegistration(
        "redirect_uris",
        f"{uri!r}: use https, http on a loopback address, or a reverse-domain private-use scheme",
    )


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_matches(registered: str, given: str) -> bool:
    """Exact match, except that a loopback http URI registered without a port matches any
    port (RFC 8252 7.3: native apps listen on an ephemeral port)."""
    if registered == given:
        return True
    try:
        reg, got = urlsplit(registered), urlsplit(given)
        registered_port, given_port = reg.port, got.port
    except ValueError:
        return False
    return (
        reg.scheme == "http"
        and got.scheme == "http"
        and reg.hostname is not None
        and is_loopback(reg.hostname)
        and reg.hostname == got.hostname
        and registered_port is None
        and given_port is not None
        and (reg.path, reg.query) == (got.path, got.query)
    )


async def find_client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    client = await session.get(OAuthClient, client_id)
    if client is None or client.deleted_at is not None:
        return None
    return client


async def get_client(session: AsyncSession, client_id: str) -> OAuthClient:
    client = await find_client(session, client_id)
    if client is None:
        raise NotFound("client", client_id)
    return client


async def list_clients(
    session: AsyncSession,
    *,
    limit: int = 50,
    after: str | None = None,
    status: str | None = None,
) -> list[OAuthClient]:
    query = select(OAuthClient).where(OAuthClient.deleted_at.is_(None))
    if after is not None:
        query = query.where(OAuthClient.id > after)
    if status is not None:
        query = query.where(OAuthClient.status == status)
    query = query.order_by(OAuthClient.id).limit(limit)
    return list((await session.execute(query)).scalars())


async def mark_deleted(session: AsyncSession, client_id: str) -> None:
    """Soft delete: the row stays so that its tokens' revocations stay visible."""
    result = await session.execute(
        update(OAuthClient)
        .where(OAuthClient.id == client_id, OAuthClient.deleted_at.is_(None))
        .values(deleted_at=utcnow())
    )
    if not getattr(result, "rowcount", 0):
        raise NotFound("client", client_id)


async def approve_client(session: AsyncSession, client_id: str) -> OAuthClient:
    """Makes a pending client active, so that it gets tokens. Approving an active client
    changes nothing (idempotent); an unknown or deleted one is a 404."""
    result = await session.execute(
        update(OAuthClient)
        .where(
            OAuthClient.id == client_id,
            OAuthClient.deleted_at.is_(None),
            OAuthClient.status == PENDING,
        )
        .values(status=ACTIVE)
    )
    client = await get_client(session, client_id)
    if getattr(result, "rowcount", 0):
        # The approval is an operator's decision about who reaches back-office data: keep a
        # trace of it in the log.
        log.info("approved client", client_id=client_id, scopes=client.scopes)
    return client


def approval_scopes(scopes: Iterable[str], vocabulary: ScopeVocabulary) -> tuple[str, ...]:
    """The scopes that make a self-service app wait for an operator's approval."""
    return tuple(scope for scope in scopes if needs_approval(scope, vocabulary))


def pending_reason(client: OAuthClient, vocabulary: ScopeVocabulary) -> str | None:
    """Why the client waits (None when it does not): the scopes an operator must approve."""
    if client.status == ACTIVE:
        return None
    waiting = approval_scopes(client.scope_list, vocabulary)
    why = ""
    if waiting:
        verb = "reaches" if len(waiting) == 1 else "reach"
        why = f" ({', '.join(waiting)} {verb} back-office data)"
    return f"waits for an operator's approval{why}; it gets no token until then"


def ensure_may_get_tokens(client: OAuthClient) -> None:
    """Refuses a client that is not active (RFC 6749 ``unauthorized_client``)."""
    if client.status != ACTIVE:
        raise UnauthorizedClientError(
            description="this app waits for an operator's approval; it gets no token until then"
        )


def may_introspect_any_token(client: OAuthClient) -> bool:
    """A resource server (RFC 7662 section 4): an active client registered with
    ``tokens:introspect``; any other client introspects only the tokens issued to itself."""
    return client.status == ACTIVE and INTROSPECT_SCOPE in client.scope_list


def redirect_destination(uri: str) -> str:
    """Where a redirect URI takes the person, as the consent page names it: the host (and
    port, when given) of a web address, or the scheme of a private-use one (an installed app)."""
    try:
        parts = urlsplit(uri)
        host, port = parts.hostname, parts.port
    except ValueError:
        return uri
    if parts.scheme not in ("http", "https") or not host:
        return parts.scheme or uri
    shown = f"[{host}]" if ":" in host else host
    return f"{shown}:{port}" if port is not None else shown
