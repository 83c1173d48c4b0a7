"""Requests racing for the same units, on SQLite and PostgreSQL: no unit is taken twice and no
unit is given back twice."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx

from inventory.support import (
    API,
    ITEM,
    WAREHOUSE,
    FakeClock,
    assert_balanced,
    read_level,
    set_available,
)
from strata.db import Database
from system_apis.backends.inventory import sweep_expired_reservations

RESERVATIONS = f"{API}/reservations.json"


async def _reserve(shop: httpx.AsyncClient, quantity: int = 1, **extra: object) -> httpx.Response:
    body = {"inventory_item_id": ITEM, "location_id": WAREHOUSE, "quantity": quantity, **extra}
    return await shop.post(RESERVATIONS, json={"reservation": body})


async def test_fifty_reservations_race_for_ten_units(
    shop: httpx.AsyncClient, seeded: Database
) -> None:
    await set_available(shop, 10)
    responses = await asyncio.gather(*(_reserve(shop) for _ in range(50)))
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 10, 422: 40}
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.on_hand) == (0, 10, 10)
    assert_balanced(level)
    ids = {r.json()["reservation"]["id"] for r in responses if r.status_code == 201}
    assert len(ids) == 10


async def test_one_external_id_sent_twenty_times_at_once_reserves_once(
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    responses = await asyncio.gather(*(_reserve(shop, 3, external_id="cart-42") for _ in range(20)))
    assert Counter(r.status_code for r in responses) == {201: 1, 200: 19}
    assert len({r.json()["reservation"]["id"] for r in responses}) == 1
    level = await read_level(seeded)
    assert (level.available, level.reserved) == (7, 3)


async def test_commit_and_release_racing_settle_every_unit_once(
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    created = [await _reserve(shop) for _ in range(10)]
    ids = [response.json()["reservation"]["id"] for response in created]
    actions = [
        shop.post(f"{API}/reservations/{reservation_id}/{action}.json")
        for reservation_id in ids
        for action in ("commit", "release", "commit", "release")
    ]
    responses = await asyncio.gather(*actions)
    assert {response.status_code for response in responses} <= {200, 422}
    # Whatever the order, each reservation ends released: a release after a commit is allowed,
    # a commit after a release is refused.
    for reservation_id in ids:
        read = await shop.get(f"{API}/reservations/{reservation_id}.json")
        assert read.json()["reservation"]["status"] == "released"
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.committed, level.on_hand) == (10, 0, 0, 10)


async def test_racing_expiries_give_units_back_once(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    ids = [(await _reserve(shop, 1, expires_in=30)).json()["reservation"]["id"] for _ in range(8)]
    clock.advance(minutes=1)
    work = [sweep_expired_reservations(seeded, clock) for _ in range(4)]
    reads = [shop.get(f"{API}/reservations/{reservation_id}.json") for reservation_id in ids]
    releases = [
        shop.post(f"{API}/reservations/{reservation_id}/release.json") for reservation_id in ids
    ]
    results = await asyncio.gather(*work, *reads, *releases)
    assert sum(count for count in results[:4] if isinstance(count, int)) <= 8
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.on_hand) == (10, 0, 10)
    for reservation_id in ids:
        read = await shop.get(f"{API}/reservations/{reservation_id}.json")
        assert read.json()["reservation"]["status"] == "expired"
