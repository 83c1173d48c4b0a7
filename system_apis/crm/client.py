"""Calls from the CRM system API to the CRM (Salesforce's REST API), and its answers in the
canonical model. Salesforce's own error arrays become canonical problems here: an unknown id
is 404, a refused field is 422 naming the canonical field, a taken external id is 409, and an
answer that cannot be read is 502, and a record that breaks the canonical model is 502
``invalid-backend-data`` naming the record and field.

Activities recorded with an external id stay with their customer: the org refuses to move
such a task to another account (a validation rule on ``WhatId``), so recording another
customer's external id is 409 and leaves that customer's activity as it was."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import quote as url_quote

import httpx
from pydantic import ValidationError

from strata.errors import Conflict, NotFound, Problem
from system_apis.canonical import Customer, CustomerKind
from system_apis.common.backend_client import BackendClient, BackendError
from system_apis.common.backend_data import invalid_backend_data
from system_apis.crm.data_map import (
    ACCOUNT_FIELDS,
    ACTIVITY_FIELD_NAMES,
    CUSTOMER_FIELD_NAMES,
    TASK_FIELDS,
    NativeRecordError,
    account_kind,
    account_to_customer,
    task_to_activity,
)
from system_apis.crm.schemas import Activity
from system_apis.crm.soql import Select

DATA = "/services/data/v59.0"
T = TypeVar("T")

# Salesforce error codes that mean "this value is not acceptable", answered as 422.
_VALIDATION_CODES = frozenset(
    {
        "REQUIRED_FIELD_MISSING",
        "INVALID_FIELD_FOR_INSERT_UPDATE",
        "STRING_TOO_LONG",
        "INVALID_EMAIL_ADDRESS",
        "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
        "INVALID_FIELD",
        "FIELD_CUSTOM_VALIDATION_EXCEPTION",
        "MALFORMED_ID",
        "JSON_PARSER_ERROR",
        "INVALID_TYPE_ON_FIELD_IN_RECORD",
        "FIELD_INTEGRITY_EXCEPTION",
    }
)
_MESSAGES = {"IsPersonAccount": "the kind of an existing customer cannot change"}


class _Resource:
    """How one canonical resource maps onto one Salesforce object."""

    def __init__(
        self,
        label: str,
        sobject: str,
        fields: tuple[str, ...],
        field_names: dict[str, str],
    ) -> None:
        self.label = label
        self.sobject = sobject
        self.fields = fields
        self.field_names = field_names


CUSTOMERS = _Resource("customer", "Account", ACCOUNT_FIELDS, CUSTOMER_FIELD_NAMES)
ACTIVITIES = _Resource("activity", "Task", TASK_FIELDS, ACTIVITY_FIELD_NAMES)


class CrmClient:
    def __init__(self, backend: BackendClient) -> None:
        self.backend = backend

    # --- customers ---

    async def find_customers(self, query: Select) -> list[Customer]:
        records = await self._query(query)
        return self._convert(CUSTOMERS, records, account_to_customer)

    async def get_customer(self, customer_id: str) -> Customer:
        record = await self._read(CUSTOMERS, customer_id)
        return self._convert(CUSTOMERS, [record], account_to_customer)[0]

    async def get_customer_kind(self, customer_id: str) -> CustomerKind:
        """The kind alone, read even when other values of the record break the canonical
        model (so that a change can put them right)."""
        record = await self._read(CUSTOMERS, customer_id, fields=("IsPersonAccount",))
        return self._convert(CUSTOMERS, [record], account_kind)[0]

    async def create_customer(self, record: dict[str, Any]) -> str:
        return await self._create(CUSTOMERS, record)

    async def update_customer(self, customer_id: str, record: dict[str, Any]) -> None:
        await self._update(CUSTOMERS, customer_id, record)

    async def upsert_customer(self, external_id: str, record: dict[str, Any]) -> tuple[str, bool]:
        return await self._upsert(CUSTOMERS, external_id, record)

    # --- activities ---

    async def find_activities(self, query: Select) -> list[Activity]:
        records = await self._query(query)
        return self._convert(ACTIVITIES, records, task_to_activity)

    async def get_activity(self, activity_id: str) -> Activity:
        record = await self._read(ACTIVITIES, activity_id)
        return self._convert(ACTIVITIES, [record], task_to_activity)[0]

    async def create_activity(self, record: dict[str, Any]) -> str:
        return await self._create(ACTIVITIES, record, missing=_customer_of(record))

    async def upsert_activity(self, external_id: str, record: dict[str, Any]) -> tuple[str, bool]:
        return await self._upsert(
            ACTIVITIES,
            external_id,
            record,
            missing=_customer_of(record),
            moved=Conflict(
                "another customer's activity already has this external_id", field="external_id"
            ),
        )

    # --- the REST resources ---

    async def _query(self, query: Select) -> list[Mapping[str, Any]]:
        response = await self.backend.request("GET", f"{DATA}/query", params={"q": str(query)})
        if response.status_code != 200:
            # The query is built here from escaped values: a refusal is a fault on this side
            # or the CRM's, never the client's.
            error = self._first_error(response)
            raise BackendError(
                self.backend.system,
                f"it refused a query ({error['errorCode']}: {error.get('message')})",
                backend_status=response.status_code,
            )
        body = self._json(response)
        records = body.get("records") if isinstance(body, dict) else None
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise self.backend.invalid("a query answer without a list of records")
        return records

    async def _read(
        self,
        resource: _Resource,
        record_id: str,
        *,
        fields: tuple[str, ...] | None = None,
    ) -> Mapping[str, Any]:
        response = await self.backend.request(
            "GET",
            f"{DATA}/sobjects/{resource.sobject}/{record_id}",
            params={"fields": ",".join(fields or resource.fields)},
        )
        if response.status_code != 200:
            raise self._refusal(response, resource, record_id)
        body = self._json(response)
        if not isinstance(body, dict):
            raise self.backend.invalid(f"a {resource.sobject} that is not a JSON object")
        return body

    async def _create(
        self,
        resource: _Resource,
        record: dict[str, Any],
        *,
        missing: Problem | None = None,
    ) -> str:
        response = await self.backend.request(
            "POST",
            f"{DATA}/sobjects/{resource.sobject}",
            json=record,
        )
        if response.status_code != 201:
            raise self._refusal(response, resource, missing=missing)
        return self._saved_id(response)[0]

    async def _update(self, resource: _Resource, record_id: str, record: dict[str, Any]) -> None:
        # Setting fields to given values is idempotent, so a failed attempt may be repeated.
        response = await self.backend.request(
            "PATCH",
            f"{DATA}/sobjects/{resource.sobject}/{record_id}",
            json=record,
            idempotent=True,
        )
        if response.status_code != 204:
            raise self._refusal(response, resource, record_id)

    async def _upsert(
        self,
        resource: _Resource,
        external_id: str,
        record: dict[str, Any],
        *,
        missing: Problem | None = None,
        moved: Problem | None = None,
    ) -> tuple[str, bool]:
        # An upsert by external id lands on the same record however often it is sent.
        response = await self.backend.request(
            "PATCH",
            f"{DATA}/sobjects/{resource.sobject}/External_Id__c/{url_quote(external_id, safe='')}",
            json=record,
            idempotent=True,
        )
        if response.status_code not in (200, 201):
            raise self._refusal(response, resource, missing=missing, moved=moved)
        return self._saved_id(response)

    # --- reading answers ---

    def _json(self, response: httpx.Response) -> Any:
        try:
            return json.loads(response.content)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
            raise self.backend.invalid("the body is not valid JSON") from None

    def _saved_id(self, response: httpx.Response) -> tuple[str, bool]:
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("id"), str):
            raise self.backend.invalid("a save result without the record id")
        if body.get("success") is not True:
            raise self.backend.invalid("a save result that does not report success")
        return body["id"], response.status_code == 201

    def _convert(
        self,
        resource: _Resource,
        records: list[Mapping[str, Any]],
        convert: Callable[..., T],
    ) -> list[T]:
        return [self._convert_one(resource, record, convert) for record in records]

    def _convert_one(
        self,
        resource: _Resource,
        record: Mapping[str, Any],
        convert: Callable[..., T],
    ) -> T:
        try:
            return convert(record)
        except ValidationError as exc:
            # Read fine, but a value breaks the canonical model (a control character in a
            # name, say): no system further on should receive it.
            raise invalid_backend_data(
                self.backend.system, resource.label, record.get("Id"), exc
            ) from None
        except (NativeRecordError, ValueError) as exc:
            raise self.backend.invalid(str(exc)) from None

    def _refusal(
        self,
        response: httpx.Response,
        resource: _Resource,
        record_id: str | None = None,
        *,
        missing: Problem | None = None,
        moved: Problem | None = None,
    ) -> Problem:
        """The canonical problem for a Salesforce error answer (``missing``: the one for a
        lookup to a record that does not exist; ``moved``: the one for the org refusing to
        move the record to another parent)."""
        if response.status_code in (200, 201, 204):
            return self.backend.invalid(f"an unexpected {response.status_code} answer")
        error = self._first_error(response)
        code = error["errorCode"]
        message = error.get("message") or code
        fields = [f for f in error.get("fields") or [] if isinstance(f, str)]
        if code in ("NOT_FOUND", "ENTITY_IS_DELETED") and record_id is not None:
            return NotFound(resource.label, record_id)
        if code == "INVALID_CROSS_REFERENCE_KEY" and missing is not None:
            return missing
        moving = code == "FIELD_CUSTOM_VALIDATION_EXCEPTION" and fields == ["WhatId"]
        if moving and moved is not None:
            return moved
        if code == "DUPLICATE_VALUE":
            names = [resource.field_names.get(f, f) for f in fields] or ["external_id"]
            return Conflict(f"another {resource.label} already has this {names[0]}", field=names[0])
        if code in _VALIDATION_CODES and response.status_code == 400:
            return _invalid(resource, fields, str(message))
        return BackendError(
            self.backend.system,
            f"it refused the request ({code}: {message})",
            backend_status=response.status_code,
        )

    def _first_error(self, response: httpx.Response) -> dict[str, Any]:
        body = self._json(response)
        if (
            not isinstance(body, list)
            or not body
            or not isinstance(body[0], dict)
            or not isinstance(body[0].get("errorCode"), str)
        ):
            raise self.backend.invalid(f"a {response.status_code} answer without an error list")
        first: dict[str, Any] = body[0]
        return first


def _customer_of(task: dict[str, Any]) -> Problem:
    return NotFound("customer", str(task.get("WhatId")))


def _invalid(resource: _Resource, fields: list[str], message: str) -> Problem:
    named = [
        {
            "field": resource.field_names.get(f, f),
            "in": "body",
            "message": _MESSAGES.get(f, message),
        }
        for f in fields
    ] or [{"field": "", "in": "body", "message": message}]
    detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in named)
    return Problem(422, "Invalid request", detail, kind="validation", errors=named)
