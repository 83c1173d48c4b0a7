"""The route table: what the gateway knows about every API it fronts.

The registry (database) is the source of truth; each gateway process keeps an immutable
:class:`RouteTable` built from it and swaps in a new one when the registry changes, so the
data path reads one attribute and never takes a lock.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

LAYERS = ("system", "process", "experience")
INPROC_SCHEME = "inproc://"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Where an upstream registered with upstream_auth "identity" finds who calls: a header of its
# own, never Authorization, so nothing along the way takes it for a bearer credential.
IDENTITY_HEADER = "Strata-Identity"


@dataclass(frozen=True, slots=True)
class UpstreamAuth:
    """What a remote target receives in place of the caller's token (which it never gets).

    ``mode`` is ``none``, ``identity`` (a signed assertion of who calls) or ``api_key`` (the
    upstream's own key, sent in ``header``). ``secret`` is the decrypted key; ``unreadable``
    marks a stored secret that could not be decrypted, so the route refuses to forward
    rather than call the upstream without its credentials.
    """

    mode: str = "none"
    header: str | None = None
    secret: str | None = field(default=None, repr=False)
    unreadable: bool = False


NO_UPSTREAM_AUTH = UpstreamAuth()


@dataclass(frozen=True, slots=True)
class ApiRoute:
    """One registered API, as the data path needs it."""

    name: str
    layer: str
    version: int
    targets: tuple[str, ...]
    timeout_seconds: float = 10.0
    retries: int = 1
    read_scope: str | None = None
    write_scope: str | None = None
    # Open to anyone without a token; a route that is not public needs a scope per method.
    public: bool = False
    rate_tier: str | None = None
    revision: int = 0
    upstream_auth: UpstreamAuth = NO_UPSTREAM_AUTH
    # The browser origins (scheme://host[:port], or "*" alone) that may call it cross-origin.
    cors_origins: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return f"/{self.layer}/{self.name}/v{self.version}"

    def scope_for(self, method: str) -> str | None:
        """The scope ``method`` needs; None when no scope grants it (or on a public route)."""
        return self.read_scope if method in SAFE_METHODS else self.write_scope


@dataclass(frozen=True)
class RouteTable:
    """Routes by path prefix ``/{layer}/{api}/v{n}``; ``revision`` identifies the registry
    state it was built from."""

    routes: tuple[ApiRoute, ...] = ()
    revision: int = 0
    _by_prefix: dict[str, ApiRoute] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_prefix", {route.prefix: route for route in self.routes})

    @classmethod
    def of(cls, routes: Iterable[ApiRoute], revision: int = 0) -> RouteTable:
        return cls(tuple(routes), revision)

    def match(self, path: str) -> tuple[ApiRoute, str] | None:
        """The route for ``path`` and the rest of the path after its prefix."""
        parts = path.split("/", 4)
        if len(parts) < 4:
            return None
        route = self._by_prefix.get("/".join(parts[:4]))
        if route is None:
            return None
        rest = "/" + parts[4] if len(parts) == 5 else ""
        return route, rest

    def get(self, name: str) -> ApiRoute | None:
        return next((route for route in self.routes if route.name == name), None)


class RouteTableHolder:
    """The current table; replaced whole when the registry changes."""

    def __init__(self, table: RouteTable | None = None) -> None:
        self.current = table or RouteTable()

    def replace(self, table: RouteTable) -> None:
        self.current = table
