"""The CRM data map both ways: Salesforce records ⇄ canonical customers and activities, with
property tests for the round trips (ids, names, times, countries, flags, statuses)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from system_apis.backends.crm.ids import ACCOUNT_PREFIX, CONTACT_PREFIX, salesforce_id
from system_apis.canonical import CustomerKind
from system_apis.crm import data_map
from system_apis.crm.data_map import NativeRecordError
from system_apis.crm.schemas import (
    ActivityCreate,
    ActivityKind,
    ActivityStatus,
    AddressInput,
    CustomerFields,
    CustomerUpdate,
)

record_numbers = st.integers(min_value=0, max_value=62**7 - 1)
aware_datetimes = st.datetimes(
    min_value=datetime(1700, 1, 2),
    max_value=datetime(4000, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-8)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
words = st.text(alphabet=st.characters(whitelist_categories=["L"]), min_size=1, max_size=12)
optional_text = st.none() | st.text(
    alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=20
).map(str.strip).filter(bool)
country_codes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=2, max_size=2)

ACCOUNT = {
    "attributes": {"type": "Account", "url": "/services/data/v59.0/sobjects/Account/x"},
    "Id": "001Dn0000000001IAA",
    "Name": "Globex Energy Inc.",
    "IsPersonAccount": False,
    "FirstName": None,
    "LastName": None,
    "PersonEmail": None,
    "Email__c": "globex1@example.com",
    "Phone": "+1-415-555-1001",
    "Industry": "Energy",
    "BillingStreet": "1 Market St",
    "BillingCity": "San Francisco",
    "BillingState": "CA",
    "BillingPostalCode": "94105",
    "BillingCountry": "United States",
    "Active__c": "Yes",
    "CreatedDate": "2025-01-09T15:46:00.000+0000",
    "LastModifiedDate": "2025-02-01T08:00:00.123+0000",
}
TASK = {
    "Id": "00TDn0000000001IAA",
    "WhatId": "001Dn0000000001IAA",
    "Type": "Order",
    "Subject": "Order #7",
    "Status": "Completed",
    "Occurred_At__c": "2025-03-04T13:06:07.891+0000",
    "ActivityDate": "2025-03-04",
    "Description": "3 items",
    "External_Id__c": "order-7",
    "CreatedDate": "2025-03-05T00:00:00.000+0000",
}


# --- ids ---


@given(record_numbers)
def test_15_and_18_character_ids_name_the_same_customer(number: int) -> None:
    account = salesforce_id(ACCOUNT_PREFIX, number)
    assert data_map.customer_id(account) == account
    assert data_map.customer_id(account[:15]) == account


@given(record_numbers)
def test_other_objects_ids_are_not_customers(number: int) -> None:
    assert data_map.customer_id(salesforce_id(CONTACT_PREFIX, number)) is None


@pytest.mark.parametrize(
    "value", ["", "001", "001Dn0000000001IAB", "001Dn0000000001I!A", "001Dn0000000001IAA0", "x"]
)
def test_malformed_ids_are_not_customers(value: str) -> None:
    assert data_map.customer_id(value) is None


# --- times ---


@given(aware_datetimes)
def test_times_round_trip_to_the_millisecond(value: datetime) -> None:
    text = data_map.format_datetime(value)
    assert text.endswith("+0000") and len(text) == 28
    parsed = data_map.parse_datetime(text)
    assert parsed == value.replace(microsecond=value.microsecond // 1000 * 1000)
    assert parsed.utcoffset() == timedelta(0)
    assert data_map.format_datetime(parsed) == text


@pytest.mark.parametrize("text", ["2025-01-09", "yesterday", "2025-01-09T15:46:00Z", ""])
def test_other_time_forms_are_not_salesforce_times(text: str) -> None:
    with pytest.raises(NativeRecordError):
        data_map.parse_datetime(text)


# --- names, countries, flags, statuses ---


@given(st.lists(words, min_size=1, max_size=4))
def test_a_full_name_splits_and_joins_back(parts: list[str]) -> None:
    name = " ".join(parts)
    first, last = data_map.split_full_name(name)
    assert last == parts[-1]
    assert data_map.full_name(first, last) == name


@given(st.none() | words, words)
def test_first_and_last_names_survive_a_full_name(first: str | None, last: str) -> None:
    assert data_map.split_full_name(data_map.full_name(first, last)) == (first, last)


@given(country_codes)
def test_country_codes_round_trip_through_stored_names(code: str) -> None:
    assert data_map.country_code(data_map.country_name(code)) == code


def test_country_names_and_aliases_read_as_codes() -> None:
    assert data_map.country_name("US") == "United States"
    for stored in ("United States", "united states", "USA", " us ", "United States of America"):
        assert data_map.country_code(stored) == "US"
    assert data_map.country_code("Narnia") == "Narnia"
    assert data_map.country_code("  ") is None and data_map.country_code(None) is None


@given(st.booleans())
def test_active_round_trips(active: bool) -> None:
    assert data_map.active_from_native(data_map.active_to_native(active)) is active


def test_an_empty_active_flag_reads_as_active_and_junk_is_refused() -> None:
    assert data_map.active_from_native(None) is True
    with pytest.raises(NativeRecordError):
        data_map.active_from_native("Maybe")


@given(st.sampled_from(ActivityStatus), st.sampled_from(ActivityKind))
def test_statuses_and_kinds_round_trip(status: ActivityStatus, kind: ActivityKind) -> None:
    assert data_map.status_from_native(data_map.status_to_native(status)) is status
    assert data_map.kind_from_native(data_map.kind_to_native(kind)) is kind


def test_unknown_task_types_read_as_other_and_unknown_statuses_are_refused() -> None:
    assert data_map.kind_from_native("Webinar") is ActivityKind.OTHER
    assert data_map.kind_from_native(None) is ActivityKind.OTHER
    with pytest.raises(NativeRecordError):
        data_map.status_from_native("Done-ish")


# --- customers ---


def test_a_company_account_reads_as_a_customer() -> None:
    customer = data_map.account_to_customer(ACCOUNT)
    assert customer.model_dump(mode="json") == {
        "id": "001Dn0000000001IAA",
        "kind": "company",
        "name": "Globex Energy Inc.",
        "first_name": None,
        "last_name": None,
        "email": "globex1@example.com",
        "phone": "+1-415-555-1001",
        "industry": "Energy",
        "billing_address": {
            "street": "1 Market St",
            "city": "San Francisco",
            "state": "CA",
            "postal_code": "94105",
            "country": "US",
        },
        "active": True,
        "created_at": "2025-01-09T15:46:00Z",
        "updated_at": "2025-02-01T08:00:00.123000Z",
    }


def test_a_person_account_takes_the_person_email() -> None:
    person = ACCOUNT | {
        "IsPersonAccount": True,
        "Name": "Ada Lovelace",
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "PersonEmail": "ada@example.com",
        "Email__c": "other@x.io",
        "Active__c": None,
    }
    customer = data_map.account_to_customer(person)
    assert (customer.kind, customer.first_name, customer.last_name) == (
        CustomerKind.PERSON,
        "Ada",
        "Lovelace",
    )
    assert customer.email == "ada@example.com" and customer.active is True


@pytest.mark.parametrize(
    "broken",
    [
        {"Id": None},
        {"Name": None},
        {"IsPersonAccount": "false"},
        {"CreatedDate": "last week"},
        {"LastModifiedDate": None},
        {"Phone": 4155551001},
        {"Active__c": "Perhaps"},
    ],
)
def test_unreadable_accounts_are_reported(broken: dict[str, Any]) -> None:
    with pytest.raises(NativeRecordError):
        data_map.account_to_customer(ACCOUNT | broken)


customer_fields = st.builds(
    CustomerFields,
    kind=st.sampled_from(CustomerKind),
    name=words,
    first_name=st.none() | words,
    last_name=words,
    email=st.none()
    | st.from_regex(r"[a-z0-9._%+-]{1,20}@[a-z0-9-]{1,10}\.[a-z]{2,6}", fullmatch=True),
    phone=optional_text,
    industry=optional_text,
    billing_address=st.builds(
        AddressInput,
        street=optional_text,
        city=optional_text,
        state=optional_text,
        postal_code=optional_text,
        country=st.none() | country_codes,
    ),
    active=st.booleans(),
)


def _as_salesforce_stores(record: dict[str, Any], created: datetime) -> dict[str, Any]:
    """What the CRM answers after saving ``record``: ids, times and a person's Name added."""
    stored = dict(record) | {
        "Id": "001Dn0000000001IAA",
        "CreatedDate": data_map.format_datetime(created),
        "LastModifiedDate": data_map.format_datetime(created),
    }
    if stored["IsPersonAccount"]:
        stored["Name"] = data_map.full_name(stored["FirstName"], stored["LastName"])
    return stored


