"""The CRM client's reading of Salesforce answers, against scripted answers: native errors
become canonical problems naming canonical fields, and unreadable answers become 502."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest

from strata.errors import Problem
from strata.http import layer_client
from system_apis.common.backend_client import BackendClient
from system_apis.crm.client import CrmClient
from system_apis.crm.soql import Select

GLOBEX = "001Dn0000000001IAA"
ACCOUNT = {
    "attributes": {"type": "Account"},
    "Id": GLOBEX,
    "Name": "Globex",
    "IsPersonAccount": False,
    "Active__c": "Yes",
    "CreatedDate": "2025-01-09T15:46:00.000+0000",
    "LastModifiedDate": "2025-01-09T15:46:00.000+0000",
}


def crm_answering(status: int, body: Any = None, *, content: bytes | None = None) -> CrmClient:
    def answer(_request: httpx.Request) -> httpx.Response:
        if content is not None:
            return httpx.Response(status, content=content)
        return httpx.Response(status, json=body)

    http = layer_client("http://crm.backend", httpx.MockTransport(answer))
    return CrmClient(BackendClient("crm", http, timeout=1.0, retries=0))


def sf_error(code: str, message: str, fields: list[str] | None = None) -> list[dict[str, Any]]:
    return [{"message": message, "errorCode": code, "fields": fields or []}]


async def refusal(crm: CrmClient, call: Callable[[CrmClient], Any]) -> Problem:
    with pytest.raises(Problem) as caught:
        await call(crm)
    return caught.value


async def test_a_refused_field_is_422_naming_the_canonical_field() -> None:
    crm = crm_answering(
        400, sf_error("STRING_TOO_LONG", "Billing City: data value too large", ["BillingCity"])
    )
    problem = await refusal(crm, lambda c: c.create_customer({"Name": "x"}))
    assert problem.status == 422
    assert problem.extensions["errors"] == [
        {
            "field": "billing_address.city",
            "in": "body",
            "message": "Billing City: data value too large",
        },
    ]


async def test_unknown_and_deleted_records_are_404() -> None:
    for code in ("NOT_FOUND", "ENTITY_IS_DELETED"):
        crm = crm_answering(404, sf_error(code, "gone"))
        problem = await refusal(crm, lambda c: c.get_customer(GLOBEX))
        assert (problem.status, problem.extensions["id"]) == (404, GLOBEX)


async def test_a_missing_account_behind_a_task_is_a_404_customer() -> None:
    crm = crm_answering(400, sf_error("INVALID_CROSS_REFERENCE_KEY", "bad", ["WhatId"]))
    problem = await refusal(crm, lambda c: c.create_activity({"WhatId": GLOBEX}))
    assert problem.status == 404 and problem.extensions["resource"] == "customer"


async def test_a_duplicate_is_409() -> None:
    crm = crm_answering(400, sf_error("DUPLICATE_VALUE", "dup", ["External_Id__c"]))
    problem = await refusal(crm, lambda c: c.upsert_customer("E", {"Name": "x"}))
    assert problem.status == 409 and problem.extensions["field"] == "external_id"


async def test_a_refused_query_is_a_backend_error_not_the_callers() -> None:
    crm = crm_answering(400, sf_error("INVALID_FIELD", "No such column 'X'"))
    problem = await refusal(crm, lambda c: c.find_customers(Select("Account", ["X"])))
    assert problem.status == 502 and problem.kind == "backend-error"


@pytest.mark.parametrize(
    ("status", "body", "content"),
    [
        (200, None, b"<html>Salesforce is down for maintenance</html>"),
        (200, {"records": "nope"}, None),
        (200, {"records": [{"Id": GLOBEX}]}, None),
        (200, {"records": [ACCOUNT | {"CreatedDate": "yesterday"}]}, None),
        (200, {"records": [ACCOUNT | {"Name": 7}]}, None),
        (400, {"error": "not a Salesforce error list"}, None),
        (404, None, b""),
    ],
)
async def test_unreadable_answers_are_502(status: int, body: Any, content: bytes | None) -> None:
    crm = crm_answering(status, body, content=content)
    problem = await refusal(crm, lambda c: c.find_customers(Select("Account", ["Id"])))
    assert problem.status == 502 and problem.kind == "backend-invalid-response"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (200, {"id": GLOBEX, "success": True}),
        (201, {"success": True}),
        (201, {"id": GLOBEX, "success": False}),
    ],
)
async def test_save_answers_that_do_not_say_what_was_saved_are_502(status: int, body: Any) -> None:
    crm = crm_answering(status, body)
    problem = await refusal(crm, lambda c: c.create_customer({"Name": "x"}))
    assert problem.status == 502 and problem.kind == "backend-invalid-response"


async def test_an_update_answered_with_a_body_is_502() -> None:
    crm = crm_answering(200, {"unexpected": True})
    problem = await refusal(crm, lambda c: c.update_customer(GLOBEX, {"Phone": "1"}))
    assert problem.status == 502 and problem.kind == "backend-invalid-response"


async def test_other_refusals_are_502_with_the_salesforce_code() -> None:
    crm = crm_answering(403, sf_error("INSUFFICIENT_ACCESS", "no"))
    problem = await refusal(crm, lambda c: c.get_customer(GLOBEX))
    assert problem.status == 502 and "INSUFFICIENT_ACCESS" in (problem.detail or "")
    assert problem.extensions["backend_status"] == 403
