"""The data map: Salesforce records of the CRM ⇄ the canonical model, as pure functions.

Customer ⇄ Account

    canonical                Salesforce Account
    id                       Id (18 characters; a 15-character id is accepted on input)
    kind                     IsPersonAccount (true: person, false: company)
    name                     Name (for a person Salesforce composes it: FirstName LastName)
    first_name, last_name    FirstName, LastName (person accounts only)
    email                    person: PersonEmail. company: Email__c, the company's own
                             address (a business Account has no standard email field; its
                             Contacts' emails belong to individuals, not to the customer)
    phone                    Phone (the account's main number, for both kinds)
    industry                 Industry
    billing_address          BillingStreet, BillingCity, BillingState, BillingPostalCode,
                             BillingCountry (a country name as Salesforce orgs store it, e.g.
                             "United States" ⇄ "US"; a name not in the table passes through)
    active                   Active__c ("Yes"/"No"; empty counts as active)
    created_at, updated_at   CreatedDate, LastModifiedDate ("2025-01-09T15:46:00.000+0000")
    (request) external_id    External_Id__c

Activity ⇄ Task

    id                       Id
    customer_id              WhatId (the account the task is related to)
    kind                     Type (Call, Email, Meeting, Order, Other; empty reads as other)
    subject, description     Subject, Description
    status                   Status (Not Started, In Progress, Completed,
                             Waiting on someone else, Deferred)
    occurred_at              Occurred_At__c; a task without it (made in the CRM's own screens)
                             reads as midnight UTC of its ActivityDate, else its CreatedDate.
                             Writing sets both Occurred_At__c and ActivityDate (its UTC date).
    external_id              External_Id__c
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time
from typing import Any

from system_apis.backends.crm.ids import ACCOUNT_PREFIX, TASK_PREFIX, normalize_id
from system_apis.canonical import Customer, CustomerKind
from system_apis.crm.schemas import (
    Activity,
    ActivityCreate,
    ActivityKind,
    ActivityStatus,
    AddressInput,
    CustomerFields,
    CustomerUpdate,
)

ACCOUNT_FIELDS = (
    "Id",
    "Name",
    "IsPersonAccount",
    "FirstName",
    "LastName",
    "PersonEmail",
    "Email__c",
    "Phone",
    "Industry",
    "BillingStreet",
    "BillingCity",
    "BillingState",
    "BillingPostalCode",
    "BillingCountry",
    "Active__c",
    "CreatedDate",
    "LastModifiedDate",
)
TASK_FIELDS = (
    "Id",
    "WhatId",
    "Type",
    "Subject",
    "Status",
    "Occurred_At__c",
    "ActivityDate",
    "Description",
    "External_Id__c",
    "CreatedDate",
)

# Canonical name of each Salesforce field, for naming the field of a refused write.
CUSTOMER_FIELD_NAMES = {
    "Name": "name",
    "FirstName": "first_name",
    "LastName": "last_name",
    "PersonEmail": "email",
    "Email__c": "email",
    "Phone": "phone",
    "Industry": "industry",
    "BillingStreet": "billing_address.street",
    "BillingCity": "billing_address.city",
    "BillingState": "billing_address.state",
    "BillingPostalCode": "billing_address.postal_code",
    "BillingCountry": "billing_address.country",
    "Active__c": "active",
    "IsPersonAccount": "kind",
    "External_Id__c": "external_id",
}
ACTIVITY_FIELD_NAMES = {
    "WhatId": "customer_id",
    "Type": "kind",
    "Subject": "subject",
    "Status": "status",
    "Occurred_At__c": "occurred_at",
    "ActivityDate": "occurred_at",
    "Description": "description",
    "External_Id__c": "external_id",
}

COUNTRY_NAMES = {
    "US": "United States",
    "CA": "Canada",
    "MX": "Mexico",
    "GB": "United Kingdom",
    "IE": "Ireland",
    "DE": "Germany",
    "FR": "France",
    "ES": "Spain",
    "IT": "Italy",
    "NL": "Netherlands",
    "BE": "Belgium",
    "CH": "Switzerland",
    "AT": "Austria",
    "SE": "Sweden",
    "NO": "Norway",
    "DK": "Denmark",
    "FI": "Finland",
    "PL": "Poland",
    "PT": "Portugal",
    "JP": "Japan",
    "CN": "China",
    "IN": "India",
    "AU": "Australia",
    "NZ": "New Zealand",
    "BR": "Brazil",
    "AR": "Argentina",
    "SG": "Singapore",
    "KR": "South Korea",
    "ZA": "South Africa",
}
_COUNTRY_CODES = {name.lower(): code for code, name in COUNTRY_NAMES.items()} | {
    "usa": "US",
    "united states of america": "US",
    "u.s.": "US",
    "u.s.a.": "US",
    "great britain": "GB",
    "england": "GB",
}

_STATUS_TO_NATIVE = {
    ActivityStatus.NOT_STARTED: "Not Started",
    ActivityStatus.IN_PROGRESS: "In Progress",
    ActivityStatus.COMPLETED: "Completed",
    ActivityStatus.WAITING: "Waiting on someone else",
    ActivityStatus.DEFERRED: "Deferred",
}
_STATUS_FROM_NATIVE = {native: status for status, native in _STATUS_TO_NATIVE.items()}
_KIND_TO_NATIVE = {
    ActivityKind.CALL: "Call",
    ActivityKind.EMAIL: "Email",
    ActivityKind.MEETING: "Meeting",
    ActivityKind.ORDER: "Order",
    ActivityKind.OTHER: "Other",
}
_KIND_FROM_NATIVE = {native: kind for kind, native in _KIND_TO_NATIVE.items()}
_SALESFORCE_DATETIME = "%Y-%m-%dT%H:%M:%S.%f%z"


class NativeRecordError(ValueError):
    """A record from the CRM lacks a field the canonical model needs, or holds a bad value."""


# --- ids ---------------------------------------------------------------------------------


def customer_id(value: str) -> str | None:
    """The canonical id for a customer id given by a client (15 or 18 characters), or None
    when it cannot name a customer (not a Salesforce id, or not an Account's)."""
    return normalize_id(value, ACCOUNT_PREFIX)


def activity_id(value: str) -> str | None:
    return normalize_id(value, TASK_PREFIX)


# --- times -------------------------------------------------------------------------------


def format_datetime(value: datetime) -> str:
    """Salesforce's own form, to the millisecond: ``2025-01-09T15:46:00.000+0000``."""
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond // 1000:03d}+0000"
    )