@given(customer_fields, aware_datetimes)
def test_customers_round_trip_through_accounts(fields: CustomerFields, created: datetime) -> None:
    if fields.kind is CustomerKind.COMPANY:
        fields = fields.model_copy(update={"first_name": None, "last_name": None})
    record = data_map.customer_to_account(fields)
    customer = data_map.account_to_customer(_as_salesforce_stores(record, created))
    assert customer.kind is fields.kind
    assert (customer.email, customer.phone, customer.industry, customer.active) == (
        fields.email,
        fields.phone,
        fields.industry,
        fields.active,
    )
    assert customer.billing_address.model_dump() == fields.billing_address.model_dump()
    if fields.kind is CustomerKind.PERSON:
        assert (customer.first_name, customer.last_name) == (fields.first_name, fields.last_name)
        assert customer.name == data_map.full_name(fields.first_name, fields.last_name or "")
        assert "Name" not in record and "Email__c" not in record
    else:
        assert customer.name == fields.name
        assert "FirstName" not in record and "PersonEmail" not in record


def test_a_person_given_only_a_full_name_is_split() -> None:
    fields = CustomerFields(kind=CustomerKind.PERSON, name="Grace Brewster Hopper")
    record = data_map.customer_to_account(fields)
    assert (record["FirstName"], record["LastName"]) == ("Grace Brewster", "Hopper")


