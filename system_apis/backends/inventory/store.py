"""What every route of the store needs: its database and its clock (a test can move time)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from strata.db import Database
from system_apis.backends.inventory.errors import bad_request
from system_apis.backends.inventory.shop import parse_id
from system_apis.backends.inventory.stock import Clock


@dataclass(frozen=True)
class Store:
    database: Database
    clock: Clock


def _store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


StoreDep = Annotated[Store, Depends(_store)]


def id_list(parameter: str, text: str | None, most: int) -> list[int] | None:
    """A comma-separated list of ids from a query parameter (None when not given)."""
    if text is None:
        return None
    ids = [parse_id(part.strip()) for part in text.split(",") if part.strip()]
    if not ids or len(ids) > most or any(value is None for value in ids):
        raise bad_request(parameter, f"must be a comma-separated list of 1 to {most} ids")
    return [value for value in ids if value is not None]
