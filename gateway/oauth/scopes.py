"""The scope vocabulary: one read and one write scope per API, user scopes, and ``admin``.

The gateway's registry adds the scopes of each API it registers; a client is only ever given
scopes that are both in the vocabulary and granted to it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Protocol

# RFC 6749 allows more characters; this keeps scopes readable in headers, logs and docs.
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,40}(:[a-z0-9_.-]{1,40}){0,3}$")
ADMIN_SCOPE = "admin"

BUILT_IN_SCOPES: dict[str, str] = {
    "crm:read": "Read customers and contacts in the CRM system API",
    "crm:write": "Create and change customers in the CRM system API",
    "erp:read": "Read sales orders and invoices in the ERP system API",
    "erp:write": "Create and change sales orders in the ERP system API",
    "inventory:read": "Read products, locations and stock levels",
    "inventory:write": "Reserve and release stock",
    "orders:read": "Read orders through the order process API",
    "orders:write": "Place and cancel orders through the order process API",
    "customers:read": "Read the 360 view of any customer",
    "availability:read": "Check product availability across locations",
    "me:read": "Read your own profile and orders",
    "me:write": "Place orders and change your own profile",
    "apps:read": "See the client apps you registered",
    "apps:write": "Register and delete your own client apps",
    ADMIN_SCOPE: "Manage clients and the API registry",
}


def parse_scope(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes from a space-separated string or a list, in order, without duplicates."""
    if value is None:
        return ()
    items = value.split() if isinstance(value, str) else [str(item) for item in value]
    return tuple(dict.fromkeys(item for item in items if item))


def format_scope(scopes: Iterable[str]) -> str:
    return " ".join(scopes)


class ScopeVocabulary:
    """The scopes this gateway knows, each with a description shown on the consent page."""

    def __init__(self, scopes: dict[str, str] | None = None) -> None:
        self._scopes: dict[str, str] = {}
        for name, description in (BUILT_IN_SCOPES if scopes is None else scopes).items():
            self.add(name, description)

    def add(self, name: str, description: str) -> None:
        if not SCOPE_PATTERN.match(name):
            raise ValueError(f"{name!r} is not a valid scope name")
        self._scopes[name] = description

    def __contains__(self, name: object) -> bool:
        return name in self._scopes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._scopes))

    def describe(self, name: str) -> str:
        return self._scopes.get(name, name)

    def unknown(self, scopes: Iterable[str]) -> list[str]:
        return [scope for scope in scopes if scope not in self._scopes]

    def learn_api_scopes(self, apis: Iterable[ScopedApi]) -> list[str]:
        """Adds the scopes registered APIs ask for; returns the ones that were new."""
        learned = []
        for api in apis:
            for scope in (api.read_scope, api.write_scope):
                if scope and scope not in self._scopes:
                    self.add(scope, f"Access to the {api.name} API")
                    learned.append(scope)
        return learned


class ScopedApi(Protocol):
    """What the vocabulary needs of a registered API (a route or a registry entry)."""

    @property
    def name(self) -> str: ...

    @property
    def read_scope(self) -> str | None: ...

    @property
    def write_scope(self) -> str | None: ...
