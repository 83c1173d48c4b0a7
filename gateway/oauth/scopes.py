"""The scope vocabulary: one read and one write scope per API, user scopes, and the gateway's
own (``admin``, the portal's, introspection).

The gateway's registry adds the scopes of each API it registers; a client is only ever given
scopes that are both in the vocabulary and granted to it. Every scope belongs to a layer
(``system``, ``process``, ``experience``) or to the gateway itself: who may hold it and
which audience a token carrying it is for both follow from that.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

# RFC 6749 allows more characters; this keeps scopes readable in headers, logs and docs.
SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,40}(:[a-z0-9_.-]{1,40}){0,3}$")
ADMIN_SCOPE = "admin"
# For resource servers (RFC 7662 §4): introspect tokens issued to other clients.
INTROSPECT_SCOPE = "tokens:introspect"
# For scrapers: /metrics names every upstream, so it is not public.
METRICS_SCOPE = "metrics:read"
GATEWAY_LAYER = "gateway"
BACK_OFFICE_LAYERS = frozenset({"system", "process"})


@dataclass(frozen=True)
class ScopeInfo:
    """One scope: what it lets a token do (shown on the consent page) and where it belongs."""

    name: str
    description: str
    layer: str  # system, process, experience, or gateway


def _built_in(*rows: tuple[str, str, str]) -> dict[str, ScopeInfo]:
    return {name: ScopeInfo(name, description, layer) for name, layer, description in rows}


BUILT_IN: dict[str, ScopeInfo] = _built_in(
    ("crm:read", "system", "Read customers and contacts in the CRM system API"),
    ("crm:write", "system", "Create and change customers in the CRM system API"),
    ("erp:read", "system", "Read sales orders and invoices in the ERP system API"),
    ("erp:write", "system", "Create and change sales orders in the ERP system API"),
    ("inventory:read", "system", "Read products, locations and stock levels"),
    ("inventory:write", "system", "Reserve and release stock"),
    ("orders:read", "process", "Read orders through the order process API"),
    ("orders:write", "process", "Place and cancel orders through the order process API"),
    ("customers:read", "process", "Read the 360 view of any customer"),
    ("availability:read", "process", "Check product availability across locations"),
    ("me:read", "experience", "Read your own profile and orders"),
    ("me:write", "experience", "Place orders and change your own profile"),
    ("apps:read", GATEWAY_LAYER, "See the client apps you registered"),
    ("apps:write", GATEWAY_LAYER, "Register and delete your own client apps"),
    (INTROSPECT_SCOPE, GATEWAY_LAYER, "Introspect tokens issued to other clients"),
    (METRICS_SCOPE, GATEWAY_LAYER, "Read the gateway's Prometheus metrics"),
    (ADMIN_SCOPE, GATEWAY_LAYER, "Manage clients, users and the API registry"),
)
BUILT_IN_SCOPES: dict[str, str] = {name: info.description for name, info in BUILT_IN.items()}
# Back-office scopes that read shared catalog data rather than any customer's records.
CATALOG_SCOPES = frozenset({"inventory:read", "availability:read"})


def parse_scope(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """Scopes from a space-separated string or a list, in order, without duplicates."""
    if value is None:
        return ()
    items = value.split() if isinstance(value, str) else [str(item) for item in value]
    return tuple(dict.fromkeys(item for item in items if item))


def format_scope(scopes: Iterable[str]) -> str:
    return " ".join(scopes)


class ScopeVocabulary:
    """The scopes this gateway knows, each with its description and layer, and the APIs
    (by path prefix, ``/{layer}/{name}/v{n}``) each one grants access to."""

    def __init__(self, scopes: Iterable[ScopeInfo] | None = None) -> None:
        self._scopes: dict[str, ScopeInfo] = {}
        self._prefixes: dict[str, tuple[str, ...]] = {}
        self._apis: tuple[str, ...] = ()
        for info in BUILT_IN.values() if scopes is None else scopes:
            self.add(info.name, info.description, info.layer)

    def add(self, name: str, description: str, layer: str = GATEWAY_LAYER) -> None:
        if not SCOPE_PATTERN.match(name):
            raise ValueError(f"{name!r} is not a valid scope name")
        self._scopes[name] = ScopeInfo(name, description, layer)

    def __contains__(self, name: object) -> bool:
        return name in self._scopes

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._scopes))

    def describe(self, name: str) -> str:
        info = self._scopes.get(name)
        return info.description if info else name

    def info(self, name: str) -> ScopeInfo | None:
        return self._scopes.get(name)

    def layer_of(self, name: str) -> str | None:
        info = self._scopes.get(name)
        return info.layer if info else None

    def is_back_office(self, name: str) -> bool:
        """A system- or process-layer scope: never held by a customer."""
        return self.layer_of(name) in BACK_OFFICE_LAYERS

    def prefixes_of(self, name: str) -> tuple[str, ...]:
        """The path prefixes of the APIs this scope grants access to (none for the gateway's
        own scopes, or before the API is routed)."""
        return self._prefixes.get(name, ())

    def api_prefixes(self) -> tuple[str, ...]:
        """The path prefixes of every routed API, those that take no scope included."""
        return self._apis

    def scopes_of_prefix(self, prefix: str) -> tuple[str, ...]:
        return tuple(sorted(s for s, prefixes in self._prefixes.items() if prefix in prefixes))

    def unknown(self, scopes: Iterable[str]) -> list[str]:
        return [scope for scope in scopes if scope not in self._scopes]

    def learn_api_scopes(self, apis: Iterable[ScopedApi]) -> list[str]:
        """Adds the scopes registered APIs ask for and maps every scope to the APIs it opens
        (the whole map is rebuilt from ``apis``, the current route table); returns the scopes
        that were new."""
        learned = []
        prefixes: dict[str, list[str]] = {}
        routed: list[str] = []
        for api in apis:
            routed.append(api.prefix)
            for scope in (api.read_scope, api.write_scope):
                if not scope:
                    continue
                if scope not in self._scopes:
                    self.add(scope, f"Access to the {api.name} API", api.layer)
                    learned.append(scope)
                prefixes.setdefault(scope, []).append(api.prefix)
        self._prefixes = {scope: tuple(dict.fromkeys(p)) for scope, p in prefixes.items()}
        self._apis = tuple(dict.fromkeys(routed))
        return learned


class ScopedApi(Protocol):
    """What the vocabulary needs of a registered API (a route or a registry entry)."""

    @property
    def name(self) -> str: ...

    @property
    def layer(self) -> str: ...

    @property
    def prefix(self) -> str: ...

    @property
    def read_scope(self) -> str | None: ...

    @property
    def write_scope(self) -> str | None: ...
