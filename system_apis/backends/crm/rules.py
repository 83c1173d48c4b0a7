"""What each object checks and fills in on save, beyond its fields' own types.

Accounts come in two kinds, as in an org with Person Accounts enabled: a business account has
a ``Name``; a person account has ``FirstName``/``LastName``/``PersonEmail`` and Salesforce
composes its ``Name`` from them. A record's kind is chosen when it is created.

The org has one validation rule of its own on tasks: a task recorded with an external id stays
on the record it was recorded on (its ``WhatId`` cannot change). Without it an upsert by
external id would move one customer's activity to another and overwrite it.
"""

from __future__ import annotations

from typing import Any

from system_apis.backends.crm.errors import SalesforceError
from system_apis.backends.crm.records import required_missing
from system_apis.backends.crm.sobjects import ACCOUNT, TASK, FieldSpec, SObjectSpec

_PERSON_ONLY = ("FirstName", "LastName", "PersonEmail")


def insert_values(spec: SObjectSpec, values: dict[FieldSpec, Any]) -> dict[str, Any]:
    """Column values for a new record: defaults filled in, required fields present."""
    by_name = {field.name: value for field, value in values.items()}
    for field in spec.fields:
        if field.createable and field.name not in by_name and field.default is not None:
            by_name[field.name] = field.default
    if spec is ACCOUNT:
        _account_on_insert(by_name)
    missing = [
        field.name
        for field in spec.fields
        if (field.required or (not field.nillable and field.createable))
        and by_name.get(field.name) is None
    ]
    if missing:
        raise required_missing(missing)
    return {_column(spec, name): value for name, value in by_name.items()}


def update_values(
    spec: SObjectSpec,
    values: dict[FieldSpec, Any],
    current: Any,
) -> dict[str, Any]:
    """Column values to change on an existing record (``current`` is its stored row)."""
    by_name = {field.name: value for field, value in values.items()}
    if spec is ACCOUNT:
        _account_on_update(by_name, current)
    elif spec is TASK:
        _task_on_update(by_name, current)
    return {_column(spec, name): value for name, value in by_name.items()}


def _account_on_insert(values: dict[str, Any]) -> None:
    if values.get("IsPersonAccount"):
        _refuse(values, ("Name",))
        if values.get("LastName") is None:
            raise required_missing(["LastName"])
        values["Name"] = person_name(values.get("FirstName"), values["LastName"])
    else:
        _refuse(values, _PERSON_ONLY)


def _account_on_update(values: dict[str, Any], current: Any) -> None:
    if not current.is_person_account:
        _refuse(values, _PERSON_ONLY)
        return
    _refuse(values, ("Name",))
    if "LastName" in values and values["LastName"] is None:
        raise required_missing(["LastName"])
    if "FirstName" in values or "LastName" in values:
        first = values.get("FirstName", current.first_name)
        last = values.get("LastName", current.last_name)
        values["Name"] = person_name(first, last)


def _task_on_update(values: dict[str, Any], current: Any) -> None:
    moved = "WhatId" in values and values["WhatId"] != current.what_id
    if moved and current.external_id is not None:
        raise SalesforceError(
            400,
            "FIELD_CUSTOM_VALIDATION_EXCEPTION",
            "A task recorded with an external id stays on its record.",
            ["WhatId"],
        )


def person_name(first: str | None, last: str) -> str:
    return f"{first} {last}" if first else last


def _refuse(values: dict[str, Any], names: tuple[str, ...]) -> None:
    bad = [name for name in names if name in values]
    if bad:
        raise SalesforceError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Account: bad field names on insert/update call: {', '.join(bad)}",
            bad,
        )


def _column(spec: SObjectSpec, name: str) -> str:
    field = spec.field(name)
    assert field is not None
    return field.column
