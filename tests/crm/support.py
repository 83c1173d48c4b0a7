"""Helpers shared by the CRM tests: paths, native calls, scripted faults, direct reads."""

from __future__ import annotations

import random
from typing import Any

import httpx
from sqlalchemy import func, select

from strata.db import Database
from system_apis.backends.crm.models import CrmAccount, CrmTask

DATA = "/services/data/v59.0"
BACKEND_URL = "http://crm.backend"
SYSTEM_URL = "http://crm.system"

GLOBEX = "001Dn0000000001IAA"  # customer 1 of the demo world, a company
HEDY = "001Dn0000000008IAA"  # customer 8, a person
UNKNOWN_ACCOUNT = "001Dn0000009999IAA"  # a well-formed account id no record has
UNKNOWN_TASK = "00TDn0000004C91MAE"  # a well-formed task id no record has


async def soql(client: httpx.AsyncClient, query: str, **headers: str) -> httpx.Response:
    return await client.get(f"{DATA}/query", params={"q": query}, headers=headers)


async def records(client: httpx.AsyncClient, query: str) -> list[dict[str, Any]]:
    response = await soql(client, query)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()["records"]
    return found


def error_of(response: httpx.Response) -> dict[str, Any]:
    """The first Salesforce error of an error answer (asserting it has that shape)."""
    body = response.json()
    assert isinstance(body, list) and body, body
    assert set(body[0]) == {"message", "errorCode", "fields"}, body
    first: dict[str, Any] = body[0]
    return first


class ScriptedRandom(random.Random):
    """Draws the given numbers in turn (then 0.99, which injects no fault), counting draws."""

    def __init__(self, *draws: float) -> None:
        super().__init__(0)
        self.draws = list(draws)
        self.drawn = 0

    def random(self) -> float:
        self.drawn += 1
        return self.draws.pop(0) if self.draws else 0.99


async def count_accounts(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CrmAccount)) or 0)


async def count_tasks(database: Database) -> int:
    async with database.session() as session:
        return int(await session.scalar(select(func.count()).select_from(CrmTask)) or 0)
