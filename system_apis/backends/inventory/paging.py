"""Shopify's cursor paging: ``limit`` (at most 250) and an opaque ``page_info`` token.

The first request carries the filters; the answer's ``Link`` header names the next and previous
pages (``<...?limit=50&page_info=...>; rel="next"``). A ``page_info`` token keeps the filters
of the first request, so it may only be combined with ``limit``, as on Shopify.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Annotated, Any, Generic, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import Request, Response
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from system_apis.backends.inventory.errors import bad_request
from system_apis.backends.inventory.shop import MAX_ID

MAX_LIMIT = 250
DEFAULT_LIMIT = 50

Direction = Literal["next", "previous"]
Row = TypeVar("Row")


class PageInfo(BaseModel):
    """Where a page starts and the filters of the listing it belongs to."""

    direction: Direction
    key: tuple[Annotated[int, Field(ge=0, le=MAX_ID)], ...]
    filters: dict[str, str] = {}


def encode_page_info(info: PageInfo) -> str:
    raw = json.dumps(info.model_dump(mode="json"), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_page_info(token: str) -> PageInfo:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        return PageInfo.model_validate_json(raw)
    except (binascii.Error, ValueError, ValidationError):
        raise bad_request("page_info", "Invalid value.") from None


def page_request(page_info: str | None, filters: dict[str, str | None]) -> PageInfo | None:
    """The decoded token, refusing filters beside it (they live in the token)."""
    if page_info is None:
        return None
    given = sorted(name for name, value in filters.items() if value is not None)
    if given:
        raise bad_request(
            "page_info",
            f"cannot be combined with {', '.join(given)}; the filters of the first page are "
            "kept in page_info",
        )
    return decode_page_info(page_info)


@dataclass
class KeysetPage(Generic[Row]):
    rows: list[Row]
    next: PageInfo | None = None
    previous: PageInfo | None = None
    filters: dict[str, str] = field(default_factory=dict)


def _after(
    columns: Sequence[InstrumentedAttribute[int]], key: Sequence[int], forward: bool
) -> ColumnElement[bool]:
    """Rows strictly after (or before) ``key`` in the order of ``columns``."""
    column, value = columns[0], key[0]
    beyond = column > value if forward else column < value
    if len(columns) == 1:
        return beyond
    return or_(beyond, and_(column == value, _after(columns[1:], key[1:], forward)))


async def fetch_page(
    session: AsyncSession,
    statement: Select[Row],
    columns: Sequence[InstrumentedAttribute[int]],
    key_of: Callable[[Row], tuple[int, ...]],
    limit: int,
    request: PageInfo | None,
    filters: dict[str, str],
) -> KeysetPage[Row]:
    if request is not None:
        filters = request.filters
    forward = request is None or request.direction == "next"
    if request is not None:
        if len(request.key) != len(columns):
            raise bad_request("page_info", "Invalid value.")
        statement = statement.where(_after(columns, request.key, forward))
    order = [column if forward else column.desc() for column in columns]
    rows = list((await session.scalars(statement.order_by(*order).limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    if not forward:
        rows.reverse()
    page: KeysetPage[Row] = KeysetPage(rows, filters=filters)
    if rows and (more if forward else True):
        page.next = PageInfo(direction="next", key=key_of(rows[-1]), filters=filters)
    if rows and (request is not None if forward else more):
        page.previous = PageInfo(direction="previous", key=key_of(rows[0]), filters=filters)
    return page


def set_link_header(
    response: Response, request: Request, page: KeysetPage[Any], limit: int
) -> None:
    links = []
    for relation, info in (("previous", page.previous), ("next", page.next)):
        if info is not None:
            query = urlencode({"limit": limit, "page_info": encode_page_info(info)})
            links.append(f'<{request.url.replace(query=query)}>; rel="{relation}"')
    if links:
        response.headers["Link"] = ", ".join(links)