def parse_datetime(text: str) -> datetime:
    try:
        return datetime.strptime(text, _SALESFORCE_DATETIME).astimezone(UTC)
    except (TypeError, ValueError):
        raise NativeRecordError(f"not a Salesforce date-time: {text!r}") from None


def format_date(value: date) -> str:
    return value.isoformat()


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError):
        raise NativeRecordError(f"not a date: {text!r}") from None


# --- names, countries, flags -------------------------------------------------------------


def full_name(first_name: str | None, last_name: str) -> str:
    """A person's name as Salesforce composes a Person Account's Name."""
    return f"{first_name} {last_name}" if first_name else last_name


def split_full_name(name: str) -> tuple[str | None, str]:
    """First and last name from a full name: the last word is the last name."""
    first, _, last = name.strip().rpartition(" ")
    return (first.strip() or None, last) if last else (None, first.strip())


def country_name(code: str | None) -> str | None:
    """The name Salesforce stores for an ISO code (the code itself when not in the table)."""
    if code is None:
        return None
    return COUNTRY_NAMES.get(code.upper(), code)


def country_code(native: str | None) -> str | None:
    """The ISO code for a stored country: a known name or alias, or a 2-letter code as is."""
    if native is None or not native.strip():
        return None
    text = native.strip()
    known = _COUNTRY_CODES.get(text.lower())
    if known:
        return known
    return text.upper() if len(text) == 2 and text.isalpha() else text


def active_to_native(active: bool) -> str:
    return "Yes" if active else "No"


def active_from_native(value: Any) -> bool:
    if value is None or value == "":
        return True
    if value not in ("Yes", "No"):
        raise NativeRecordError(f"Active__c is {value!r}, not Yes or No")
    return bool(value == "Yes")


def status_to_native(status: ActivityStatus) -> str:
    return _STATUS_TO_NATIVE[status]


def status_from_native(value: Any) -> ActivityStatus:
    try:
        return _STATUS_FROM_NATIVE[value]
    except (KeyError, TypeError):
        raise NativeRecordError(f"task Status {value!r} is not one the CRM defines") from None


def kind_to_native(kind: ActivityKind) -> str:
    return _KIND_TO_NATIVE[kind]


def kind_from_native(value: Any) -> ActivityKind:
    if value is None:
        return ActivityKind.OTHER
    return _KIND_FROM_NATIVE.get(value, ActivityKind.OTHER)


# --- records -----------------------------------------------------------------------------


def _required(record: Mapping[str, Any], field: str, kind: type = str) -> Any:
    value = record.get(field)
    if value is None:
        raise NativeRecordError(f"the record has no {field}")
    if not isinstance(value, kind):
        raise NativeRecordError(f"{field} is a {type(value).__name__}, not a {kind.__name__}")
    return value


def _optional(record: Mapping[str, Any], field: str) -> str | None:
    value = record.get(field)
    if value is not None and not isinstance(value, str):
        raise NativeRecordError(f"{field} is a {type(value).__name__}, not a str")
    return value


def account_kind(record: Mapping[str, Any]) -> CustomerKind:
    """The kind of customer an Account record (with at least IsPersonAccount) is."""
    if not isinstance(record, Mapping):
        raise NativeRecordError("the account is not a JSON object")
    is_person = _required(record, "IsPersonAccount", bool)
    return CustomerKind.PERSON if is_person else CustomerKind.COMPANY


