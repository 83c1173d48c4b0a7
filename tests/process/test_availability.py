"""Availability: what each store has now, and the nearest one that has enough."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import FastAPI

from process.support import Stack, location_ids, set_available
from process_apis.inventory.app import create_api
from process_apis.inventory.geo import haversine_km
from strata.http import in_process, layer_client
from strata.settings import FaultSettings

BASE = "/process/availability/v1"
SKU = "FUR-001-GRA"  # stocked in all four locations
DOWNTOWN_SF = (37.7793, -122.4193)
SAN_JOSE_AIRPORT = (37.3639, -121.9289)


@pytest.fixture
async def availability(stack: Stack) -> AsyncIterator[httpx.AsyncClient]:
    root = FastAPI()
    root.mount(BASE, create_api(stack.clients, stack.database))
    async with layer_client("http://process.test", in_process(root)) as client:
        yield client


def test_haversine_matches_known_distances() -> None:
    assert haversine_km(0, 0, 0, 0) == 0
    # San Francisco City Hall to Los Angeles City Hall: about 559 km.
    assert 555 < haversine_km(37.7793, -122.4193, 34.0537, -118.2428) < 563
    # A quarter of the equator.
    assert abs(haversine_km(0, 0, 0, 90) - 10007.5) < 1
    assert haversine_km(90, 0, -90, 0) == pytest.approx(20015.1, abs=1)


async def test_levels_per_location_and_the_nearest_store(
    stack: Stack, availability: httpx.AsyncClient
) -> None:
    response = await availability.get(
        f"{BASE}/availability/{SKU}", params={"lat": DOWNTOWN_SF[0], "lon": DOWNTOWN_SF[1]}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    codes = [row["code"] for row in body["locations"]]
    assert codes == ["SFO-1", "OAK-1", "SJC-1", "WH-SAC"]
    distances = [row["distance_km"] for row in body["locations"]]
    assert distances == sorted(distances)
    assert body["nearest"]["code"] == "SFO-1"
    on_hand = {s.location_code: s.on_hand for s in stack.world.stock if s.sku == SKU}
    assert {row["code"]: row["available"] for row in body["locations"]} == on_hand
    assert body["total_available"] == sum(on_hand.values())
    assert body["product"]["price"]["currency"] == "USD"


async def test_the_nearest_skips_stores_without_enough(
    stack: Stack, availability: httpx.AsyncClient
) -> None:
    locations = await location_ids(stack)
    await set_available(stack, SKU, locations["SJC-1"], 0)

    response = await availability.get(
        f"{BASE}/availability/{SKU}",
        params={"lat": SAN_JOSE_AIRPORT[0], "lon": SAN_JOSE_AIRPORT[1]},
    )

    body = response.json()
    assert body["locations"][0]["code"] == "SJC-1"
    assert body["locations"][0]["can_fulfil"] is False
    assert body["nearest"]["code"] != "SJC-1"
    assert (
        body["nearest"]["code"]
        == min(
            (row for row in body["locations"] if row["available"] > 0),
            key=lambda row: row["distance_km"],
        )["code"]
    )

    many = await availability.get(
        f"{BASE}/availability/{SKU}",
        params={"lat": SAN_JOSE_AIRPORT[0], "lon": SAN_JOSE_AIRPORT[1], "quantity": 100},
    )
    assert many.json()["nearest"]["code"] == "WH-SAC"


async def test_measuring_from_a_store(stack: Stack, availability: httpx.AsyncClient) -> None:
    locations = await location_ids(stack)

    response = await availability.get(
        f"{BASE}/availability/{SKU}", params={"location_id": locations["OAK-1"], "quantity": 15}
    )

    body = response.json()
    assert body["origin"]["location_id"] == locations["OAK-1"]
    assert body["locations"][0]["code"] == "OAK-1"
    assert body["locations"][0]["distance_km"] == 0
    assert body["nearest"]["code"] == "SFO-1"  # OAK-1 has 11, fewer than 15


async def test_without_an_origin_most_available_first(
    availability: httpx.AsyncClient,
) -> None:
    body = (await availability.get(f"{BASE}/availability/{SKU}")).json()

    assert body["nearest"] is None and body["origin"] is None
    available = [row["available"] for row in body["locations"]]
    assert available == sorted(available, reverse=True)


async def test_an_unknown_sku_is_404(availability: httpx.AsyncClient) -> None:
    response = await availability.get(f"{BASE}/availability/NOPE-404")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"lat": 91, "lon": 0}, "lat"),
        ({"lat": 10, "lon": -181}, "lon"),
        ({"lat": 10}, "lon"),
        ({"lon": 10}, "lat"),
        ({"lat": "north", "lon": 0}, "lat"),
        ({"quantity": 0}, "quantity"),
        ({"lat": 1, "lon": 1, "location_id": "1"}, "location_id"),
        ({"location_id": "999999"}, "location_id"),
    ],
)
async def test_bad_queries_are_422_naming_the_parameter(
    availability: httpx.AsyncClient, params: dict[str, str | int | float], field: str
) -> None:
    response = await availability.get(f"{BASE}/availability/{SKU}", params=params)

    assert response.status_code == 422, response.text
    assert field in [error["field"] for error in response.json()["errors"]]


async def test_the_inventory_system_down_is_503(
    stack: Stack, availability: httpx.AsyncClient
) -> None:
    stack.faults["inventory"].set(FaultSettings(outage=True))

    response = await availability.get(f"{BASE}/availability/{SKU}")

    assert response.status_code == 503
    assert response.json()["system"] == "inventory"
