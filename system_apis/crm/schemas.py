"""Request and response shapes of the CRM system API that the canonical model does not hold:
what a client sends to create or change a customer, and the canonical ``Activity``."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints

from system_apis.canonical import (
    FREE_TEXT_RULE,
    TEXT_RULE,
    CanonicalModel,
    CustomerKind,
    FreeText,
    Text,
)

_EMAIL = r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$"


def _stripped(max_length: int, pattern: str | None = None) -> StringConstraints:
    return StringConstraints(
        strip_whitespace=True, min_length=1, max_length=max_length, pattern=pattern
    )


Name = Annotated[str, _stripped(255), TEXT_RULE]
FirstName = Annotated[str, _stripped(40), TEXT_RULE]
LastName = Annotated[str, _stripped(80), TEXT_RULE]
Email = Annotated[str, _stripped(80, pattern=_EMAIL), TEXT_RULE]
Phone = Annotated[str, _stripped(40), TEXT_RULE]
Industry = Annotated[str, _stripped(255), TEXT_RULE]
ExternalId = Annotated[str, _stripped(255), TEXT_RULE]
Subject = Annotated[str, _stripped(255), TEXT_RULE]
Description = Annotated[str, StringConstraints(max_length=32000), FREE_TEXT_RULE]
# Salesforce keeps a street as one text area, a line per line of the address.
Street = Annotated[str, _stripped(255), FREE_TEXT_RULE]
City = Annotated[str, _stripped(40), TEXT_RULE]
State = Annotated[str, _stripped(80), TEXT_RULE]
PostalCode = Annotated[str, _stripped(20), TEXT_RULE]
CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$"), TEXT_RULE]


def _storable_time(value: datetime) -> datetime:
    # The CRM keeps times from 1700 to 4000, as Salesforce does.
    if not 1700 <= value.year <= 4000:
        raise ValueError("must be between the years 1700 and 4000")
    return value


ActivityTime = Annotated[AwareDatetime, AfterValidator(_storable_time)]


class AddressInput(CanonicalModel):
    """A billing address; on PATCH only the parts given change (null clears one)."""

    street: Street | None = Field(default=None, examples=["1 Market St"])
    city: City | None = Field(default=None, examples=["San Francisco"])
    state: State | None = Field(default=None, examples=["CA"])
    postal_code: PostalCode | None = Field(default=None, examples=["94105"])
    country: CountryCode | None = Field(
        default=None, description="ISO 3166-1 alpha-2 code", examples=["US"]
    )


class CustomerFields(CanonicalModel):
    """A whole customer as a client writes it (POST, or PUT by external id).

    A company needs a ``name`` and has no first or last name; a person needs a ``last_name``
    (or a full ``name``, split at its last space).
    """

    kind: CustomerKind = CustomerKind.COMPANY
    name: Name | None = Field(
        default=None,
        description="Company name (required for a company); for a person, the full name may "
        "be given instead of first_name and last_name",
        examples=["Globex Energy Inc."],
    )
    first_name: FirstName | None = None
    last_name: LastName | None = Field(default=None, description="Required for a person")
    email: Email | None = Field(default=None, examples=["purchasing@globex.example.com"])
    phone: Phone | None = Field(default=None, examples=["+1-415-555-1002"])
    industry: Industry | None = Field(default=None, examples=["Energy"])
    billing_address: AddressInput = Field(default_factory=AddressInput)
    active: bool = True


class CustomerCreate(CustomerFields):
    external_id: ExternalId | None = Field(
        default=None,
        description="The caller's own id for the customer; unique in the CRM",
        examples=["ERP-C-1042"],
    )


class CustomerUpdate(CanonicalModel):
    """The fields to change; a field given as null is cleared (``name``, ``last_name``,
    ``active`` and ``billing_address`` cannot be null). The kind cannot change."""

    name: Name | None = Field(default=None, description="A company's name")
    first_name: FirstName | None = Field(default=None, description="A person's first name")
    last_name: LastName | None = Field(default=None, description="A person's last name")
    email: Email | None = None
    phone: Phone | None = None
    industry: Industry | None = None
    billing_address: AddressInput | None = None
    active: bool | None = None


class ActivityKind(StrEnum):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    ORDER = "order"
    OTHER = "other"


class ActivityStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    WAITING = "waiting"
    DEFERRED = "deferred"


class Activity(CanonicalModel):
    """Something that happened with a customer: a call, an email, a meeting, an order."""

    id: Text = Field(
        description="The activity's id (the CRM task id)", examples=["00TDn0000000001IAA"]
    )
    customer_id: Text = Field(examples=["001Dn0000000001IAA"])
    kind: ActivityKind
    subject: Text | None = Field(default=None, examples=["Order #1042"])
    status: ActivityStatus
    occurred_at: AwareDatetime
    description: FreeText | None = None
    external_id: Text | None = Field(
        default=None, description="The caller's id for the activity, when it gave one"
    )


class ActivityCreate(CanonicalModel):
    kind: ActivityKind = Field(examples=["order"])
    subject: Subject = Field(examples=["Order #1042"])
    status: ActivityStatus = ActivityStatus.COMPLETED
    occurred_at: ActivityTime | None = Field(
        default=None,
        description="When it happened (years 1700 to 4000); now when omitted",
        examples=["2026-11-25T14:30:00Z"],
    )
    description: Description | None = None
    external_id: ExternalId | None = Field(
        default=None,
        description="The caller's id for the activity (an order id, say): recording the same "
        "one again changes that activity instead of adding another",
        examples=["order-1042"],
    )
