"""Strings through the CRM system API: control characters and lone surrogates are refused with
422 naming the field, free text keeps its lines, and a record that holds such a character in
the CRM itself is a 502 naming the record and field instead of reaching another system."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm.support import DATA, GLOBEX, count_accounts, count_tasks
from strata.db import Database

PROBLEM = "application/problem+json"


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    return body


def raw_json(text: str) -> dict[str, Any]:
    # A body with JSON escapes of our choosing (httpx cannot encode a lone surrogate).
    return {"content": text.encode(), "headers": {"content-type": "application/json"}}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "Acme\x01 Corp"}, "name"),
        ({"name": "Acme", "phone": "555\x7f"}, "phone"),
        ({"name": "Acme", "industry": "Retail\nFood"}, "industry"),
        ({"name": "Acme", "billing_address": {"city": "Oak\tland"}}, "billing_address.city"),
        ({"name": "Acme", "billing_address": {"street": "1 Main\x1b"}}, "billing_address.street"),
        ({"name": "Acme", "external_id": "E\x12-1"}, "external_id"),
        ({"kind": "person", "first_name": "Ada\x00", "last_name": "L"}, "first_name"),
    ],
)
async def test_control_characters_in_a_customer_are_422_naming_the_field(
    api: httpx.AsyncClient, seeded: Database, body: dict[str, Any], field: str
) -> None:
    problem = problem_of(await api.post("/customers", json=body), 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert "control character" in problem["errors"][0]["message"]
    assert await count_accounts(seeded) == 60


async def test_a_lone_surrogate_is_422_naming_the_field(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    response = await api.post("/customers", **raw_json('{"name": "Acme \\ud800"}'))
    problem = problem_of(response, 422)
    # Refused while the JSON is read, before the canonical rule (which holds for data that
    # comes some other way); either way the error names the field.
    assert [(e["field"], e["in"]) for e in problem["errors"]] == [("name", "body")]
    assert await count_accounts(seeded) == 60


async def test_a_change_with_a_control_character_changes_nothing(api: httpx.AsyncClient) -> None:
    before = (await api.get(f"/customers/{GLOBEX}")).json()
    problem = problem_of(await api.patch(f"/customers/{GLOBEX}", json={"name": "G\x02"}), 422)
    assert [error["field"] for error in problem["errors"]] == ["name"]
    assert (await api.get(f"/customers/{GLOBEX}")).json() == before


async def test_an_external_id_in_the_path_is_checked_too(
    api: httpx.AsyncClient, seeded: Database
) -> None:
    response = await api.put("/customers/by-external-id/E%01-1", json={"name": "Acme"})
    problem = problem_of(response, 422)
    assert problem["errors"] == [
        {
            "field": "external_id",
            "in": "path",
            "message": "has a control character (U+0001 at index 1)",
        }
    ]
    assert await count_accounts(seeded) == 60


@pytest.mark.parametrize("params", [{"name": "Glo\x01"}, {"city": "Oak\nland"}])
async def test_a_filter_with_a_control_character_is_422(
    api: httpx.AsyncClient, params: dict[str, str]
) -> None:
    problem = problem_of(await api.get("/customers", params=params), 422)
    assert [(e["field"], e["in"]) for e in problem["errors"]] == [(next(iter(params)), "query")]


async def test_unicode_names_and_street_lines_pass(api: httpx.AsyncClient) -> None:
    body = {
        "name": "שלום Trading 🎉",
        "billing_address": {"street": "1 Market St\nSuite 200", "city": "São Paulo"},
    }
    response = await api.post("/customers", json=body)
    assert response.status_code == 201, response.text
    customer = (await api.get(f"/customers/{response.json()['id']}")).json()
    assert customer["name"] == body["name"]
    assert customer["billing_address"]["street"] == "1 Market St\nSuite 200"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "call", "subject": "Call\nback"}, "subject"),
        ({"kind": "call", "subject": "x", "description": "bell\x07"}, "description"),
        ({"kind": "call", "subject": "x", "external_id": "order\x00"}, "external_id"),
    ],
)
async def test_control_characters_in_an_activity_are_422(
    api: httpx.AsyncClient, seeded: Database, body: dict[str, Any], field: str
) -> None:
    tasks = await count_tasks(seeded)
    problem = problem_of(await api.post(f"/customers/{GLOBEX}/activities", json=body), 422)
    assert [error["field"] for error in problem["errors"]] == [field]
    assert await count_tasks(seeded) == tasks


async def test_a_description_keeps_tabs_and_lines(api: httpx.AsyncClient) -> None:
    description = "Lines:\n\t1. desk\r\n\t2. chair"
    response = await api.post(
        f"/customers/{GLOBEX}/activities",
        json={"kind": "call", "subject": "Order call", "description": description},
    )
    assert response.status_code == 201, response.text
    assert response.json()["description"] == description


# --- data put into the CRM directly -----------------------------------------------------


async def set_native(sf: httpx.AsyncClient, sobject: str, record_id: str, **fields: Any) -> None:
    response = await sf.patch(f"{DATA}/sobjects/{sobject}/{record_id}", json=fields)
    assert response.status_code == 204, response.text


def assert_names_the_record(
    problem: dict[str, Any], resource: str, record: str, field: str
) -> None:
    assert problem["type"].endswith("/invalid-backend-data")
    assert (problem["system"], problem["resource"]) == ("crm", resource)
    assert (problem["id"], problem["field"]) == (record, field)
    assert f"{resource} {record}" in problem["detail"]
    assert f"its {field} has a control character" in problem["detail"]


async def test_a_customer_with_a_control_character_in_the_crm_is_a_clear_502(
    api: httpx.AsyncClient, sf: httpx.AsyncClient
) -> None:
    await set_native(sf, "Account", GLOBEX, Name="Globex\x01Energy")
    problem = problem_of(await api.get(f"/customers/{GLOBEX}"), 502)
    assert_names_the_record(problem, "customer", GLOBEX, "name")
    listed = problem_of(await api.get("/customers", params={"limit": 5}), 502)
    assert_names_the_record(listed, "customer", GLOBEX, "name")


async def test_a_change_can_correct_such_a_customer(
    api: httpx.AsyncClient, sf: httpx.AsyncClient
) -> None:
    await set_native(sf, "Account", GLOBEX, Name="Globex\x01Energy")
    response = await api.patch(f"/customers/{GLOBEX}", json={"name": "Globex Energy"})
    assert response.status_code == 200, response.text
    assert (await api.get(f"/customers/{GLOBEX}")).json()["name"] == "Globex Energy"


async def test_a_nested_field_is_named_with_its_path(
    api: httpx.AsyncClient, sf: httpx.AsyncClient
) -> None:
    await set_native(sf, "Account", GLOBEX, BillingCity="Oak\x1fland")
    problem = problem_of(await api.get(f"/customers/{GLOBEX}"), 502)
    assert_names_the_record(problem, "customer", GLOBEX, "billing_address.city")


async def test_an_activity_with_a_control_character_in_the_crm_is_a_clear_502(
    api: httpx.AsyncClient, sf: httpx.AsyncClient
) -> None:
    activity = (
        await api.post(f"/customers/{GLOBEX}/activities", json={"kind": "call", "subject": "Hi"})
    ).json()
    await set_native(sf, "Task", activity["id"], Subject="Hi\x0cthere")
    problem = problem_of(await api.get(f"/customers/{GLOBEX}/activities/{activity['id']}"), 502)
    assert_names_the_record(problem, "activity", activity["id"], "subject")
