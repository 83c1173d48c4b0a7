"""Token audiences: RFC 8707 resource indicators and the RFC 9068 ``aud`` claim.

An API's resource indicator is its absolute URL at the gateway, ``{issuer}{prefix}`` (for
example ``http://127.0.0.1:8000/system/crm/v1``); the gateway's own endpoints (admin API,
portal API) have the issuer itself. A token is for the resources it was issued for, and an
API refuses a token whose ``aud`` does not name it, so a token obtained for one API (or
received by a registered upstream) cannot be replayed against another.

A client may name the resources it wants with ``resource`` (repeatable): each must be a
routed API or the issuer, else ``invalid_target``; the scopes granted are then narrowed to
those belonging to them (nothing left: ``invalid_scope``). Without ``resource`` the audience
is every API the granted scopes open (the issuer for the gateway's own scopes). A grant that
continues an authorization (code exchange, refresh) may only ask for resources it covers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from gateway.oauth.errors import InvalidScopeError, InvalidTargetError
from gateway.oauth.scopes import GATEWAY_LAYER, ScopeVocabulary

# Far more than any real client names; bounds the work and the size of ``aud``.
MAX_RESOURCES = 16


@dataclass(frozen=True)
class Grant:
    """The scopes a token carries and the audience it is for."""

    scopes: tuple[str, ...]
    audience: tuple[str, ...]


def api_audience(issuer: str, prefix: str) -> str:
    """The resource indicator of the API served under ``prefix``."""
    return issuer + prefix


def parse_resources(stored: str | None) -> tuple[str, ...]:
    """Resources as stored with a request, code or token family (space-separated)."""
    return tuple(stored.split()) if stored else ()


def format_resources(resources: Sequence[str]) -> str | None:
    """For storage; None when no resource was asked for (the audience follows the scopes)."""
    return " ".join(resources) if resources else None


class Audiences:
    """Which resources exist (the issuer and every routed API, from the vocabulary's route
    map) and which audience a set of scopes is for."""

    def __init__(self, issuer: str, vocabulary: ScopeVocabulary) -> None:
        self.issuer = issuer
        self._vocabulary = vocabulary

    def of_scope(self, scope: str) -> tuple[str, ...]:
        gateway = (self.issuer,) if self._vocabulary.layer_of(scope) == GATEWAY_LAYER else ()
        apis = tuple(api_audience(self.issuer, p) for p in self._vocabulary.prefixes_of(scope))
        return gateway + apis

    def of_scopes(self, scopes: Iterable[str]) -> tuple[str, ...]:
        """Every resource the scopes open, in order, without duplicates."""
        return tuple(dict.fromkeys(r for scope in scopes for r in self.of_scope(scope)))

    def known(self) -> frozenset[str]:
        apis = (api_audience(self.issuer, p) for p in self._vocabulary.api_prefixes())
        return frozenset((self.issuer, *apis))

    def requested(
        self, values: Sequence[str], within: Collection[str] | None = None
    ) -> tuple[str, ...]:
        """The ``resource`` parameters, checked: each a resource of this gateway and, for a
        grant continuing an authorization, one in ``within``."""
        if len(values) > MAX_RESOURCES:
            raise InvalidTargetError(description=f"at most {MAX_RESOURCES} resources per request")
        known = self.known() if within is None else frozenset(within)
        for value in values:
            _check_form(value)
            if value not in known:
                where = "an API of this gateway" if within is None else "covered by this grant"
                raise InvalidTargetError(description=f"the resource {_shown(value)} is not {where}")
        return tuple(dict.fromkeys(values))

    def fresh(self, scopes: Sequence[str], requested: Sequence[str]) -> Grant:
        """A new authorization (client credentials, an authorization request)."""
        return self._grant(scopes, self.requested(requested))

    def continued(
        self,
        scopes: Sequence[str],
        requested: Sequence[str],
        *,
        authorized: Sequence[str],
        authorized_scopes: Sequence[str],
    ) -> Grant:
        """A grant continuing an authorization (code exchange, refresh): the resources it
        was authorized for (or, when it named none, those its scopes open) bound what it may
        ask for; asking for none keeps the authorized ones."""
        bound = authorized or self.of_scopes(authorized_scopes)
        resources = self.requested(requested, within=bound) or tuple(authorized)
        return self._grant(scopes, resources)

    def _grant(self, scopes: Sequence[str], resources: Sequence[str]) -> Grant:
        if not resources:
            audience = self.of_scopes(scopes)
            if not audience:
                raise InvalidScopeError(description="no routed API takes the granted scopes")
            return Grant(tuple(scopes), audience)
        wanted = set(resources)
        narrowed = tuple(scope for scope in scopes if wanted.intersection(self.of_scope(scope)))
        if not narrowed:
            raise InvalidScopeError(
                description="none of the scopes granted belongs to the resources asked for"
            )
        reached = set(self.of_scopes(narrowed))
        # A resource none of the narrowed scopes opens would only let the token through
        # where no scope is checked; one that takes no scope at all (public) is kept.
        audience = tuple(r for r in resources if r in reached or self._takes_no_scope(r))
        return Grant(narrowed, audience)

    def _takes_no_scope(self, resource: str) -> bool:
        if resource == self.issuer:
            return False
        prefix = resource.removeprefix(self.issuer)
        return not self._vocabulary.scopes_of_prefix(prefix)


def _check_form(value: str) -> None:
    """RFC 8707 section 2: an absolute URI without a fragment."""
    parts = urlsplit(value)
    if not value or not parts.scheme or not parts.netloc or "#" in value:
        raise InvalidTargetError(
            description=f"the resource {_shown(value)} is not an absolute URI without a fragment"
        )


def _shown(text: str) -> str:
    cleaned = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "?" for c in text
    )
    return repr(cleaned[:120])
