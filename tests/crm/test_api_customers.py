"""The CRM system API's customers over the in-process CRM: canonical customers, paging,
filters passed as escaped SOQL, writes, and problem+json for every error."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from crm.support import GLOBEX, HEDY, UNKNOWN_ACCOUNT, count_accounts, records
from strata.db import Database
from system_apis.demo import DemoWorld

PROBLEM = "application/problem+json"


def problem_of(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def fields_of(problem: dict[str, Any]) -> list[str]:
    return [error["field"] for error in problem["errors"]]


async def all_pages(api: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = params | ({"cursor": cursor} if cursor else {})
        response = await api.get("/customers", params=query)
        assert response.status_code == 200, response.text
        page = response.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_a_customer_in_the_canonical_model(api: httpx.AsyncClient, world: DemoWorld) -> None:
    globex = world.customers[0]
    response = await api.get(f"/customers/{GLOBEX}")
    assert response.status_code == 200
    assert response.json() == {
        "id": GLOBEX,
        "kind": "company",
        "name": globex.display_name,
        "first_name": None,
        "last_name": None,
        "email": globex.email,
        "phone": globex.phone,
        "industry": globex.industry,
        "billing_address": {
            "street": globex.street,
            "city": globex.city,
            "state": globex.state,
            "postal_code": globex.postal_code,
            "country": "US",
        },
        "active": globex.active,
        "created_at": globex.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "updated_at": globex.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }
    person = (await api.get(f"/customers/{HEDY[:15]}")).json()
    assert person["id"] == HEDY and person["kind"] == "person" and person["first_name"]


async def test_ids_that_name_no_customer_are_404(api: httpx.AsyncClient) -> None:
    for raw in (UNKNOWN_ACCOUNT, "not-an-id", "003Dn0000000001IAA", "001Dn0000000001IAB"):
        problem = problem_of(await api.get(f"/customers/{raw}"), 404)
        assert problem["resource"] == "customer" and problem["id"] == raw


async def test_paging_visits_every_customer_once(api: httpx.AsyncClient, world: DemoWorld) -> None:
    items = await all_pages(api, limit=7)
    assert [c["id"] for c in items] == sorted(c.crm_id for c in world.customers)
    first = (await api.get("/customers")).json()
    assert len(first["items"]) == 50 and first["next_cursor"]


async def test_filters(api: httpx.AsyncClient, world: DemoWorld) -> None:
    def ids(items: list[dict[str, Any]]) -> set[str]:
        return {item["id"] for item in items}

    assert ids(await all_pages(api, name="HOSPITALITY")) == {
        c.crm_id for c in world.customers if "hospitality" in c.display_name.lower()
    }
    assert ids(await all_pages(api, city="oakland")) == {
        c.crm_id for c in world.customers if c.city == "Oakland"
    }
    assert ids(await all_pages(api, industry="Retail")) == {
        c.crm_id for c in world.customers if c.industry == "Retail"
    }
    inactive = {c.crm_id for c in world.customers if not c.active}
    assert inactive and ids(await all_pages(api, active=False)) == inactive
    assert ids(await all_pages(api, active=True)) == {c.crm_id for c in world.customers} - inactive
    assert ids(await all_pages(api, kind="person")) == {
        c.crm_id for c in world.customers if c.is_person
    }
    both = await all_pages(api, city="Oakland", kind="company", limit=2)
    assert ids(both) == {
        c.crm_id for c in world.customers if c.city == "Oakland" and not c.is_person
    }


async def test_updated_since_finds_recent_changes(api: httpx.AsyncClient) -> None:
    changed = (await api.patch(f"/customers/{GLOBEX}", json={"phone": "+1-510-555-0000"})).json()
    found = await all_pages(api, updated_since=changed["updated_at"])
    assert [c["id"] for c in found] == [GLOBEX]
    assert len(await all_pages(api, updated_since="2025-01-01T00:00:00Z")) == 60
    # Times beyond what the CRM can hold compare as its first and last moments.
    assert len(await all_pages(api, updated_since="0001-01-01T00:00:00+05:00")) == 60
    assert await all_pages(api, updated_since="9999-12-31T23:59:59-05:00") == []


@pytest.mark.parametrize(
    "name", ["O'Brien's Deli", "100% Cotton", "Under_score", "Back\\slash", 'Quote"d']
)
async def test_names_with_soql_characters_are_found_literally(
    api: httpx.AsyncClient, name: str
) -> None:
    created = await api.post("/customers", json={"name": name})
    assert created.status_code == 201, created.text
    decoy = name.replace("'", "x").replace("%", "x").replace("_", "x").replace("\\", "x")
    await api.post("/customers", json={"name": decoy.replace('"', "x") + " decoy"})
    found = await all_pages(api, name=name)
    assert [c["name"] for c in found] == [name]
    found = await all_pages(api, name=name[3:])
    assert [c["name"] for c in found] == [name]


async def test_bad_list_parameters_are_422(api: httpx.AsyncClient) -> None:
    cases: list[dict[str, str | int]] = [
        {"limit": 0},
        {"limit": 201},
        {"limit": "many"},
        {"active": "perhaps"},
        {"updated_since": "2025-01-01T00:00:00"},
        {"kind": "robot"},
        {"cursor": "garbage"},
        {"cursor": "eyJvZmZzZXQiOiAyfQ"},
        {"name": ""},
        {"name": "a\x00b"},
    ]
    for params in cases:
        problem = problem_of(await api.get("/customers", params=params), 422)
        assert fields_of(problem) == [next(iter(params))], params


async def test_creating_a_company(api: httpx.AsyncClient, sf: httpx.AsyncClient) -> None:
    response = await api.post(
        "/customers",
        json={
            "name": "Initech Technology LLC",
            "email": "buy@initech.example.com",
            "industry": "Technology",
            "external_id": "ERP-C-1",
            "billing_address": {"city": "Austin", "state": "TX", "country": "US"},
        },
    )
    assert response.status_code == 201
    customer = response.json()
    assert response.headers["location"] == f"/customers/{customer['id']}"
    assert (await api.get(response.headers["location"])).json() == customer
    assert customer["kind"] == "company" and customer["active"] is True
    (native,) = await records(
        sf,
        f"SELECT Email__c, BillingCountry, External_Id__c, Active__c FROM Account "
        f"WHERE Id = '{customer['id']}'",
    )
    assert (
        native["Email__c"],
        native["BillingCountry"],
        native["External_Id__c"],
        native["Active__c"],
    ) == ("buy@initech.example.com", "United States", "ERP-C-1", "Yes")


async def test_creating_people(api: httpx.AsyncClient, sf: httpx.AsyncClient) -> None:
    named = (
        await api.post(
            "/customers",
            json={
                "kind": "person",
                "first_name": "Grace",
                "last_name": "Hopper",
                "email": "grace@example.com",
            },
        )
    ).json()
    assert (named["name"], named["email"]) == ("Grace Hopper", "grace@example.com")
    (native,) = await records(
        sf, f"SELECT PersonEmail, Email__c FROM Account WHERE Id = '{named['id']}'"
    )
    assert (native["PersonEmail"], native["Email__c"]) == ("grace@example.com", None)
    split = (await api.post("/customers", json={"kind": "person", "name": "Alan M Turing"})).json()
    assert (split["first_name"], split["last_name"]) == ("Alan M", "Turing")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "x@example.com"}, "name"),
        ({"name": "Co", "first_name": "A"}, "first_name"),
        ({"kind": "person", "first_name": "A"}, "last_name"),
        ({"name": "Co", "email": "nope"}, "email"),
        ({"name": "x" * 256}, "name"),
        ({"name": "Co", "billing_address": {"country": "USA"}}, "billing_address.country"),
        ({"name": "Co", "billing_address": {"city": "c" * 41}}, "billing_address.city"),
        ({"name": "Co", "kind": "robot"}, "kind"),
        ({"name": "Co", "active": "sometimes"}, "active"),
        ({"name": "Co", "id": "001Dn0000000001IAA"}, "id"),
        ({"name": 12}, "name"),
    ],
)
async def test_bad_customers_are_422_naming_the_field(
    api: httpx.AsyncClient, seeded: Database, body: dict[str, Any], field: str
) -> None:
    problem = problem_of(await api.post("/customers", json=body), 422)
    assert field in fields_of(problem)
    assert await count_accounts(seeded) == 60


async def test_malformed_json_is_422(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/customers", content=b"{name:", headers={"content-type": "application/json"}
    )
    problem_of(response, 422)


async def test_a_taken_external_id_is_a_conflict(api: httpx.AsyncClient, seeded: Database) -> None:
    problem = problem_of(
        await api.post("/customers", json={"name": "Copy", "external_id": "CUST-00001"}), 409
    )
    assert problem["field"] == "external_id"
    assert await count_accounts(seeded) == 60


async def test_partial_updates(api: httpx.AsyncClient, sf: httpx.AsyncClient) -> None:
    before = (await api.get(f"/customers/{GLOBEX}")).json()
    response = await api.patch(
        f"/customers/{GLOBEX}",
        json={
            "email": "sales@globex.example.com",
            "industry": None,
            "billing_address": {"city": "Oakland"},
        },
    )
    assert response.status_code == 200
    after = response.json()
    assert after["email"] == "sales@globex.example.com" and after["industry"] is None
    assert after["billing_address"] == before["billing_address"] | {"city": "Oakland"}
    assert after["name"] == before["name"] and after["updated_at"] > before["updated_at"]
    person = (
        await api.patch(
            f"/customers/{HEDY}", json={"email": "hedy@example.com", "last_name": "Lamarr"}
        )
    ).json()
    assert person["email"] == "hedy@example.com" and person["name"].endswith(" Lamarr")
    (native,) = await records(sf, f"SELECT PersonEmail, Email__c FROM Account WHERE Id = '{HEDY}'")
    assert (native["PersonEmail"], native["Email__c"]) == ("hedy@example.com", None)
    unchanged = await api.patch(f"/customers/{GLOBEX}", json={})
    assert unchanged.json() == after


@pytest.mark.parametrize(
    ("customer", "body", "field"),
    [
        (GLOBEX, {"first_name": "A"}, "first_name"),
        (HEDY, {"name": "Someone"}, "name"),
        (GLOBEX, {"name": None}, "name"),
        (HEDY, {"last_name": None}, "last_name"),
        (GLOBEX, {"active": None}, "active"),
        (GLOBEX, {"kind": "person"}, "kind"),
        (GLOBEX, {"email": "bad"}, "email"),
    ],
)
async def test_bad_updates_are_422(
    api: httpx.AsyncClient, customer: str, body: dict[str, Any], field: str
) -> None:
    before = (await api.get(f"/customers/{customer}")).json()
    problem = problem_of(await api.patch(f"/customers/{customer}", json=body), 422)
    assert fields_of(problem) == [field]
    assert (await api.get(f"/customers/{customer}")).json() == before


async def test_updating_an_unknown_customer_is_404(api: httpx.AsyncClient) -> None:
    problem_of(await api.patch(f"/customers/{UNKNOWN_ACCOUNT}", json={"phone": "1"}), 404)
    problem_of(await api.patch("/customers/nope", json={"phone": "1"}), 404)


async def test_upsert_by_external_id(api: httpx.AsyncClient, seeded: Database) -> None:
    url = "/customers/by-external-id/ERP%2FC%2F9"
    created = await api.put(url, json={"name": "Vandelay Industries", "phone": "555"})
    assert created.status_code == 201
    customer = created.json()
    assert created.headers["location"] == f"/customers/{customer['id']}"
    replaced = await api.put(url, json={"name": "Vandelay Imports"})
    assert replaced.status_code == 200 and "location" not in replaced.headers
    assert replaced.json()["id"] == customer["id"]
    assert replaced.json()["name"] == "Vandelay Imports" and replaced.json()["phone"] is None
    assert await count_accounts(seeded) == 61
    seeded_one = await api.put(
        "/customers/by-external-id/CUST-00001", json={"name": "Globex Renamed"}
    )
    assert seeded_one.status_code == 200 and seeded_one.json()["id"] == GLOBEX


async def test_upsert_cannot_change_the_kind(api: httpx.AsyncClient) -> None:
    problem = problem_of(
        await api.put(
            "/customers/by-external-id/CUST-00001", json={"kind": "person", "last_name": "Nobody"}
        ),
        422,
    )
    assert fields_of(problem) == ["kind"]


async def test_upsert_input_is_checked(api: httpx.AsyncClient) -> None:
    long_id = "k" * 256
    problem = problem_of(
        await api.put(f"/customers/by-external-id/{long_id}", json={"name": "X"}), 422
    )
    assert fields_of(problem) == ["external_id"]
    problem = problem_of(await api.put("/customers/by-external-id/E-1", json={}), 422)
    assert fields_of(problem) == ["name"]


async def test_the_openapi_document_describes_every_route(api: httpx.AsyncClient) -> None:
    document = (await api.get("/openapi.json")).json()
    assert document["servers"] == [{"url": "/system/crm/v1"}]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            statuses = set(operation["responses"])
            assert {"502", "503", "504"} <= statuses, (method, path)
    assert (await api.get("/docs")).status_code == 200
