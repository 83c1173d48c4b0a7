"""What the consent page tells a person before they allow an app: its name, who made it
(Strata, a named developer, or an operator), where it sends them back to, and what each
scope it asks for lets it do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gateway.oauth.clients import redirect_destination
from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.scopes import ScopeVocabulary
from strata.db import Database


@dataclass(frozen=True)
class Consent:
    client_name: str
    maker: str  # "Strata's own app", "a third-party app made by …", "registered by an operator"
    returns_to: str  # the redirect URI's host and port, or a private-use scheme
    scopes: Sequence[tuple[str, str]]  # (scope, what it lets the app do)


def maker_of(first_party: bool, owner: tuple[str, str] | None, has_owner: bool) -> str:
    """Who made the app; ``owner`` is the developer's display name and username, when known."""
    if first_party:
        return "Strata's own app"
    if owner is not None:
        display_name, username = owner
        return f"a third-party app made by {display_name} ({username})"
    if has_owner:
        # The developer's account is gone: say so rather than vouch for the app.
        return "a third-party app whose developer is no longer known"
    return "registered by an operator"


async def describe_consent(
    database: Database,
    vocabulary: ScopeVocabulary,
    client: OAuthClient,
    redirect_uri: str,
    scopes: Sequence[str],
) -> Consent:
    owner = None
    if client.owner_user_id is not None and not client.first_party:
        async with database.session() as session:
            user = await session.get(OAuthUser, client.owner_user_id)
        owner = (user.display_name, user.username) if user else None
    return Consent(
        client_name=client.name,
        maker=maker_of(client.first_party, owner, client.owner_user_id is not None),
        returns_to=redirect_destination(redirect_uri),
        scopes=[(scope, vocabulary.describe(scope)) for scope in scopes],
    )
