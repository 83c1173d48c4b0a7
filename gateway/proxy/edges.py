"""Requests the front door refuses before routing: ones that different readers would read
differently.

- An encoded slash (``%2F``) in the path. Servers disagree on it: the gateway routes on the
  decoded path (where it is a separator), an upstream given the raw path may keep it as a
  character or decode it again. Refusing it is the one reading every hop agrees on; no API
  behind the gateway takes a slash inside a path segment.
- More than one ``Authorization`` header. One reader checks the first, another the last, and
  a proxy forwards both: the token checked need not be the token used.
"""

from __future__ import annotations

from starlette.types import Scope

from gateway.proxy.hooks import RawHeaders
from strata.errors import Problem

_AUTHORIZATION = b"authorization"


def edge_refusal(scope: Scope) -> Problem | None:
    """Why this request is refused before it is routed, or ``None`` when it is not."""
    raw_path: bytes | None = scope.get("raw_path")
    if raw_path and b"%" in raw_path and _has_encoded_slash(raw_path):
        return Problem(
            400,
            "Invalid path",
            "The path contains an encoded slash (%2F); send '/' between segments and "
            "nothing that decodes to '/' inside one.",
            kind="encoded-slash",
            field="path",
        )
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
