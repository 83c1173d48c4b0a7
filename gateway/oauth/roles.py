"""People's roles and what each entitles them to.

A token issued for a person carries the scopes its client may ask for AND the person's roles
entitle them to (the two sets intersected at sign-in and at every refresh). The rule is by
the layer a scope belongs to, so the scopes of APIs registered later follow it too:

- ``customer``: a shopper linked to a CRM customer; the experience layer's scopes.
- ``developer``: makes client apps in the portal (``apps:read``, ``apps:write``).
- ``operator``: the back office; the system and process layers' scopes.
- ``admin``: everything, ``admin`` included.

No role entitles a person to ``tokens:introspect``: it is for resource servers (clients).

What a developer may hand out to the apps they register is another matter: any scope of the
API layers and ``tokens:introspect`` (:func:`developer_may_grant`), never the gateway's own
person scopes nor ``admin``; those that reach back-office data make the app wait for an
operator's approval (:func:`needs_approval`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from gateway.oauth.scopes import (
    ADMIN_SCOPE,
    BACK_OFFICE_LAYERS,
    CATALOG_SCOPES,
    INTROSPECT_SCOPE,
    ScopeVocabulary,
)

CUSTOMER: Final = "customer"
DEVELOPER: Final = "developer"
OPERATOR: Final = "operator"
ADMIN: Final = "admin"
ROLES: Final = (CUSTOMER, DEVELOPER, OPERATOR, ADMIN)
PORTAL_SCOPES: Final = frozenset({"apps:read", "apps:write"})
API_LAYERS: Final = frozenset({"system", "process", "experience"})


def parse_roles(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Roles from a space-separated string or a list, known ones only, in the order of
    :data:`ROLES`."""
    if value is None:
        return ()
    given = set(value.split() if isinstance(value, str) else value)
    return tuple(role for role in ROLES if role in given)


def entitles(
    roles: Iterable[str],
    scope: str,
    vocabulary: ScopeVocabulary,
    *,
    customer_link: bool = False,
) -> bool:
    """Whether any of ``roles`` lets a person hold ``scope``. A customer (by role, or by a
    link to a CRM customer) never holds a back-office scope, whatever other roles they have:
    the back office reaches every customer's records, and a shopper must reach only their own."""
    held = set(roles)
    if scope == INTROSPECT_SCOPE:
        return False
    if (customer_link or CUSTOMER in held) and vocabulary.is_back_office(scope):
        return False
    if ADMIN in held:
        return scope in vocabulary
    layer = vocabulary.layer_of(scope)
    if layer is None or scope == ADMIN_SCOPE:
        return False
    if CUSTOMER in held and layer == "experience":
        return True
    if DEVELOPER in held and scope in PORTAL_SCOPES:
        return True
    return OPERATOR in held and layer in BACK_OFFICE_LAYERS


def entitled_scopes(
    roles: Iterable[str],
    scopes: Iterable[str],
    vocabulary: ScopeVocabulary,
    *,
    customer_link: bool = False,
) -> tuple[str, ...]:
    """``scopes`` narrowed to those ``roles`` entitle a person to, in order."""
    held = tuple(roles)
    return tuple(
        scope for scope in scopes if entitles(held, scope, vocabulary, customer_link=customer_link)
    )


def developer_may_grant(scope: str, vocabulary: ScopeVocabulary) -> bool:
    """Whether a developer may register a portal app holding ``scope``: a scope of an API
    layer (those of APIs registered later included), or ``tokens:introspect`` for a
    resource server. The gateway's own scopes (``admin``, the portal's) stay with people
    and operators."""
    if scope == INTROSPECT_SCOPE:
        return True
    return vocabulary.layer_of(scope) in API_LAYERS


def needs_approval(scope: str, vocabulary: ScopeVocabulary) -> bool:
    """A scope that reaches back-office data (system- and process-layer writes, and reads
    across all customers): a self-service app asking for it waits for an operator. The
    scopes of APIs registered later are back office by their layer, so they wait too."""
    if scope == INTROSPECT_SCOPE:
        return True
    return vocabulary.is_back_office(scope) and scope not in CATALOG_SCOPES