def test_changes_touch_only_the_fields_given() -> None:
    changes = CustomerUpdate.model_validate(
        {
            "email": "new@example.com",
            "phone": None,
            "billing_address": {"city": "Oakland", "country": "GB"},
        }
    )
    assert data_map.customer_changes_to_account(changes, CustomerKind.COMPANY) == {
        "Email__c": "new@example.com",
        "Phone": None,
        "BillingCity": "Oakland",
        "BillingCountry": "United Kingdom",
    }
    person = data_map.customer_changes_to_account(changes, CustomerKind.PERSON)
    assert person["PersonEmail"] == "new@example.com" and "Email__c" not in person
    assert data_map.customer_changes_to_account(CustomerUpdate(), CustomerKind.COMPANY) == {}


# --- activities ---


def test_a_task_reads_as_an_activity() -> None:
    activity = data_map.task_to_activity(TASK)
    assert activity.model_dump(mode="json") == {
        "id": "00TDn0000000001IAA",
        "customer_id": "001Dn0000000001IAA",
        "kind": "order",
        "subject": "Order #7",
        "status": "completed",
        "occurred_at": "2025-03-04T13:06:07.891000Z",
        "description": "3 items",
        "external_id": "order-7",
    }


def test_when_a_task_happened_falls_back_to_its_date_then_its_creation() -> None:
    dated = data_map.task_to_activity(TASK | {"Occurred_At__c": None})
    assert dated.occurred_at == datetime(2025, 3, 4, tzinfo=UTC)
    undated = data_map.task_to_activity(TASK | {"Occurred_At__c": None, "ActivityDate": None})
    assert undated.occurred_at == datetime(2025, 3, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "broken",
    [{"WhatId": None}, {"Status": "Done-ish"}, {"ActivityDate": "soon", "Occurred_At__c": None}],
)
def test_unreadable_tasks_are_reported(broken: dict[str, Any]) -> None:
    with pytest.raises(NativeRecordError):
        data_map.task_to_activity(TASK | broken)


@given(
    st.sampled_from(ActivityKind),
    st.sampled_from(ActivityStatus),
    aware_datetimes,
    optional_text,
)
def test_activities_round_trip_through_tasks(
    kind: ActivityKind,
    status: ActivityStatus,
    occurred: datetime,
    description: str | None,
) -> None:
    created = ActivityCreate(kind=kind, subject="Subject", status=status, description=description)
    task = data_map.activity_to_task(created, "001Dn0000000001IAA", occurred)
    assert task["ActivityDate"] == occurred.astimezone(UTC).date().isoformat()
    activity = data_map.task_to_activity(task | {"Id": "00TDn0000000001IAA"})
    assert (activity.kind, activity.status, activity.description) == (kind, status, description)
    assert activity.customer_id == "001Dn0000000001IAA"
    assert activity.occurred_at == occurred.replace(microsecond=occurred.microsecond // 1000 * 1000)
