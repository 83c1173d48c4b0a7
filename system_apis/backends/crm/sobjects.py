"""What the CRM stand-in knows about each object: its fields as Salesforce names them, their
types, lengths and whether they can be written, filtered or sorted.

One table drives everything that depends on field names: SOQL, record reads and writes,
validation and ``describe``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Any

from sqlalchemy import ColumnElement

from strata.db import Base
from system_apis.backends.crm.ids import ACCOUNT_PREFIX, CONTACT_PREFIX, TASK_PREFIX
from system_apis.backends.crm.models import CrmAccount, CrmContact, CrmTask


class FieldType(StrEnum):
    ID = "id"
    STRING = "string"
    TEXTAREA = "textarea"
    BOOLEAN = "boolean"
    DATETIME = "datetime"
    DATE = "date"
    PICKLIST = "picklist"
    REFERENCE = "reference"
    EMAIL = "email"
    PHONE = "phone"


TEXT_TYPES = frozenset(
    {
        FieldType.STRING,
        FieldType.TEXTAREA,
        FieldType.PICKLIST,
        FieldType.EMAIL,
        FieldType.PHONE,
    }
)
ID_TYPES = frozenset({FieldType.ID, FieldType.REFERENCE})


@dataclass(frozen=True)
class FieldSpec:
    name: str
    label: str
    column: str
    type: FieldType
    length: int | None = None
    createable: bool = True
    updateable: bool = True
    nillable: bool = True
    required: bool = False
    default: str | bool | None = None
    picklist: tuple[str, ...] = ()
    restricted: bool = False
    external_id: bool = False
    reference_to: str | None = None
    custom: bool = False

    @property
    def filterable(self) -> bool:
        # Long text areas can be selected but not filtered or sorted, as in Salesforce.
        return self.type is not FieldType.TEXTAREA or (self.length or 0) <= 255

    @property
    def is_text(self) -> bool:
        return self.type in TEXT_TYPES


@dataclass(frozen=True)
class SObjectSpec:
    name: str
    label: str
    label_plural: str
    key_prefix: str
    model: type[Base]
    fields: tuple[FieldSpec, ...]

    def field(self, name: str) -> FieldSpec | None:
        """The field with this API name; Salesforce names are case-insensitive."""
        return self._by_lower_name.get(name.lower())

    @cached_property
    def _by_lower_name(self) -> dict[str, FieldSpec]:
        return {field.name.lower(): field for field in self.fields}

    def column(self, field: FieldSpec) -> ColumnElement[Any]:
        column: ColumnElement[Any] = getattr(self.model, field.column)
        return column

    @property
    def external_id_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(field for field in self.fields if field.external_id)


def _system_fields() -> tuple[FieldSpec, ...]:
    return (
        FieldSpec(
            "IsDeleted",
            "Deleted",
            "is_deleted",
            FieldType.BOOLEAN,
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldSpec(
            "CreatedDate",
            "Created Date",
            "created_date",
            FieldType.DATETIME,
            createable=False,
            updateable=False,
            nillable=False,
        ),
        FieldSpec(
            "LastModifiedDate",
            "Last Modified Date",
            "last_modified_date",
            FieldType.DATETIME,
            createable=False,
            updateable=False,
            nillable=False,
        ),
    )


def _id_field(label: str) -> FieldSpec:
    return FieldSpec(
        "Id",
        label,
        "id",
        FieldType.ID,
        length=18,
        createable=False,
        updateable=False,
        nillable=False,
    )


ACCOUNT_TYPES = (
    "Prospect",
    "Customer - Direct",
    "Customer - Channel",
    "Channel Partner / Reseller",
    "Installation Partner",
    "Technology Partner",
    "Other",
)
INDUSTRIES = (
    "Agriculture",
    "Apparel",
    "Banking",
    "Biotechnology",
    "Chemicals",
    "Communications",
    "Construction",
    "Consulting",
    "Education",
    "Electronics",
    "Energy",
    "Engineering",
    "Entertainment",
    "Environmental",
    "Finance",
    "Food & Beverage",
    "Government",
    "Healthcare",
    "Hospitality",
    "Insurance",
    "Machinery",
    "Manufacturing",
    "Media",
    "Not For Profit",
    "Recreation",
    "Retail",
    "Shipping",
    "Technology",
    "Telecommunications",
    "Transportation",
    "Utilities",
    "Other",
)
TASK_STATUSES = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")
TASK_TYPES = ("Call", "Email", "Meeting", "Order", "Other")

ACCOUNT = SObjectSpec(
    name="Account",
    label="Account",
    label_plural="Accounts",
    key_prefix=ACCOUNT_PREFIX,
    model=CrmAccount,
    fields=(
        _id_field("Account ID"),
        FieldSpec("Name", "Account Name", "name", FieldType.STRING, length=255, nillable=False),
        FieldSpec(
            "IsPersonAccount",
            "Is Person Account",
            "is_person_account",
            FieldType.BOOLEAN,
            updateable=False,
            nillable=False,
            default=False,
        ),
        FieldSpec("FirstName", "First Name", "first_name", FieldType.STRING, length=40),
        FieldSpec("LastName", "Last Name", "last_name", FieldType.STRING, length=80),
        FieldSpec("PersonEmail", "Email", "person_email", FieldType.EMAIL, length=80),
        FieldSpec("Phone", "Account Phone", "phone", FieldType.PHONE, length=40),
        FieldSpec(
            "Industry", "Industry", "industry", FieldType.PICKLIST, length=255, picklist=INDUSTRIES
        ),
        FieldSpec(
            "Type", "Account Type", "type", FieldType.PICKLIST, length=255, picklist=ACCOUNT_TYPES
        ),
        FieldSpec(
            "BillingStreet", "Billing Street", "billing_street", FieldType.TEXTAREA, length=255
        ),
        FieldSpec("BillingCity", "Billing City", "billing_city", FieldType.STRING, length=40),
        FieldSpec(
            "BillingState", "Billing State/Province", "billing_state", FieldType.STRING, length=80
        ),
        FieldSpec(
            "BillingPostalCode",
            "Billing Zip/Postal Code",
            "billing_postal_code",
            FieldType.STRING,
            length=20,
        ),
        FieldSpec(
            "BillingCountry", "Billing Country", "billing_country", FieldType.STRING, length=80
        ),
        FieldSpec("Email__c", "Company Email", "email", FieldType.EMAIL, length=80, custom=True),
        FieldSpec(
            "Active__c",
            "Active",
            "active",
            FieldType.PICKLIST,
            length=3,
            picklist=("Yes", "No"),
            restricted=True,
            custom=True,
        ),
        FieldSpec(
            "External_Id__c",
            "External Id",
            "external_id",
            FieldType.STRING,
            length=255,
            external_id=True,
            custom=True,
        ),
        *_system_fields(),
    ),
)

CONTACT = SObjectSpec(
    name="Contact",
    label="Contact",
    label_plural="Contacts",
    key_prefix=CONTACT_PREFIX,
    model=CrmContact,
    fields=(
        _id_field("Contact ID"),
        FieldSpec(
            "AccountId",
            "Account ID",
            "account_id",
            FieldType.REFERENCE,
            length=18,
            reference_to="Account",
        ),
        FieldSpec("FirstName", "First Name", "first_name", FieldType.STRING, length=40),
        FieldSpec(
            "LastName",
            "Last Name",
            "last_name",
            FieldType.STRING,
            length=80,
            nillable=False,
            required=True,
        ),
        FieldSpec("Email", "Email", "email", FieldType.EMAIL, length=80),
        FieldSpec("Phone", "Business Phone", "phone", FieldType.PHONE, length=40),
        FieldSpec("Title", "Title", "title", FieldType.STRING, length=128),
        *_system_fields(),
    ),
)

TASK = SObjectSpec(
    name="Task",
    label="Task",
    label_plural="Tasks",
    key_prefix=TASK_PREFIX,
    model=CrmTask,
    fields=(
        _id_field("Activity ID"),
        FieldSpec(
            "WhatId",
            "Related To ID",
            "what_id",
            FieldType.REFERENCE,
            length=18,
            reference_to="Account",
        ),
        FieldSpec("Subject", "Subject", "subject", FieldType.STRING, length=255),
        FieldSpec(
            "Status",
            "Status",
            "status",
            FieldType.PICKLIST,
            length=40,
            nillable=False,
            default="Not Started",
            picklist=TASK_STATUSES,
            restricted=True,
        ),
        FieldSpec(
            "Type",
            "Type",
            "type",
            FieldType.PICKLIST,
            length=40,
            picklist=TASK_TYPES,
            restricted=True,
        ),
        FieldSpec("ActivityDate", "Due Date Only", "activity_date", FieldType.DATE),
        FieldSpec("Occurred_At__c", "Occurred At", "occurred_at", FieldType.DATETIME, custom=True),
        FieldSpec("Description", "Description", "description", FieldType.TEXTAREA, length=32000),
        FieldSpec(
            "External_Id__c",
            "External Id",
            "external_id",
            FieldType.STRING,
            length=255,
            external_id=True,
            custom=True,
        ),
        *_system_fields(),
    ),
)

SOBJECTS: dict[str, SObjectSpec] = {spec.name.lower(): spec for spec in (ACCOUNT, CONTACT, TASK)}


def sobject(name: str) -> SObjectSpec | None:
    """The object with this API name (case-insensitive, as in Salesforce)."""
    return SOBJECTS.get(name.lower())
