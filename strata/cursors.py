"""Opaque cursors for keyset paging: a page's last sort key, carried by the client.

A cursor is the base64url of a small JSON array, tagged with what it pages over, so a cursor
from one list is refused by another. It is not signed: it only says where to continue, and
a forged one can only start a page elsewhere in a list the caller may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from strata.errors import Problem

MAX_CURSOR_LENGTH = 512


def encode_cursor(kind: str, *position: str | int) -> str:
    raw = json.dumps([kind, *position], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(kind: str, cursor: str, *types: type) -> tuple[Any, ...]:
    """The position ``encode_cursor(kind, ...)`` stored, each value of the type given; a
    cursor that is not one is a 422 naming the ``cursor`` query parameter."""
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        values = None
    if (
        not isinstance(values, list)
        or len(values) != len(types) + 1
        or values[0] != kind
        or not all(
            type(value) is expected for value, expected in zip(values[1:], types, strict=True)
        )
    ):
        raise invalid_cursor()
    return tuple(values[1:])


def invalid_cursor() -> Problem:
    message = "is not a cursor this list returned"
    return Problem(
        422,
        "Invalid request",
        f"cursor: {message}",
        kind="validation",
        errors=[{"field": "cursor", "in": "query", "message": message}],
    )
