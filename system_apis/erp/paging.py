"""Opaque list cursors over the ERP's page-numbered searches.

A cursor carries the ERP page to fetch and the page size it was made for, so following it
keeps pages aligned even if the caller changes ``limit`` on the way.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from strata.errors import Problem

_FORMAT = re.compile(r"^erp1:([0-9]{1,7}):([0-9]{1,3})$")
MAX_LIMIT = 200


@dataclass(frozen=True)
class PagePosition:
    index: int
    size: int


def encode_cursor(position: PagePosition) -> str:
    raw = f"erp1:{position.index}:{position.size}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> PagePosition:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raw = ""
    match = _FORMAT.match(raw)
    if match is None or not (int(match[1]) >= 1) or not (1 <= int(match[2]) <= MAX_LIMIT):
        raise Problem(
            422,
            "Invalid request",
            "cursor: is not a cursor this API returned",
            kind="validation",
            errors=[
                {"field": "cursor", "in": "query", "message": "is not a cursor this API returned"}
            ],
        )
    return PagePosition(int(match[1]), int(match[2]))


def position(cursor: str | None, limit: int) -> PagePosition:
    return decode_cursor(cursor) if cursor else PagePosition(1, limit)


def next_cursor(current: PagePosition, total_pages: int) -> str | None:
    if current.index >= total_pages:
        return None
    return encode_cursor(PagePosition(current.index + 1, current.size))
