"""The CRM stand-in's sobjects resource: create, read, update, delete and upsert records as
Salesforce does, and refuse bad input with Salesforce's own errors, writing nothing."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from crm.support import DATA, GLOBEX, HEDY, UNKNOWN_ACCOUNT, count_accounts, error_of, records
from strata.db import Database

ACCOUNTS = f"{DATA}/sobjects/Account"
TASKS = f"{DATA}/sobjects/Task"


async def create(sf: httpx.AsyncClient, sobject: str, body: dict[str, Any]) -> str:
    response = await sf.post(f"{DATA}/sobjects/{sobject}", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["success"] is True and response.json()["errors"] == []
    record_id: str = response.json()["id"]
    return record_id


async def read(sf: httpx.AsyncClient, sobject: str, record_id: str) -> dict[str, Any]:
    response = await sf.get(f"{DATA}/sobjects/{sobject}/{record_id}")
    assert response.status_code == 200, response.text
    record: dict[str, Any] = response.json()
    return record


async def test_a_created_account_reads_back_in_salesforce_form(sf: httpx.AsyncClient) -> None:
    account_id = await create(
        sf,
        "Account",
        {
            "Name": "Umbrella Retail Corp.",
            "BillingCity": "Portland",
            "Active__c": "Yes",
            "Industry": "Retail",
            "External_Id__c": "U-1",
        },
    )
    assert account_id.startswith("001") and len(account_id) == 18
    record = await read(sf, "Account", account_id)
    assert record["attributes"] == {"type": "Account", "url": f"{ACCOUNTS}/{account_id}"}
    assert record["Id"] == account_id and record["Name"] == "Umbrella Retail Corp."
    assert record["IsPersonAccount"] is False and record["IsDeleted"] is False
    assert record["CreatedDate"] == record["LastModifiedDate"]
    assert record["CreatedDate"][19:] in (f".{record['CreatedDate'][20:23]}+0000",)
    chosen = await sf.get(f"{ACCOUNTS}/{account_id}", params={"fields": "Name,billingcity"})
    assert {k: v for k, v in chosen.json().items() if k != "attributes"} == {
        "Name": "Umbrella Retail Corp.",
        "BillingCity": "Portland",
    }
    unknown = await sf.get(f"{ACCOUNTS}/{account_id}", params={"fields": "Name,Bogus"})
    assert unknown.status_code == 400 and error_of(unknown)["errorCode"] == "INVALID_FIELD"


async def test_new_ids_follow_the_seeded_ones(sf: httpx.AsyncClient) -> None:
    first = await create(sf, "Account", {"Name": "First"})
    second = await create(sf, "Account", {"Name": "Second"})
    assert first == "001Dn000000000zIAA"  # record 61: the world has 60 accounts
    assert second > first


async def test_a_person_account_composes_its_name(sf: httpx.AsyncClient) -> None:
    person = await create(
        sf,
        "Account",
        {
            "IsPersonAccount": True,
            "FirstName": "Grace",
            "LastName": "Hopper",
            "PersonEmail": "grace@example.com",
        },
    )
    assert (await read(sf, "Account", person))["Name"] == "Grace Hopper"
    response = await sf.patch(f"{ACCOUNTS}/{person}", json={"LastName": "Murray Hopper"})
    assert response.status_code == 204
    assert (await read(sf, "Account", person))["Name"] == "Grace Murray Hopper"


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"Phone": "1"}, "REQUIRED_FIELD_MISSING", ["Name"]),
        ({"IsPersonAccount": True, "FirstName": "A"}, "REQUIRED_FIELD_MISSING", ["LastName"]),
        (
            {"IsPersonAccount": True, "LastName": "B", "Name": "C"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["Name"],
        ),
        ({"Name": "Co", "FirstName": "A"}, "INVALID_FIELD_FOR_INSERT_UPDATE", ["FirstName"]),
        (
            {"Name": "Co", "CreatedDate": "2025-01-01T00:00:00Z"},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            ["CreatedDate"],
        ),
        ({"Name": "x" * 256}, "STRING_TOO_LONG", ["Name"]),
        ({"Name": "Co", "BillingCity": "y" * 1_000_000}, "STRING_TOO_LONG", ["BillingCity"]),
        ({"Name": "Co", "Email__c": "not-an-email"}, "INVALID_EMAIL_ADDRESS", ["Email__c"]),
        (
            {"Name": "Co", "Active__c": "Maybe"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            ["Active__c"],
        ),
        ({"Name": "Co", "Bogus__c": 1}, "INVALID_FIELD", []),
        ({"Name": 42}, "JSON_PARSER_ERROR", []),
        ({"Name": ["a"]}, "JSON_PARSER_ERROR", []),
        ({"Name": "Co", "IsPersonAccount": "yes"}, "JSON_PARSER_ERROR", []),
        ({"Name": "Nul\u0000here"}, "JSON_PARSER_ERROR", []),
        ({"Name": "lone \ud800 surrogate"}, "JSON_PARSER_ERROR", []),
        ({"Name": "Co", "IsPersonAccount": "\ud800"}, "JSON_PARSER_ERROR", []),
        ({"Name": ""}, "REQUIRED_FIELD_MISSING", ["Name"]),
    ],
)
async def test_bad_accounts_are_refused_and_nothing_is_written(
    sf: httpx.AsyncClient,
    seeded: Database,
    body: dict[str, Any],
    code: str,
    fields: list[str],
) -> None:
    # Escaped JSON, so that lone surrogates travel as the \ud800 escapes a client may send.
    response = await sf.post(
        ACCOUNTS, content=json.dumps(body), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400, response.text
    error = error_of(response)
    assert (error["errorCode"], error["fields"]) == (code, fields)
    assert await count_accounts(seeded) == 60


@pytest.mark.parametrize(
    "raw", [b"", b"{not json", b"[1, 2]", b'"text"', b"\xff\xfe", b"[" * 100_000]
)
async def test_bodies_that_are_not_json_objects(
    sf: httpx.AsyncClient, seeded: Database, raw: bytes
) -> None:
    response = await sf.post(ACCOUNTS, content=raw, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert error_of(response)["errorCode"] == "JSON_PARSER_ERROR"
    assert await count_accounts(seeded) == 60


async def test_an_update_moves_last_modified_date_only(sf: httpx.AsyncClient) -> None:
    before = await read(sf, "Account", GLOBEX)
    for phone in ("+1-510-555-0101", "+1-510-555-0102"):
        response = await sf.patch(f"{ACCOUNTS}/{GLOBEX}", json={"Phone": phone})
        assert response.status_code == 204 and response.content == b""
        after = await read(sf, "Account", GLOBEX)
        assert after["Phone"] == phone
        assert after["LastModifiedDate"] > before["LastModifiedDate"]
        assert after["CreatedDate"] == before["CreatedDate"]
        assert after["Name"] == before["Name"]
        before = after


async def test_update_rules(sf: httpx.AsyncClient) -> None:
    cases: list[tuple[str, dict[str, Any], int, str]] = [
        (f"{ACCOUNTS}/{GLOBEX}", {"IsPersonAccount": True}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        (f"{ACCOUNTS}/{GLOBEX}", {"LastName": "X"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        (f"{ACCOUNTS}/{GLOBEX}", {"Name": None}, 400, "REQUIRED_FIELD_MISSING"),
        (f"{ACCOUNTS}/{HEDY}", {"Name": "Someone"}, 400, "INVALID_FIELD_FOR_INSERT_UPDATE"),
        (f"{ACCOUNTS}/{HEDY}", {"LastName": None}, 400, "REQUIRED_FIELD_MISSING"),
        (f"{ACCOUNTS}/{UNKNOWN_ACCOUNT}", {"Phone": "1"}, 404, "NOT_FOUND"),
        (f"{ACCOUNTS}/garbage", {"Phone": "1"}, 400, "MALFORMED_ID"),
        (f"{ACCOUNTS}/003Dn0000000001IAA", {"Phone": "1"}, 400, "MALFORMED_ID"),
        (f"{DATA}/sobjects/Widget/{GLOBEX}", {"Phone": "1"}, 404, "NOT_FOUND"),
    ]
    for url, body, status, code in cases:
        response = await sf.patch(url, json=body)
        assert response.status_code == status, (url, body, response.text)
        assert error_of(response)["errorCode"] == code, (url, body)
    # Writing a create-only field with the value it has is no change, and allowed.
    same = await sf.patch(f"{ACCOUNTS}/{GLOBEX}", json={"IsPersonAccount": False})
    assert same.status_code == 204
    short = await sf.patch(f"{ACCOUNTS}/{GLOBEX[:15]}", json={"Phone": "15"})
    assert short.status_code == 204
    assert (await read(sf, "Account", GLOBEX))["Phone"] == "15"


async def test_delete_goes_to_the_recycle_bin_with_children(sf: httpx.AsyncClient) -> None:
    assert await records(sf, f"SELECT Id FROM Contact WHERE AccountId = '{GLOBEX}'")
    assert await records(sf, f"SELECT Id FROM Task WHERE WhatId = '{GLOBEX}'")
    response = await sf.delete(f"{ACCOUNTS}/{GLOBEX}")
    assert response.status_code == 204
    for method in ("GET", "DELETE"):
        gone = await sf.request(method, f"{ACCOUNTS}/{GLOBEX}")
        assert gone.status_code == 404 and error_of(gone)["errorCode"] == "ENTITY_IS_DELETED"
    assert await records(sf, f"SELECT Id FROM Contact WHERE AccountId = '{GLOBEX}'") == []
    assert await records(sf, f"SELECT Id FROM Task WHERE WhatId = '{GLOBEX}'") == []
    binned = await sf.get(
        f"{DATA}/queryAll",
        params={"q": f"SELECT IsDeleted FROM Task WHERE WhatId = '{GLOBEX}'"},
    )
    assert binned.json()["records"] and all(r["IsDeleted"] for r in binned.json()["records"])
    unknown = await sf.delete(f"{ACCOUNTS}/{UNKNOWN_ACCOUNT}")
    assert unknown.status_code == 404 and error_of(unknown)["errorCode"] == "NOT_FOUND"


async def test_upsert_creates_then_updates(sf: httpx.AsyncClient) -> None:
    url = f"{ACCOUNTS}/External_Id__c/ERP-77"
    created = await sf.patch(url, json={"Name": "Initech", "Phone": "1"})
    assert created.status_code == 201
    assert created.json() == {
        "id": created.json()["id"],
        "success": True,
        "errors": [],
        "created": True,
    }
    updated = await sf.patch(url, json={"Name": "Initech LLC"})
    assert updated.status_code == 200
    assert updated.json()["id"] == created.json()["id"] and updated.json()["created"] is False
    record = (await sf.get(url)).json()
    assert (record["Name"], record["Phone"], record["External_Id__c"]) == (
        "Initech LLC",
        "1",
        "ERP-77",
    )


async def test_upsert_errors(sf: httpx.AsyncClient) -> None:
    unknown_field = await sf.patch(f"{ACCOUNTS}/Phone/123", json={"Name": "X"})
    assert unknown_field.status_code == 404 and error_of(unknown_field)["errorCode"] == "NOT_FOUND"
    mismatch = await sf.patch(
        f"{ACCOUNTS}/External_Id__c/A-1",
        json={"Name": "X", "External_Id__c": "A-2"},
    )
    assert mismatch.status_code == 400 and error_of(mismatch)["errorCode"] == "INVALID_FIELD"
    too_long = await sf.patch(f"{ACCOUNTS}/External_Id__c/{'k' * 256}", json={"Name": "X"})
    assert error_of(too_long)["errorCode"] == "STRING_TOO_LONG"
    missing = await sf.get(f"{ACCOUNTS}/External_Id__c/nobody")
    assert missing.status_code == 404


async def test_external_ids_are_unique_even_in_the_recycle_bin(sf: httpx.AsyncClient) -> None:
    taken = await sf.post(ACCOUNTS, json={"Name": "Copy", "External_Id__c": "CUST-00001"})
    assert taken.status_code == 400
    error = error_of(taken)
    assert error["errorCode"] == "DUPLICATE_VALUE" and GLOBEX in error["message"]
    await sf.delete(f"{ACCOUNTS}/{GLOBEX}")
    upsert = await sf.patch(f"{ACCOUNTS}/External_Id__c/CUST-00001", json={"Name": "Again"})
    assert upsert.status_code == 400 and error_of(upsert)["errorCode"] == "DUPLICATE_VALUE"


async def test_concurrent_upserts_of_one_external_id_make_one_record(
    sf: httpx.AsyncClient, seeded: Database
) -> None:
    url = f"{ACCOUNTS}/External_Id__c/RACE-1"
    responses = await asyncio.gather(
        *(sf.patch(url, json={"Name": f"Racer {n}"}) for n in range(6))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * 5 + [201]
    assert len({response.json()["id"] for response in responses}) == 1
    assert await count_accounts(seeded) == 61


async def test_concurrent_creates_get_distinct_ids(sf: httpx.AsyncClient) -> None:
    responses = await asyncio.gather(
        *(sf.post(ACCOUNTS, json={"Name": f"Parallel {n}"}) for n in range(8))
    )
    assert all(response.status_code == 201 for response in responses)
    assert len({response.json()["id"] for response in responses}) == 8


async def test_tasks_and_contacts_check_their_lookups(sf: httpx.AsyncClient) -> None:
    task = await create(sf, "Task", {"WhatId": GLOBEX, "Subject": "Call back"})
    stored = await read(sf, "Task", task)
    assert stored["Status"] == "Not Started" and stored["WhatId"] == GLOBEX
    cases: list[tuple[str, dict[str, Any], str]] = [
        ("Task", {"WhatId": UNKNOWN_ACCOUNT}, "INVALID_CROSS_REFERENCE_KEY"),
        ("Task", {"WhatId": "003Dn0000000001IAA"}, "MALFORMED_ID"),
        (
            "Task",
            {"WhatId": GLOBEX, "Status": "Done-ish"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        ),
        ("Task", {"WhatId": GLOBEX, "ActivityDate": "2025-02-30"}, "JSON_PARSER_ERROR"),
        ("Task", {"WhatId": GLOBEX, "Occurred_At__c": "yesterday"}, "JSON_PARSER_ERROR"),
        (
            "Task",
            {"WhatId": GLOBEX, "Occurred_At__c": "0001-01-01T00:00:00+05:00"},
            "JSON_PARSER_ERROR",
        ),
        (
            "Task",
            {"WhatId": GLOBEX, "Occurred_At__c": "1600-01-01T00:00:00Z"},
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
        ),
        (
            "Task",
            {"WhatId": GLOBEX, "ActivityDate": "4001-01-01"},
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
        ),
        ("Contact", {"FirstName": "No"}, "REQUIRED_FIELD_MISSING"),
        (
            "Contact",
            {"LastName": "Doe", "AccountId": UNKNOWN_ACCOUNT},
            "INVALID_CROSS_REFERENCE_KEY",
        ),
    ]
    for sobject, body, code in cases:
        response = await sf.post(f"{DATA}/sobjects/{sobject}", json=body)
        assert response.status_code == 400, (sobject, body, response.text)
        assert error_of(response)["errorCode"] == code, (sobject, body)
    contact = await create(sf, "Contact", {"LastName": "Doe", "AccountId": GLOBEX[:15]})
    assert (await read(sf, "Contact", contact))["AccountId"] == GLOBEX


async def test_task_times_keep_their_instant(sf: httpx.AsyncClient) -> None:
    task = await create(
        sf,
        "Task",
        {
            "WhatId": GLOBEX,
            "Occurred_At__c": "2025-03-04T05:06:07.891-08:00",
            "ActivityDate": "2025-03-04",
        },
    )
    stored = await read(sf, "Task", task)
    assert stored["Occurred_At__c"] == "2025-03-04T13:06:07.891+0000"
    assert stored["ActivityDate"] == "2025-03-04"


async def test_describe_and_resource_lists(sf: httpx.AsyncClient) -> None:
    described = (await sf.get(f"{ACCOUNTS}/describe")).json()
    fields = {field["name"]: field for field in described["fields"]}
    assert described["keyPrefix"] == "001"
    assert fields["External_Id__c"]["externalId"] is True
    assert fields["CreatedDate"]["createable"] is False
    assert [v["value"] for v in fields["Active__c"]["picklistValues"]] == ["Yes", "No"]
    names = {o["name"] for o in (await sf.get(f"{DATA}/sobjects")).json()["sobjects"]}
    assert names == {"Account", "Contact", "Task"}
    versions = (await sf.get("/services/data")).json()
    assert versions[0]["version"] == "59.0"
    missing = await sf.get(f"{DATA}/sobjects/Widget/describe")
    assert missing.status_code == 404 and error_of(missing)["errorCode"] == "NOT_FOUND"


async def test_unknown_paths_and_methods_answer_in_salesforce_form(
    sf: httpx.AsyncClient,
) -> None:
    missing = await sf.get("/services/data/v12.0/query")
    assert missing.status_code == 404 and error_of(missing)["errorCode"] == "NOT_FOUND"
    wrong = await sf.put(f"{ACCOUNTS}/{GLOBEX}", json={})
    assert wrong.status_code == 405 and error_of(wrong)["errorCode"] == "METHOD_NOT_ALLOWED"


async def test_a_task_with_an_external_id_stays_on_its_account(sf: httpx.AsyncClient) -> None:
    url = f"{TASKS}/External_Id__c/order-9"
    made = await sf.patch(url, json={"WhatId": GLOBEX, "Subject": "Order 9"})
    assert made.status_code == 201, made.text
    task = made.json()["id"]
    before = await read(sf, "Task", task)

    moved = await sf.patch(url, json={"WhatId": HEDY, "Subject": "Taken"})
    by_id = await sf.patch(f"{TASKS}/{task}", json={"WhatId": HEDY})

    for response in (moved, by_id):
        assert response.status_code == 400, response.text
        error = error_of(response)
        assert (error["errorCode"], error["fields"]) == (
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            ["WhatId"],
        )
    assert await read(sf, "Task", task) == before
    same = await sf.patch(url, json={"WhatId": GLOBEX[:15], "Subject": "Order 9, paid"})
    assert same.status_code == 200 and same.json()["id"] == task


async def test_a_task_without_an_external_id_can_move(sf: httpx.AsyncClient) -> None:
    task = await create(sf, "Task", {"WhatId": GLOBEX, "Subject": "Misfiled call"})
    response = await sf.patch(f"{TASKS}/{task}", json={"WhatId": HEDY})
    assert response.status_code == 204, response.text
    assert (await read(sf, "Task", task))["WhatId"] == HEDY


async def test_concurrent_upserts_from_two_accounts_leave_the_task_with_one(
    sf: httpx.AsyncClient,
) -> None:
    url = f"{TASKS}/External_Id__c/RACE-TASK"
    owners = [GLOBEX, HEDY] * 3
    responses = await asyncio.gather(
        *(sf.patch(url, json={"WhatId": owner, "Subject": owner}) for owner in owners)
    )
    task = await records(
        sf, "SELECT Id, WhatId, Subject FROM Task WHERE External_Id__c = 'RACE-TASK'"
    )
    [stored] = task
    for owner, response in zip(owners, responses, strict=True):
        if owner == stored["WhatId"]:
            assert response.status_code in (200, 201), response.text
        else:
            assert error_of(response)["errorCode"] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
    assert stored["Subject"] == stored["WhatId"]
