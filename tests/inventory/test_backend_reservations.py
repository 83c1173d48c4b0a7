"""Reservations in the store: holding, committing, releasing and expiring units."""

from __future__ import annotations

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


async def _act(shop: httpx.AsyncClient, reservation_id: int, action: str) -> httpx.Response:
    return await shop.post(f"{API}/reservations/{reservation_id}/{action}.json")


async def test_reserving_moves_units_from_available_to_reserved(
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    response = await _reserve(shop, 4, expires_in=600)
    assert response.status_code == 201
    reservation = response.json()["reservation"]
    assert (reservation["status"], reservation["quantity"]) == ("open", 4)
    assert reservation["expires_at"] == "2026-03-02T09:40:00-08:00"  # shop time, 10 min on
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.on_hand) == (6, 4, 10)
    assert_balanced(level)


async def test_too_few_units_is_422_naming_the_item_and_what_is_available(
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 3)
    response = await _reserve(shop, 4)
    assert response.status_code == 422
    assert response.json() == {
        "errors": {
            "quantity": [
                f"is greater than the available quantity (3) of inventory item {ITEM} at location "
                f"{WAREHOUSE}"
            ]
        }
    }
    assert (await read_level(seeded)).available == 3


async def test_the_same_external_id_returns_the_same_reservation(
    shop: httpx.AsyncClient,
    seeded: Database,
) -> None:
    await set_available(shop, 10)
    first = await _reserve(shop, 2, external_id="order-7")
    again = await _reserve(shop, 2, external_id="order-7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert (await read_level(seeded)).available == 8

    other = await _reserve(shop, 3, external_id="order-7")
    assert other.status_code == 422
    assert "has already been taken" in other.json()["errors"]["external_id"][0]


async def test_commit_keeps_the_units_and_can_be_repeated(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    reservation_id = (await _reserve(shop, 3)).json()["reservation"]["id"]
    for _ in range(2):
        response = await _act(shop, reservation_id, "commit")
        assert response.status_code == 200
        assert response.json()["reservation"]["status"] == "committed"
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.committed) == (7, 0, 3)

    clock.advance(days=2)  # a committed reservation never expires
    assert await sweep_expired_reservations(seeded, clock) == 0
    read = await shop.get(f"{API}/reservations/{reservation_id}.json")
    assert read.json()["reservation"]["status"] == "committed"


async def test_release_gives_units_back_once(shop: httpx.AsyncClient, seeded: Database) -> None:
    await set_available(shop, 10)
    held = (await _reserve(shop, 3)).json()["reservation"]["id"]
    committed = (await _reserve(shop, 2)).json()["reservation"]["id"]
    await _act(shop, committed, "commit")
    for reservation_id in (held, committed, held, committed):
        response = await _act(shop, reservation_id, "release")
        assert response.status_code == 200
        assert response.json()["reservation"]["status"] == "released"
    level = await read_level(seeded)
    assert (level.available, level.reserved, level.committed, level.on_hand) == (10, 0, 0, 10)

    refused = await _act(shop, held, "commit")
    assert refused.status_code == 422
    assert refused.json() == {
        "errors": {"base": [f"Reservation {held} is released and cannot be committed"]}
    }


async def test_an_expired_hold_gives_its_units_back_when_touched(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    reservation_id = (await _reserve(shop, 4, expires_in=60)).json()["reservation"]["id"]
    clock.advance(seconds=60)
    read = await shop.get(f"{API}/reservations/{reservation_id}.json")
    assert read.json()["reservation"]["status"] == "expired"
    assert (await read_level(seeded)).available == 10

    assert (await _act(shop, reservation_id, "commit")).status_code == 422
    released = await _act(shop, reservation_id, "release")
    assert released.json()["reservation"]["status"] == "expired"
    level = await read_level(seeded)
    assert (level.available, level.reserved) == (10, 0)  # given back once, not twice


async def test_reading_a_level_settles_expired_holds(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    await _reserve(shop, 4, expires_in=60)
    clock.advance(minutes=5)
    response = await shop.get(
        f"{API}/inventory_levels.json",
        params={"inventory_item_ids": str(ITEM), "location_ids": str(WAREHOUSE)},
    )
    [level] = response.json()["inventory_levels"]
    assert level["available"] == 10


async def test_the_sweep_expires_every_due_hold(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 10)
    await _reserve(shop, 1, expires_in=60)
    await _reserve(shop, 2, expires_in=120)
    await _reserve(shop, 3, expires_in=3600)
    clock.advance(seconds=150)
    assert await sweep_expired_reservations(seeded, clock) == 2
    assert await sweep_expired_reservations(seeded, clock) == 0
    level = await read_level(seeded)
    assert (level.available, level.reserved) == (7, 3)

    listed = await shop.get(RESERVATIONS, params={"status": "expired"})
    assert sorted(r["quantity"] for r in listed.json()["reservations"]) == [1, 2]


async def test_an_expired_hold_frees_units_for_a_new_one(
    shop: httpx.AsyncClient,
    seeded: Database,
    clock: FakeClock,
) -> None:
    await set_available(shop, 5)
    await _reserve(shop, 5, expires_in=60)
    assert (await _reserve(shop, 5)).status_code == 422
    clock.advance(seconds=61)
    assert (await _reserve(shop, 5)).status_code == 201
    level = await read_level(seeded)
    assert (level.available, level.reserved) == (0, 5)


async def test_expiry_must_be_in_the_next_30_days(shop: httpx.AsyncClient) -> None:
    cases = (
        ({"expires_at": "2026-03-02T09:00:00-08:00"}, "expires_at"),
        ({"expires_at": "2026-05-02T09:00:00-08:00"}, "expires_at"),
        ({"expires_at": "2026-03-02T10:00:00"}, "expires_at"),  # no offset: ambiguous
        ({"expires_in": 0}, "expires_in"),
        ({"expires_in": 60, "expires_at": "2026-03-02T10:00:00-08:00"}, "base"),
    )
    for extra, field in cases:
        response = await _reserve(shop, 1, **extra)
        assert response.status_code == 422, extra
        assert field in response.json()["errors"], extra


async def test_an_explicit_expiry_is_kept(shop: httpx.AsyncClient) -> None:
    response = await _reserve(shop, 1, expires_at="2026-03-03T12:00:00+01:00")
    assert response.json()["reservation"]["expires_at"] == "2026-03-03T03:00:00-08:00"


async def test_reservation_refusals(shop: httpx.AsyncClient) -> None:
    unknown_item = await shop.post(
        RESERVATIONS,
        json={"reservation": {"inventory_item_id": 5, "location_id": WAREHOUSE, "quantity": 1}},
    )
    assert unknown_item.json() == {"errors": {"inventory_item_id": ["does not exist"]}}
    unknown_location = await shop.post(
        RESERVATIONS,
        json={"reservation": {"inventory_item_id": ITEM, "location_id": 5, "quantity": 1}},
    )
    assert unknown_location.json() == {"errors": {"location_id": ["does not exist"]}}
    zero = await _reserve(shop, 0)
    assert zero.json() == {"errors": {"quantity": ["must be greater than or equal to 1"]}}
    no_root = await shop.post(RESERVATIONS, json={"quantity": 1})
    assert no_root.status_code == 400
    assert no_root.json() == {"errors": {"reservation": "Required parameter missing or invalid"}}
    for path in (
        "/reservations/999.json",
        "/reservations/x.json",
        "/reservations/999/commit.json",
        "/reservations/999/release.json",
    ):
        method = "GET" if path.endswith("999.json") or path.endswith("x.json") else "POST"
        response = await shop.request(method, API + path)
        assert response.status_code == 404, path
        assert response.json() == {"errors": "Not Found"}
