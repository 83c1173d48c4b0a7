"""Customer activities through the CRM system API: history newest first, recording calls and
orders (once per external id), and 404s for customers and activities that do not exist."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from crm.support import GLOBEX, HEDY, UNKNOWN_ACCOUNT, UNKNOWN_TASK, count_tasks, records
from strata.db import Database
from system_apis.backends.crm.seed import world_rows
from system_apis.demo import DemoWorld


async def history(api: httpx.AsyncClient, customer: str, limit: int) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": limit} | ({"cursor": cursor} if cursor else {})
        response = await api.get(f"/customers/{customer}/activities", params=params)
        assert response.status_code == 200, response.text
        items.extend(response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return items


async def test_history_is_newest_first_and_complete(
    api: httpx.AsyncClient, world: DemoWorld
) -> None:
    tasks = [t for t in world_rows(world)[2] if t["what_id"] == GLOBEX]
    items = await history(api, GLOBEX, limit=2)
    assert sorted(i["id"] for i in items) == sorted(t["id"] for t in tasks)
    times = [i["occurred_at"] for i in items]
    assert times == sorted(times, reverse=True)
    assert all(i["customer_id"] == GLOBEX for i in items)
    orders = [i for i in items if i["kind"] == "order"]
    assert len(orders) == sum(o.customer_crm_id == GLOBEX for o in world.orders)


async def test_history_of_unknown_customers_is_404(api: httpx.AsyncClient) -> None:
    for raw in (UNKNOWN_ACCOUNT, "nope"):
        response = await api.get(f"/customers/{raw}/activities")
        assert response.status_code == 404
        assert response.json()["resource"] == "customer"


async def test_a_customer_without_activities_has_an_empty_history(
    api: httpx.AsyncClient,
) -> None:
    created = (await api.post("/customers", json={"name": "Quiet Co"})).json()
    response = await api.get(f"/customers/{created['id']}/activities")
    assert response.json() == {"items": [], "next_cursor": None, "total": None}


async def test_recording_an_activity(api: httpx.AsyncClient, sf: httpx.AsyncClient) -> None:
    response = await api.post(
        f"/customers/{HEDY}/activities",
        json={
            "kind": "call",
            "subject": "Asked about desks",
            "status": "in_progress",
            "occurred_at": "2030-01-02T23:30:00-05:00",
            "description": "Wants two.",
        },
    )
    assert response.status_code == 201, response.text
    activity = response.json()
    assert activity == {
        "id": activity["id"],
        "customer_id": HEDY,
        "kind": "call",
        "subject": "Asked about desks",
        "status": "in_progress",
        "occurred_at": "2030-01-03T04:30:00Z",
        "description": "Wants two.",
        "external_id": None,
    }
    location = response.headers["location"]
    assert location == f"/customers/{HEDY}/activities/{activity['id']}"
    assert (await api.get(location)).json() == activity
    assert (await history(api, HEDY, limit=50))[0] == activity
    (native,) = await records(
        sf, f"SELECT Type, Status, ActivityDate FROM Task WHERE Id = '{activity['id']}'"
    )
    assert (native["Type"], native["Status"], native["ActivityDate"]) == (
        "Call",
        "In Progress",
        "2030-01-03",
    )


async def test_an_activity_without_a_time_happened_now(api: httpx.AsyncClient) -> None:
    before = datetime.now(UTC)
    activity = (
        await api.post(
            f"/customers/{GLOBEX}/activities", json={"kind": "email", "subject": "Hello"}
        )
    ).json()
    occurred = datetime.fromisoformat(activity["occurred_at"])
    assert before.replace(microsecond=0) <= occurred <= datetime.now(UTC)
    assert activity["status"] == "completed"


async def test_the_same_external_id_records_once(api: httpx.AsyncClient, seeded: Database) -> None:
    body = {
        "kind": "order",
        "subject": "Order #5001",
        "external_id": "order-5001",
        "occurred_at": "2030-05-01T10:00:00Z",
    }
    first = await api.post(f"/customers/{GLOBEX}/activities", json=body)
    assert first.status_code == 201
    tasks = await count_tasks(seeded)
    again = await api.post(
        f"/customers/{GLOBEX}/activities", json=body | {"description": "Shipped"}
    )
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["description"] == "Shipped"
    assert again.json()["external_id"] == "order-5001"
    assert await count_tasks(seeded) == tasks


async def test_recording_for_an_unknown_customer_writes_nothing(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    tasks = await count_tasks(seeded)
    for body in (
        {"kind": "call", "subject": "x"},
        {"kind": "call", "subject": "x", "external_id": "lost-1"},
    ):
        response = await api.post(f"/customers/{UNKNOWN_ACCOUNT}/activities", json=body)
        assert response.status_code == 404, response.text
        assert response.json()["id"] == UNKNOWN_ACCOUNT
    assert await count_tasks(seeded) == tasks


async def test_bad_activities_are_422(api: httpx.AsyncClient, seeded: Database) -> None:
    tasks = await count_tasks(seeded)
    cases = [
        ({"kind": "telegram", "subject": "x"}, "kind"),
        ({"kind": "call"}, "subject"),
        ({"kind": "call", "subject": "x", "status": "done"}, "status"),
        ({"kind": "call", "subject": "x", "occurred_at": "2030-01-01T10:00:00"}, "occurred_at"),
        ({"kind": "call", "subject": "s" * 256}, "subject"),
        ({"kind": "call", "subject": "x", "occurred_at": "1600-01-01T00:00:00Z"}, "occurred_at"),
        (
            {"kind": "call", "subject": "x", "occurred_at": "0001-01-01T00:00:00+05:00"},
            "occurred_at",
        ),
        ({"kind": "call", "subject": "x", "description": "d" * 32001}, "description"),
    ]
    for body, field in cases:
        response = await api.post(f"/customers/{GLOBEX}/activities", json=body)
        assert response.status_code == 422, body
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count_tasks(seeded) == tasks


async def test_an_activity_belongs_to_its_customer(api: httpx.AsyncClient) -> None:
    activity = (
        await api.post(
            f"/customers/{GLOBEX}/activities", json={"kind": "meeting", "subject": "Review"}
        )
    ).json()
    assert (await api.get(f"/customers/{GLOBEX}/activities/{activity['id']}")).status_code == 200
    for customer, activity_id in (
        (HEDY, activity["id"]),
        (GLOBEX, UNKNOWN_TASK),
        (GLOBEX, "not-a-task"),
        (GLOBEX, GLOBEX),
    ):
        response = await api.get(f"/customers/{customer}/activities/{activity_id}")
        assert response.status_code == 404, (customer, activity_id)


async def test_another_customers_external_id_is_a_conflict_that_changes_nothing(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    body = {"kind": "order", "subject": "Order #7001", "external_id": "order-7001"}
    mine = await api.post(f"/customers/{GLOBEX}/activities", json=body)
    assert mine.status_code == 201, mine.text
    tasks = await count_tasks(seeded)

    theirs = await api.post(
        f"/customers/{HEDY}/activities",
        json=body | {"subject": "Taken over", "description": "Overwritten"},
    )

    assert theirs.status_code == 409, theirs.text
    assert theirs.headers["content-type"] == "application/problem+json"
    problem = theirs.json()
    assert problem["type"].endswith("/conflict")
    assert problem["field"] == "external_id"
    assert GLOBEX not in problem["detail"]  # nothing about the other customer
    kept = await api.get(f"/customers/{GLOBEX}/activities/{mine.json()['id']}")
    assert kept.json() == mine.json()
    assert await count_tasks(seeded) == tasks
    assert all(i["external_id"] != "order-7001" for i in await history(api, HEDY, limit=200))


async def test_the_owner_still_records_its_external_id_again(api: httpx.AsyncClient) -> None:
    body = {"kind": "order", "subject": "Order #7002", "external_id": "order-7002"}
    first = await api.post(f"/customers/{GLOBEX}/activities", json=body)
    refused = await api.post(f"/customers/{HEDY}/activities", json=body)
    # The 15-character form of the id names the same customer.
    again = await api.post(
        f"/customers/{GLOBEX[:15]}/activities", json=body | {"status": "waiting"}
    )
    assert (first.status_code, refused.status_code, again.status_code) == (201, 409, 200)
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["status"] == "waiting"
