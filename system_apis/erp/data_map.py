"""The ERP data map: its native records and codes, to the canonical model and back.

Everything that knows both the ERP's vocabulary and the canonical one is here, as pure
functions, so the whole map can be read (and tested) in one place:

=======================  ==============================  ===================================
canonical                ERP                             notes
=======================  ==============================  ===================================
customer id              customer ``externalId``         the CRM account id; a customer made
                                                         in the ERP without one is
                                                         ``erp:<internalId>``
kind / name              ``isPerson``, ``companyName``   a person's name is first + last
                         or ``firstName`` + ``lastName``
active                   not ``isInactive``
billing address          default billing ``addressbook`` street=addr1, postal_code=zip
order / invoice id       ``internalId``                  number = ``tranId``
OrderStatus              letter codes A..H               e.g. B = pending_fulfillment
InvoiceStatus            A open, B paid in full,         voided = cancelled
                         V voided
Money                    decimal strings + ``currency``  never floats
times / dates            ``...Z`` timestamps and         a due date is midnight UTC
                         ``YYYY-MM-DD`` dates
field names in errors    element paths in faults         ``salesOrder.itemList.item[1].rate``
                                                         is ``lines.1.unit_price``
=======================  ==============================  ===================================
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote
from xml.etree.ElementTree import Element, SubElement

from system_apis.canonical import (
    Address,
    Customer,
    CustomerKind,
    Invoice,
    InvoiceStatus,
    Money,
    OrderStatus,
    SalesOrder,
)
from system_apis.erp.schemas import (
    CreateInvoiceRequest,
    CreateOrderRequest,
    CurrencyBalance,
    ErpCustomerAccount,
    PaymentRequest,
)
from system_apis.erp.xml_reader import MappingError, Record, add

# --- status codes -----------------------------------------------------------------------

ORDER_STATUS_BY_CODE = {
    "A": OrderStatus.PENDING_APPROVAL,
    "B": OrderStatus.PENDING_FULFILLMENT,
    "C": OrderStatus.CANCELLED,
    "D": OrderStatus.PARTIALLY_FULFILLED,
    "E": OrderStatus.PENDING_BILLING_PARTIALLY_FULFILLED,
    "F": OrderStatus.PENDING_BILLING,
    "G": OrderStatus.BILLED,
    "H": OrderStatus.CLOSED,
}
ORDER_CODE_BY_STATUS = {status: code for code, status in ORDER_STATUS_BY_CODE.items()}
INVOICE_STATUS_BY_CODE = {
    "A": InvoiceStatus.OPEN,
    "B": InvoiceStatus.PAID,
    "V": InvoiceStatus.CANCELLED,
}
INVOICE_CODE_BY_STATUS = {status: code for code, status in INVOICE_STATUS_BY_CODE.items()}


def order_status_from_code(code: str) -> OrderStatus:
    try:
        return ORDER_STATUS_BY_CODE[code]
    except KeyError:
        raise MappingError(f"unknown sales order status code {code!r}") from None


def order_status_code(status: OrderStatus) -> str:
    return ORDER_CODE_BY_STATUS[status]


def invoice_status_from_code(code: str) -> InvoiceStatus:
    try:
        return INVOICE_STATUS_BY_CODE[code]
    except KeyError:
        raise MappingError(f"unknown invoice status code {code!r}") from None


def invoice_status_code(status: InvoiceStatus) -> str:
    return INVOICE_CODE_BY_STATUS[status]


# --- money, times, dates ------------------------------------------------------------------

_TWO_PLACES = Decimal("0.01")


def amount_text(amount: Decimal) -> str:
    """An amount as the ERP writes it: at least two places, more only when needed."""
    significant = amount.normalize()
    exponent = significant.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return str(amount.quantize(_TWO_PLACES))
    return format(significant, "f")


def amount_from_text(text: str, what: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        raise MappingError(f"{what} {text!r} is not a decimal amount") from None
    if not amount.is_finite():
        raise MappingError(f"{what} {text!r} is not a finite amount")
    return amount


def money_from_text(text: str, currency: str, what: str) -> Money:
    try:
        return Money(amount=amount_from_text(text, what), currency=currency)
    except ValueError as exc:
        if isinstance(exc, MappingError):
            raise
        raise MappingError(f"{what} {text} {currency} is not a valid amount of money") from None


def timestamp_text(moment: datetime) -> str:
    """The ERP's timestamps: UTC, whole seconds, ``Z``."""
    return moment.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def timestamp_from_text(text: str, what: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{what} {text!r} is not a timestamp") from None
    if moment.tzinfo is None:
        raise MappingError(f"{what} {text!r} has no time zone")
    return moment.astimezone(UTC)


def date_text(day: date) -> str:
    return day.isoformat()


def date_from_text(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise MappingError(f"{what} {text!r} is not a date") from None


def due_moment(day: date) -> datetime:
    """A due date on the canonical time line: the start of that day, UTC."""
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


# --- ids ------------------------------------------------------------------------------------

_ERP_ONLY_PREFIX = "erp:"
_INTERNAL_ID = re.compile(r"^[1-9][0-9]{0,9}$")


def customer_id_from_reference(internal_id: str, external_id: str | None) -> str:
    """The canonical id of an ERP customer: its external id (the CRM id) when it has one."""
    return external_id if external_id else _ERP_ONLY_PREFIX + internal_id


def customer_key(customer_id: str, *, in_path: bool = True) -> str:
    """How the ERP is asked for a canonical customer: ``eid:<id>``, or the internal id of a
    customer that exists only in the ERP. ``in_path`` quotes it for a URL path."""
    if customer_id.startswith(_ERP_ONLY_PREFIX) and _INTERNAL_ID.match(
        customer_id[len(_ERP_ONLY_PREFIX) :],
    ):
        return customer_id[len(_ERP_ONLY_PREFIX) :]
    return "eid:" + (quote(customer_id, safe="") if in_path else customer_id)


def customer_reference_attributes(customer_id: str) -> dict[str, str]:
    key = customer_key(customer_id)
    if key.startswith("eid:"):
        return {"externalId": customer_id}
    return {"internalId": key}


def record_key(record_id: str) -> str | None:
    """An order or invoice id as a URL key, or None when it cannot be an ERP internal id."""
    return record_id if _INTERNAL_ID.match(record_id) else None


# --- names ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NativeName:
    is_person: bool
    company_name: str | None
    first_name: str | None
    last_name: str | None


@dataclass(frozen=True)
class CanonicalName:
    kind: CustomerKind
    name: str
    first_name: str | None
    last_name: str | None


def native_name(name: CanonicalName) -> NativeName:
    if name.kind is CustomerKind.COMPANY:
        return NativeName(False, name.name, None, None)
    first, last = name.first_name, name.last_name
    if not first or not last:
        # The ERP needs both parts; a person known only by a full name is split at the last
        # space ("Ada King Lovelace" -> "Ada King" + "Lovelace").
        head, _, tail = name.name.strip().rpartition(" ")
        first, last = first or head or tail, last or tail
    return NativeName(True, None, first, last)


def canonical_name(native: NativeName) -> CanonicalName:
    if native.is_person:
        first, last = native.first_name or "", native.last_name or ""
        full = f"{first} {last}".strip()
        if not full:
            raise MappingError("a person customer has neither first nor last name")
        return CanonicalName(CustomerKind.PERSON, full, native.first_name, native.last_name)
    if not native.company_name:
        raise MappingError("a company customer has no companyName")
    return CanonicalName(CustomerKind.COMPANY, native.company_name, None, None)


# --- addresses ------------------------------------------------------------------------------

ADDRESS_FIELDS = (
    ("addr1", "street"),
    ("city", "city"),
    ("state", "state"),
    ("zip", "postal_code"),
    ("country", "country"),
)


def address_element(parent: Element, address: Address) -> None:
    book = SubElement(parent, "addressbookList")
    values = {native: getattr(address, canonical) for native, canonical in ADDRESS_FIELDS}
    if not any(values.values()):
        return
    entry = SubElement(book, "addressbook")
    add(entry, "defaultBilling", "true")
    add(entry, "defaultShipping", "true")
    holder = SubElement(entry, "addressbookAddress")
    for native, value in values.items():
        add(holder, native, value)


def address_values(record: Record) -> dict[str, str | None]:
    """The canonical address fields of the record's default billing address, unchecked."""
    entries = record.children("addressbookList/addressbook")
    billing = [e for e in entries if e.optional("defaultBilling") == "true"] or entries
    if not billing:
        return {}
    holder = billing[0]
    return {
        canonical: holder.optional(f"addressbookAddress/{native}")
        for native, canonical in ADDRESS_FIELDS
    }


def address_from_record(record: Record) -> Address:
    return Address.model_validate(address_values(record))


# --- customers ------------------------------------------------------------------------------


def customer_document(customer: Customer) -> Element:
    """A canonical customer as the ERP customer record to upsert (by external id)."""
    root = Element("customer", {"externalId": customer.id})
    name = native_name(
        CanonicalName(customer.kind, customer.name, customer.first_name, customer.last_name)
    )
    add(root, "isPerson", "true" if name.is_person else "false")
    add(root, "companyName", name.company_name)
    add(root, "firstName", name.first_name)
    add(root, "lastName", name.last_name)
    add(root, "email", customer.email)
    add(root, "phone", customer.phone)
    add(root, "isInactive", "false" if customer.active else "true")
    address_element(root, customer.billing_address)
    return root


def _record_name(record: Record) -> CanonicalName:
    return canonical_name(
        NativeName(
            is_person=record.optional("isPerson") == "true",
            company_name=record.optional("companyName"),
            first_name=record.optional("firstName"),
            last_name=record.optional("lastName"),
        )
    )


def customer_from_record(record: Record) -> Customer:
    """The canonical customer an ERP record describes (the ERP holds no industry)."""
    name = _record_name(record)
    # Validated as one document, so that a refused value is named by its whole path
    # (billing_address.city, not city).
    return Customer.model_validate(
        {
            "id": customer_id_from_reference(
                record.required_attribute("internalId"), record.attribute("externalId")
            ),
            "kind": name.kind,
            "name": name.name,
            "first_name": name.first_name,
            "last_name": name.last_name,
            "email": record.optional("email"),
            "phone": record.optional("phone"),
            "billing_address": address_values(record),
            "active": record.optional("isInactive") != "true",
            "created_at": timestamp_from_text(record.required("dateCreated"), "dateCreated"),
            "updated_at": timestamp_from_text(
                record.required("lastModifiedDate"), "lastModifiedDate"
            ),
        }
    )


def _balance(entry: Record) -> CurrencyBalance:
    currency = entry.required("currency")
    return CurrencyBalance(
        currency=currency,
        balance=money_from_text(entry.required("balance"), currency, "balance"),
        overdue=money_from_text(entry.required("overdueBalance"), currency, "overdueBalance"),
        open_invoices=int(entry.optional("openInvoices") or 0),
    )


def account_from_record(record: Record) -> ErpCustomerAccount:
    customer = customer_from_record(record)
    currency = record.required("currency")
    try:
        balances = [_balance(entry) for entry in record.children("currencyList/currency")]
    except ValueError as exc:
        raise MappingError(f"unreadable currencyList ({exc})") from None
    return ErpCustomerAccount(
        customer_id=customer.id,
        erp_id=record.required_attribute("internalId"),
        number=record.required("entityId"),
        kind=customer.kind,
        name=customer.name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.phone,
        billing_address=customer.billing_address,
        active=customer.active,
        currency=currency,
        balance=money_from_text(record.required("balance"), currency, "balance"),
        overdue_balance=money_from_text(
            record.required("overdueBalance"), currency, "overdueBalance"
        ),
        balances=balances,
        created_at=customer.created_at,
        updated_at=customer.updated_at,
    )


# --- sales orders ---------------------------------------------------------------------------


def order_document(order: CreateOrderRequest) -> Element:
    root = Element("salesOrder", {"externalId": order.external_id})
    SubElement(root, "entity", customer_reference_attributes(order.customer_id))
    add(root, "currency", order.currency)
    add(root, "status", order_status_code(order.status))
    add(root, "memo", order.memo)
    items = SubElement(root, "itemList")
    for line in order.lines:
        entry = SubElement(items, "item")
        add(entry, "item", line.sku)
        add(entry, "quantity", str(line.quantity))
        add(entry, "rate", amount_text(line.unit_price))
    return root


def status_document(record_type: str, code: str) -> Element:
    root = Element(record_type)
    add(root, "status", code)
    return root


def entity_customer_id(record: Record) -> str:
    return customer_id_from_reference(
        record.required_attribute("internalId", "entity"),
        record.attribute("externalId", "entity"),
    )


def _order_line(line: Record, currency: str) -> dict[str, Any]:
    """The canonical fields of an order line, checked with the order they are on."""
    quantity = line.required("quantity")
    if not re.fullmatch(r"[0-9]{1,9}", quantity) or int(quantity) < 1:
        raise MappingError(f"line quantity {quantity!r} is not a positive whole number")
    return {
        "sku": line.required("item"),
        "quantity": int(quantity),
        "unit_price": money_from_text(line.required("rate"), currency, "line rate"),
        "amount": money_from_text(line.required("amount"), currency, "line amount"),
    }


def order_from_record(record: Record) -> SalesOrder:
    if record.tag != "salesOrder":
        raise MappingError(f"expected a <salesOrder> record, got <{record.tag}>")
    currency = record.required("currency")
    # Validated as one document, so that a refused value is named by its whole path
    # (lines.0.sku, not sku).
    return SalesOrder.model_validate(
        {
            "id": record.required_attribute("internalId"),
            "number": record.required("tranId"),
            "customer_id": entity_customer_id(record),
            "external_id": record.attribute("externalId"),
            "status": order_status_from_code(record.required("status")),
            "lines": [_order_line(line, currency) for line in record.children("itemList/item")],
            "total": money_from_text(record.required("total"), currency, "total"),
            "created_at": timestamp_from_text(record.required("createdDate"), "createdDate"),
            "updated_at": timestamp_from_text(
                record.required("lastModifiedDate"), "lastModifiedDate"
            ),
        }
    )


# --- invoices and payments ------------------------------------------------------------------


def invoice_document(invoice: CreateInvoiceRequest) -> Element:
    root = Element("invoice", {"externalId": invoice.external_id})
    if invoice.due_date is not None:
        add(root, "dueDate", date_text(invoice.due_date))
    return root


def payment_document(invoice_id: str, payment: PaymentRequest) -> Element:
    attributes = {"externalId": payment.external_id} if payment.external_id else {}
    root = Element("customerPayment", attributes)
    SubElement(root, "invoice", {"internalId": invoice_id})
    add(root, "payment", amount_text(payment.amount.amount))
    add(root, "currency", payment.amount.currency)
    return root


def invoice_from_record(record: Record) -> Invoice:
    if record.tag != "invoice":
        raise MappingError(f"expected an <invoice> record, got <{record.tag}>")
    currency = record.required("currency")
    return Invoice(
        id=record.required_attribute("internalId"),
        number=record.required("tranId"),
        order_id=record.required_attribute("internalId", "createdFrom"),
        customer_id=entity_customer_id(record),
        external_id=record.attribute("externalId"),
        status=invoice_status_from_code(record.required("status")),
        total=money_from_text(record.required("total"), currency, "total"),
        amount_due=money_from_text(record.required("amountRemaining"), currency, "amountRemaining"),
        due_date=due_moment(date_from_text(record.required("dueDate"), "dueDate")),
        created_at=timestamp_from_text(record.required("createdDate"), "createdDate"),
        updated_at=timestamp_from_text(record.required("lastModifiedDate"), "lastModifiedDate"),
    )


# --- field names in the ERP's faults --------------------------------------------------------
# A fault names the element at fault; these say which canonical field the caller sent it as.

FieldMap = Sequence[tuple[str, str]]

CUSTOMER_FIELDS: FieldMap = (
    (r"^customer@externalId$", "id"),
    (r"^customer\.companyName$", "name"),
    (r"^customer\.firstName$", "first_name"),
    (r"^customer\.lastName$", "last_name"),
    (r"^customer\.email$", "email"),
    (r"^customer\.phone$", "phone"),
    (r"^customer\.addressbookList.*\.addr1$", "billing_address.street"),
    (r"^customer\.addressbookList.*\.city$", "billing_address.city"),
    (r"^customer\.addressbookList.*\.state$", "billing_address.state"),
    (r"^customer\.addressbookList.*\.zip$", "billing_address.postal_code"),
    (r"^customer\.addressbookList.*\.country$", "billing_address.country"),
)
ORDER_FIELDS: FieldMap = (
    (r"^salesOrder@externalId$", "external_id"),
    (r"^salesOrder\.entity$", "customer_id"),
    (r"^salesOrder\.currency$", "currency"),
    (r"^salesOrder\.memo$", "memo"),
    (r"^salesOrder\.status$", "status"),
    (r"^salesOrder\.itemList\.item\[(\d+)\]\.item$", r"lines.\1.sku"),
    (r"^salesOrder\.itemList\.item\[(\d+)\]\.quantity$", r"lines.\1.quantity"),
    (r"^salesOrder\.itemList\.item\[(\d+)\]\.rate$", r"lines.\1.unit_price"),
    (r"^salesOrder\.(itemList|total)$", "lines"),
)
INVOICE_FIELDS: FieldMap = (
    (r"^invoice@externalId$", "external_id"),
    (r"^invoice\.dueDate$", "due_date"),
    (r"^invoice\.status$", "status"),
)
PAYMENT_FIELDS: FieldMap = (
    (r"^customerPayment@externalId$", "external_id"),
    (r"^customerPayment\.payment$", "amount.amount"),
    (r"^customerPayment\.currency$", "amount.currency"),
)


def canonical_field(native: str, fields: FieldMap) -> str:
    for pattern, replacement in fields:
        if re.match(pattern, native):
            return re.sub(pattern, replacement, native)
    return native
