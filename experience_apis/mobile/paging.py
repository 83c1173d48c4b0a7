"""Cursor paging for the mobile API's lists.

Every list takes ``limit`` (1 to 50, 20 by default) and ``cursor`` (the ``next_cursor`` of
the page before) and answers ``next_cursor`` (null on the last page). Cursors are opaque
and tagged with the list they page (``strata.cursors``): a cursor from one list is a 422
naming ``cursor`` in another. A list the layer below pages carries that layer's cursor
inside ours; a list this API holds whole is paged here by its sort key.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated, TypeVar

from fastapi import Query

from strata.cursors import decode_cursor, encode_cursor

T = TypeVar("T")

DEFAULT_LIMIT = 20
MAX_LIMIT = 50

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Items per page")]
Cursor = Annotated[
    str | None, Query(max_length=512, description="`next_cursor` of the previous page")
]


def wrap_cursor(kind: str, below: str | None) -> str | None:
    """Our cursor for the layer below's ``below`` (``None`` stays ``None``: last page)."""
    return encode_cursor(kind, below) if below is not None else None


def unwrap_cursor(kind: str, cursor: str | None) -> str | None:
    """The layer below's cursor inside ``cursor``; 422 naming ``cursor`` if it is not ours."""
    if cursor is None:
        return None
    (below,) = decode_cursor(kind, cursor, str)
    return str(below)


def page_after(
    items: Sequence[T],
    *,
    kind: str,
    key: Callable[[T], tuple[str, str]],
    limit: int,
    cursor: str | None,
) -> tuple[list[T], str | None]:
    """One page of ``items``, sorted descending by ``key`` (two strings that order the same
    way as what they encode), after the position ``cursor`` names."""
    ordered = sorted(items, key=key, reverse=True)
    if cursor is not None:
        position = decode_cursor(kind, cursor, str, str)
        ordered = [item for item in ordered if key(item) < position]
    page = ordered[:limit]
    more = len(ordered) > limit
    return page, encode_cursor(kind, *key(page[-1])) if more else None
