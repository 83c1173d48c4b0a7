"""Who is calling: the key that scopes a caller's Idempotency-Keys (and their orders).

The process layer sits behind the gateway, which verifies every bearer token before a
request gets here (and the layers below verify it again). A :class:`CallerResolver` turns the
``Authorization`` header into a stable caller key; the assembly passes one backed by the
gateway's token verifier. Without one, :func:`claims_caller` reads the token's ``client_id``
and ``sub`` claims without checking the signature, which is only sound behind a gateway that
checked it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

ANONYMOUS = "anonymous"

CallerResolver = Callable[[str | None], Awaitable[str]]


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _unverified_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    payload = parts[1] + "=" * (-len(parts[1]) % 4)
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


def caller_key_from_claims(claims: dict[str, Any]) -> str | None:
    """``client:<client_id>`` for a client acting for itself; ``user:<client_id>:<sub>`` for
    a user's token, so two users of one app never share (and replay) each other's keys."""
    client_id, subject = claims.get("client_id"), claims.get("sub")
    client_id = client_id if isinstance(client_id, str) and client_id else None
    subject = subject if isinstance(subject, str) and subject else None
    if client_id and subject and subject != client_id:
        return f"user:{client_id[:90]}:{subject[:100]}"
    if client_id or subject:
        return f"client:{(client_id or subject or '')[:180]}"
    return None


async def claims_caller(authorization: str | None) -> str:
    """``client:<client_id or sub>`` for a JWT bearer token, ``token:<digest>`` for an opaque
    one (scoped to that very token), ``anonymous`` without one."""
    token = _bearer_token(authorization)
    if token is None:
        return ANONYMOUS
    claims = _unverified_claims(token)
    key = caller_key_from_claims(claims) if claims else None
    return key or "token:" + hashlib.sha256(token.encode()).hexdigest()[:40]
