"""Whose records a token may see, the same rule in every layer below the experience APIs.

A token is a person's when its ``sub`` differs from its ``client_id``. A person's token with
a ``customer_id`` claim (a shopper) sees that customer's records only, whatever its scopes:
a scope says which API may be called, never whose data it returns. A person's token without
a customer link (the back office) and a client's own token are not restricted by this rule.

The layers learn the claims from a :class:`TokenCheck` (in ``strata serve``, the gateway's
own verifier). Without one they may read the claims unverified, which is only sound behind
a gateway that checked the signature.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol


class TokenClaims(Protocol):
    """What the rule needs of a verified token."""

    @property
    def subject(self) -> str: ...

    @property
    def client_id(self) -> str: ...

    @property
    def customer_id(self) -> str | None: ...


class TokenCheck(Protocol):
    """Verifies an ``Authorization`` header; raises a 401/403 ``Problem`` when it is bad."""

    async def verify(
        self, authorization: str | None, required_scopes: Iterable[str] = ()
    ) -> TokenClaims: ...


@dataclass(frozen=True)
class Restriction:
    """The one customer whose records a caller may see; ``customer_id`` None: everyone's."""

    customer_id: str | None = None

    @property
    def restricted(self) -> bool:
        return self.customer_id is not None

    def allows(self, customer_id: str | None) -> bool:
        """Whether a record of ``customer_id`` is the caller's to see (a record of no
        customer is never a restricted caller's)."""
        return self.customer_id is None or customer_id == self.customer_id


UNRESTRICTED = Restriction()


def restriction_of(subject: object, client_id: object, customer_id: object) -> Restriction:
    """The rule above, from a token's ``sub``, ``client_id`` and ``customer_id`` claims."""
    is_person = bool(subject) and subject != client_id
    if is_person and isinstance(customer_id, str) and customer_id:
        return Restriction(customer_id)
    return UNRESTRICTED


def restriction_of_claims(claims: TokenClaims) -> Restriction:
    return restriction_of(claims.subject, claims.client_id, claims.customer_id)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, None without one."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def unverified_claims(token: str) -> dict[str, Any] | None:
    """A JWT's payload, signature unchecked; None for anything that is not a JWT."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None
