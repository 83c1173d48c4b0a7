"""Customer records as XML: reading a request document, writing a record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from xml.etree.ElementTree import Element, SubElement

from system_apis.backends.erp.errors import invalid_field, missing_field
from system_apis.backends.erp.models import ErpCustomer
from system_apis.backends.erp.wire import (
    Fields,
    add,
    boolean_text,
    format_amount,
    format_timestamp,
    record,
)

# Fields the ERP sets itself; a document read back and sent again may carry them.
READ_ONLY = (
    "entityId",
    "dateCreated",
    "lastModifiedDate",
    "balance",
    "overdueBalance",
    "currencyList",
)
WRITABLE = (
    "isPerson",
    "companyName",
    "firstName",
    "lastName",
    "email",
    "phone",
    "currency",
    "isInactive",
    "addressbookList",
)
ADDRESS_FIELDS = ("addr1", "city", "state", "zip", "country")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class CustomerInput:
    external_id: str | None
    is_person: bool
    company_name: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    phone: str | None
    currency: str
    is_inactive: bool
    address: dict[str, str | None] = field(default_factory=dict)

    def columns(self) -> dict[str, object]:
        return {
            "is_person": self.is_person,
            "company_name": self.company_name,
            "first_name": self.first_name,
            "last_name": self.last_name,
            "email": self.email,
            "phone": self.phone,
            "currency": self.currency,
            "is_inactive": self.is_inactive,
            **self.address,
        }


@dataclass(frozen=True)
class Balance:
    currency: str
    balance: Decimal
    overdue: Decimal
    open_invoices: int


def read_customer(doc: Fields) -> CustomerInput:
    doc.only(*WRITABLE, *READ_ONLY)
    is_person = doc.boolean("isPerson", default=False)
    company = doc.text("companyName", max_length=83)
    first = doc.text("firstName", max_length=32)
    last = doc.text("lastName", max_length=32)
    if is_person and not first:
        raise missing_field(f"{doc.path}.firstName")
    if is_person and not last:
        raise missing_field(f"{doc.path}.lastName")
    if not is_person and not company:
        raise missing_field(f"{doc.path}.companyName")
    email = doc.text("email", max_length=254)
    if email is not None and not _EMAIL.match(email):
        raise invalid_field(f"{doc.path}.email", "is not an email address")
    return CustomerInput(
        external_id=doc.attribute("externalId"),
        is_person=is_person,
        company_name=company,
        first_name=first if is_person else None,
        last_name=last if is_person else None,
        email=email,
        phone=doc.text("phone", max_length=32),
        currency=doc.currency("currency", default="USD"),
        is_inactive=doc.boolean("isInactive", default=False),
        address=_read_billing_address(doc),
    )


def _read_billing_address(doc: Fields) -> dict[str, str | None]:
    entries = doc.items("addressbookList", "addressbook")
    billing = [entry for entry in entries if entry.boolean("defaultBilling", default=False)]
    if not entries:
        return dict.fromkeys(ADDRESS_FIELDS)
    chosen = (billing or entries)[0]
    chosen.only("defaultBilling", "defaultShipping", "label", "addressbookAddress")
    address = chosen.child("addressbookAddress")
    if address is None:
        return dict.fromkeys(ADDRESS_FIELDS)
    address.only(*ADDRESS_FIELDS)
    limits = {"addr1": 150, "city": 50, "state": 30, "zip": 36, "country": 2}
    return {name: address.text(name, max_length=limits[name]) for name in ADDRESS_FIELDS}


def customer_element(customer: ErpCustomer, balances: list[Balance]) -> Element:
    root = record("customer", customer.internal_id, customer.external_id)
    add(root, "entityId", customer.entity_id)
    add(root, "isPerson", boolean_text(customer.is_person))
    add(root, "companyName", customer.company_name)
    add(root, "firstName", customer.first_name)
    add(root, "lastName", customer.last_name)
    add(root, "email", customer.email)
    add(root, "phone", customer.phone)
    add(root, "currency", customer.currency)
    add(root, "isInactive", boolean_text(customer.is_inactive))
    _write_addressbook(root, customer)
    primary = next((b for b in balances if b.currency == customer.currency), None)
    add(root, "balance", format_amount(primary.balance if primary else Decimal(0)))
    add(root, "overdueBalance", format_amount(primary.overdue if primary else Decimal(0)))
    currency_list = SubElement(root, "currencyList")
    for balance in balances:
        entry = SubElement(currency_list, "currency")
        add(entry, "currency", balance.currency)
        add(entry, "balance", format_amount(balance.balance))
        add(entry, "overdueBalance", format_amount(balance.overdue))
        add(entry, "openInvoices", str(balance.open_invoices))
    add(root, "dateCreated", format_timestamp(customer.date_created))
    add(root, "lastModifiedDate", format_timestamp(customer.last_modified_date))
    return root


def _write_addressbook(root: Element, customer: ErpCustomer) -> None:
    book = SubElement(root, "addressbookList")
    values = {name: getattr(customer, name) for name in ADDRESS_FIELDS}
    if not any(values.values()):
        return
    entry = SubElement(book, "addressbook")
    add(entry, "defaultBilling", "true")
    add(entry, "defaultShipping", "true")
    address = SubElement(entry, "addressbookAddress")
    for name, value in values.items():
        add(address, name, value)