def account_to_customer(record: Mapping[str, Any]) -> Customer:
    """The canonical customer for an Account record (with at least ACCOUNT_FIELDS)."""
    is_person = account_kind(record) is CustomerKind.PERSON
    first, last = _optional(record, "FirstName"), _optional(record, "LastName")
    name = _optional(record, "Name")
    if name is None:
        if not (is_person and last):
            raise NativeRecordError("the record has no Name")
        name = full_name(first, last)
    # Validated as one document, so that a refused value is named by its whole path
    # (billing_address.city, not city).
    return Customer.model_validate(
        {
            "id": _required(record, "Id"),
            "kind": CustomerKind.PERSON if is_person else CustomerKind.COMPANY,
            "name": name,
            "first_name": first if is_person else None,
            "last_name": last if is_person else None,
            "email": _optional(record, "PersonEmail" if is_person else "Email__c"),
            "phone": _optional(record, "Phone"),
            "industry": _optional(record, "Industry"),
            "billing_address": {
                "street": _optional(record, "BillingStreet"),
                "city": _optional(record, "BillingCity"),
                "state": _optional(record, "BillingState"),
                "postal_code": _optional(record, "BillingPostalCode"),
                "country": country_code(_optional(record, "BillingCountry")),
            },
            "active": active_from_native(record.get("Active__c")),
            "created_at": parse_datetime(_required(record, "CreatedDate")),
            "updated_at": parse_datetime(_required(record, "LastModifiedDate")),
        }
    )


def person_names(fields: CustomerFields) -> tuple[str | None, str]:
    """First and last name of a person customer (from the full name when no last name)."""
    if fields.last_name is not None:
        return fields.first_name, fields.last_name
    assert fields.name is not None
    first, last = split_full_name(fields.name)
    return fields.first_name or first, last


def customer_to_account(fields: CustomerFields) -> dict[str, Any]:
    """A whole Account for a customer as written by a client; absent values are cleared."""
    record: dict[str, Any] = {
        "IsPersonAccount": fields.kind is CustomerKind.PERSON,
        "Phone": fields.phone,
        "Industry": fields.industry,
        **address_to_billing(fields.billing_address),
        "Active__c": active_to_native(fields.active),
    }
    if fields.kind is CustomerKind.PERSON:
        first, last = person_names(fields)
        record |= {"FirstName": first, "LastName": last, "PersonEmail": fields.email}
    else:
        record |= {"Name": fields.name, "Email__c": fields.email}
    return record


def address_to_billing(address: AddressInput, *, only_given: bool = False) -> dict[str, Any]:
    parts = {
        "street": "BillingStreet",
        "city": "BillingCity",
        "state": "BillingState",
        "postal_code": "BillingPostalCode",
        "country": "BillingCountry",
    }
    billing = {}
    for part, native in parts.items():
        if only_given and part not in address.model_fields_set:
            continue
        value = getattr(address, part)
        billing[native] = country_name(value) if part == "country" else value
    return billing


def customer_changes_to_account(
    changes: CustomerUpdate,
    kind: CustomerKind,
) -> dict[str, Any]:
    """The Account fields to change for a partial update of a customer of this kind."""
    given = changes.model_fields_set
    record: dict[str, Any] = {}
    simple = {
        "name": "Name",
        "first_name": "FirstName",
        "last_name": "LastName",
        "phone": "Phone",
        "industry": "Industry",
    }
    for field, native in simple.items():
        if field in given:
            record[native] = getattr(changes, field)
    if "email" in given:
        record["PersonEmail" if kind is CustomerKind.PERSON else "Email__c"] = changes.email
    if "active" in given and changes.active is not None:
        record["Active__c"] = active_to_native(changes.active)
    if "billing_address" in given and changes.billing_address is not None:
        record |= address_to_billing(changes.billing_address, only_given=True)
    return record


def task_to_activity(record: Mapping[str, Any]) -> Activity:
    """The canonical activity for a Task record (with at least TASK_FIELDS)."""
    if not isinstance(record, Mapping):
        raise NativeRecordError("the task is not a JSON object")
    return Activity(
        id=_required(record, "Id"),
        customer_id=_required(record, "WhatId"),
        kind=kind_from_native(record.get("Type")),
        subject=_optional(record, "Subject"),
        status=status_from_native(record.get("Status")),
        occurred_at=_occurred_at(record),
        description=_optional(record, "Description"),
        external_id=_optional(record, "External_Id__c"),
    )


def _occurred_at(record: Mapping[str, Any]) -> datetime:
    stamp = _optional(record, "Occurred_At__c")
    if stamp is not None:
        return parse_datetime(stamp)
    day = _optional(record, "ActivityDate")
    if day is not None:
        return datetime.combine(parse_date(day), time(0), tzinfo=UTC)
    return parse_datetime(_required(record, "CreatedDate"))


def activity_to_task(
    activity: ActivityCreate,
    customer: str,
    occurred_at: datetime,
) -> dict[str, Any]:
    """A Task recording ``activity`` on the customer's account (external id excluded: it
    travels in the upsert URL)."""
    return {
        "WhatId": customer,
        "Type": kind_to_native(activity.kind),
        "Subject": activity.subject,
        "Status": status_to_native(activity.status),
        "Occurred_At__c": format_datetime(occurred_at),
        "ActivityDate": format_date(occurred_at.astimezone(UTC).date()),
        "Description": activity.description,
    }
