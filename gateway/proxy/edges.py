"""The edges of HTTP that different readers read differently, settled before routing.

- An encoded slash (``%2F``) is a character inside a segment, not a separator: the gateway
  routes on the path as the client encoded it (:func:`routing_path`), so
  ``/system/crm/v1%2Fcustomers`` is no route at all, and an upstream receives the path as
  sent. Refusing encoded slashes would be simpler but breaks APIs whose ids hold a slash
  (file paths, keys), which the data path forwards today.
- More than one ``Authorization`` header is refused (:func:`edge_refusal`). One reader checks
  the first, another the last, and a proxy forwards both: the token checked need not be the
  token used.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from starlette.types import Scope

from gateway.proxy.hooks import RawHeaders
from strata.errors import Problem

_AUTHORIZATION = b"authorization"
_KEPT_ESCAPES = re.compile("(%2[fF5])")
_ENCODED_SLASH = re.compile("%2[fF]")


def routing_path(scope: Scope) -> str:
    """The path to route on: percent-decoded except ``%2F`` (an encoded slash) and ``%25``
    (an encoded percent sign), which stay as sent so that a ``%`` in it is always an escape.
    Without a ``%`` in the raw path that is the decoded path itself."""
    raw_path: bytes | None = scope.get("raw_path")
    if not raw_path or b"%" not in raw_path:
        return str(scope["path"])
    pieces = _KEPT_ESCAPES.split(raw_path.decode("latin-1"))
    # Odd pieces are the kept escapes (the pattern's group); the others are decoded.
    return "".join(
        piece.upper() if index % 2 else unquote(piece) for index, piece in enumerate(pieces)
    )


def without_separating_escapes(scope: Scope) -> Scope:
    """``scope`` for an app that routes on the decoded path (the gateway's own endpoints):
    an encoded slash in its path stays encoded, so it separates nothing there either."""
    raw_path: bytes | None = scope.get("raw_path")
    if not raw_path or not _has_encoded_slash(raw_path):
        return scope
    pieces = _ENCODED_SLASH.split(raw_path.decode("latin-1"))
    return {**scope, "path": "%2F".join(unquote(piece) for piece in pieces)}


def edge_refusal(scope: Scope) -> Problem | None:
    """Why this request is refused before it is routed, or ``None`` when it is not."""
    count = authorization_count(scope["headers"])
    if count > 1:
        return Problem(
            400,
            "Duplicate Authorization header",
            f"The request carries {count} Authorization headers; send exactly one.",
            kind="duplicate-authorization",
            header="Authorization",
        )
    return None


def authorization_count(headers: RawHeaders) -> int:
    return sum(1 for name, _ in headers if name == _AUTHORIZATION)


def _has_encoded_slash(raw_path: bytes) -> bool:
    return b"%2f" in raw_path or b"%2F" in raw_path
