"""The ERP data map, both ways: status codes, money, times, names, ids, addresses, records."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any
from urllib.parse import unquote
from xml.etree.ElementTree import Element

import pytest
from hypothesis import given
from hypothesis import strategies as st

from system_apis.backends.erp.sales_orders.documents import read_order
from system_apis.backends.erp.wire import format_amount, parse_document
from system_apis.canonical import Address, Customer, CustomerKind, InvoiceStatus, OrderStatus
from system_apis.erp import data_map
from system_apis.erp.data_map import CanonicalName, NativeName
from system_apis.erp.schemas import CreateInvoiceRequest, CreateOrderRequest, PaymentRequest
from system_apis.erp.xml_reader import MappingError, Record, parse_answer, to_bytes

amounts = st.decimals(
    min_value=0, max_value=10**12, places=4, allow_nan=False, allow_infinity=False
)
currencies = st.from_regex(r"[A-Z]{3}", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(1, 1, 2),
    max_value=datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
    ),
)
words = st.text(alphabet=st.characters(categories=["L"]), min_size=1, max_size=12)
names = st.lists(words, min_size=1, max_size=4).map(" ".join)
# Text as it survives XML: printable, no surrounding whitespace, not empty.
xml_text = (
    st.text(
        alphabet=st.characters(codec="utf-8", categories=["L", "N", "P", "S", "Zs"]),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)
customer_ids = st.from_regex(r"[A-Za-z0-9._-][A-Za-z0-9._:-]{0,40}", fullmatch=True).filter(
    lambda value: not value.startswith("erp:"),
)


def through_the_wire(element: Element) -> Record:
    return Record(parse_answer(to_bytes(element)))


# --- status codes -----------------------------------------------------------------------


@given(st.sampled_from(OrderStatus))
def test_order_status_round_trips_through_its_letter(status: OrderStatus) -> None:
    code = data_map.order_status_code(status)
    assert code in "ABCDEFGH" and len(code) == 1
    assert data_map.order_status_from_code(code) is status


@given(st.sampled_from("ABCDEFGH"))
def test_every_letter_code_is_a_canonical_status(code: str) -> None:
    assert data_map.order_status_code(data_map.order_status_from_code(code)) == code


def test_letter_codes_mean_what_the_erp_says() -> None:
    assert data_map.order_status_from_code("B") is OrderStatus.PENDING_FULFILLMENT
    assert data_map.order_status_from_code("E") is (OrderStatus.PENDING_BILLING_PARTIALLY_FULFILLED)
    assert data_map.order_status_from_code("G") is OrderStatus.BILLED
    assert data_map.invoice_status_from_code("B") is InvoiceStatus.PAID
    assert data_map.invoice_status_from_code("V") is InvoiceStatus.CANCELLED
    with pytest.raises(MappingError, match="'Z'"):
        data_map.order_status_from_code("Z")
    with pytest.raises(MappingError):
        data_map.invoice_status_from_code("C")


@given(st.sampled_from(InvoiceStatus))
def test_invoice_status_round_trips_through_its_code(status: InvoiceStatus) -> None:
    assert data_map.invoice_status_from_code(data_map.invoice_status_code(status)) is status


# --- money, times, dates ------------------------------------------------------------------


@given(amounts)
def test_amounts_round_trip_exactly_and_match_the_erps_format(amount: Decimal) -> None:
    text = data_map.amount_text(amount)
    assert data_map.amount_from_text(text, "total") == amount
    assert len(text.partition(".")[2]) >= 2
    assert text == format_amount(amount)


@given(amounts, currencies)
def test_money_round_trips(amount: Decimal, currency: str) -> None:
    money = data_map.money_from_text(data_map.amount_text(amount), currency, "total")
    assert (money.amount, money.currency) == (amount, currency)


def test_unreadable_money_is_a_mapping_error() -> None:
    for text, currency in (("12,50", "USD"), ("Infinity", "USD"), ("1.5", "usd")):
        with pytest.raises(MappingError):
            data_map.money_from_text(text, currency, "total")


@given(moments)
def test_timestamps_round_trip_to_the_second_in_utc(moment: datetime) -> None:
    text = data_map.timestamp_text(moment)
    assert text.endswith("Z")
    back = data_map.timestamp_from_text(text, "createdDate")
    assert back == moment.replace(microsecond=0)
    assert back.utcoffset() == timedelta(0)


def test_timestamps_without_a_zone_are_refused() -> None:
    with pytest.raises(MappingError, match="time zone"):
        data_map.timestamp_from_text("2026-01-01T10:00:00", "createdDate")
    with pytest.raises(MappingError):
        data_map.timestamp_from_text("yesterday", "createdDate")


@given(st.dates())
def test_dates_round_trip_and_a_due_date_is_midnight_utc(day: date) -> None:
    assert data_map.date_from_text(data_map.date_text(day), "dueDate") == day
    moment = data_map.due_moment(day)
    assert (moment.date(), moment.hour, moment.utcoffset()) == (day, 0, timedelta(0))


# --- names ----------------------------------------------------------------------------------


@given(names)
def test_company_names_round_trip(name: str) -> None:
    native = data_map.native_name(CanonicalName(CustomerKind.COMPANY, name, None, None))
    assert (native.is_person, native.company_name) == (False, name)
    assert data_map.canonical_name(native) == CanonicalName(CustomerKind.COMPANY, name, None, None)


@given(words, words)
def test_person_names_round_trip(first: str, last: str) -> None:
    canonical = CanonicalName(CustomerKind.PERSON, f"{first} {last}", first, last)
    native = data_map.native_name(canonical)
    assert native == NativeName(True, None, first, last)
    assert data_map.canonical_name(native) == canonical


@given(names)
def test_a_person_known_by_full_name_keeps_that_name(name: str) -> None:
    native = data_map.native_name(CanonicalName(CustomerKind.PERSON, name, None, None))
    assert native.first_name and native.last_name
    back = data_map.canonical_name(native)
    assert back.kind is CustomerKind.PERSON
    assert back.name == (name if " " in name else f"{name} {name}")


@given(st.booleans(), words, words, names)
def test_native_names_round_trip(is_person: bool, first: str, last: str, company: str) -> None:
    native = (
        NativeName(True, None, first, last) if is_person else NativeName(False, company, None, None)
    )
    assert data_map.native_name(data_map.canonical_name(native)) == native


def test_a_customer_without_a_name_is_a_mapping_error() -> None:
    with pytest.raises(MappingError, match="companyName"):
        data_map.canonical_name(NativeName(False, None, None, None))
    with pytest.raises(MappingError, match="first nor last"):
        data_map.canonical_name(NativeName(True, None, None, None))


# --- ids ------------------------------------------------------------------------------------


@given(customer_ids)
def test_customer_ids_are_external_ids(customer_id: str) -> None:
    key = data_map.customer_key(customer_id)
    assert key.startswith("eid:") and "/" not in key
    assert unquote(key[4:]) == customer_id
    assert data_map.customer_key(customer_id, in_path=False) == "eid:" + customer_id
    assert data_map.customer_reference_attributes(customer_id) == {"externalId": customer_id}
    assert data_map.customer_id_from_reference("17", customer_id) == customer_id


@given(st.integers(min_value=1, max_value=2**31 - 1))
def test_customers_only_in_the_erp_are_named_by_internal_id(internal_id: int) -> None:
    customer_id = data_map.customer_id_from_reference(str(internal_id), None)
    assert customer_id == f"erp:{internal_id}"
    assert data_map.customer_key(customer_id) == str(internal_id)
    assert data_map.customer_reference_attributes(customer_id) == {"internalId": str(internal_id)}


def test_record_ids_must_be_internal_ids() -> None:
    assert data_map.record_key("93") == "93"
    for bad in ("0", "-1", "abc", "eid:x", "../customer/1", "1" * 11, ""):
        assert data_map.record_key(bad) is None


# --- addresses and customers ----------------------------------------------------------------

addresses = st.builds(
    Address,
    street=st.none() | xml_text,
    city=st.none() | xml_text,
    state=st.none() | xml_text,
    postal_code=st.none() | xml_text,
    country=st.none() | st.from_regex(r"[A-Z]{2}", fullmatch=True),
)


@given(addresses)
def test_addresses_round_trip_through_the_addressbook(address: Address) -> None:
    holder = Element("customer")
    data_map.address_element(holder, address)
    assert data_map.address_from_record(through_the_wire(holder)) == address


def _echoed_by_the_erp(document: Element, customer: Customer) -> Element:
    """What the ERP adds when it stores a customer document."""
    document.set("internalId", "7")
    for tag, value in (
        ("entityId", "CUST-00007"),
        ("currency", "USD"),
        ("dateCreated", data_map.timestamp_text(customer.created_at)),
        ("lastModifiedDate", data_map.timestamp_text(customer.updated_at)),
        ("balance", "0.00"),
        ("overdueBalance", "0.00"),
    ):
        child = Element(tag)
        child.text = value
        document.append(child)
    return document


customers = st.builds(
    Customer,
    id=customer_ids,
    kind=st.just(CustomerKind.COMPANY),
    name=names,
    email=st.none() | st.emails(),
    phone=st.none() | st.from_regex(r"\+1-[0-9]{3}-555-[0-9]{4}", fullmatch=True),
    industry=st.none(),
    billing_address=addresses,
    active=st.booleans(),
    created_at=moments.map(lambda m: m.replace(microsecond=0).astimezone(UTC)),
    updated_at=moments.map(lambda m: m.replace(microsecond=0).astimezone(UTC)),
) | st.builds(
    lambda customer_id, first, last, active, moment: Customer(
        id=customer_id,
        kind=CustomerKind.PERSON,
        name=f"{first} {last}",
        first_name=first,
        last_name=last,
        active=active,
        created_at=moment,
        updated_at=moment,
    ),
    customer_ids,
    words,
    words,
    st.booleans(),
    moments.map(lambda m: m.replace(microsecond=0).astimezone(UTC)),
)


@given(customers)
def test_customers_round_trip_through_the_erp_record(customer: Customer) -> None:
    document = data_map.customer_document(customer)
    record = through_the_wire(_echoed_by_the_erp(document, customer))
    assert data_map.customer_from_record(record) == customer
    account = data_map.account_from_record(record)
    assert (account.customer_id, account.erp_id, account.number) == (customer.id, "7", "CUST-00007")


def test_the_erp_keeps_no_industry() -> None:
    customer = Customer(
        id="C-1",
        kind=CustomerKind.COMPANY,
        name="Acme",
        industry="Retail",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    document = data_map.customer_document(customer)
    assert document.find("industry") is None
    back = data_map.customer_from_record(through_the_wire(_echoed_by_the_erp(document, customer)))
    assert back.industry is None


# --- orders and invoices --------------------------------------------------------------------

SEEDED_ORDER = b"""<?xml version='1.0' encoding='utf-8'?>
<salesOrder internalId="4" externalId="web-4"><tranId>SO-10004</tranId>
<entity internalId="2" externalId="001Dn0000000002IAA" type="customer"><name>Initech</name></entity>
<tranDate>2025-02-20</tranDate><currency>USD</currency><status name="fullyBilled">G</status>
<itemList><item><line>1</line><item>FUR-001-GRA</item><quantity>5</quantity><rate>95.00</rate>
<amount>475.00</amount></item></itemList><total>475.00</total>
<createdDate>2025-02-20T14:04:00Z</createdDate><lastModifiedDate>2025-02-21T09:00:00Z</lastModifiedDate>
</salesOrder>"""

SEEDED_INVOICE = b"""<invoice internalId="3"><tranId>INV-10003</tranId>
<createdFrom internalId="4" type="salesOrder"><name>SO-10004</name></createdFrom>
<entity internalId="2" type="customer"><name>Initech</name></entity>
<tranDate>2025-02-21</tranDate><dueDate>2025-03-23</dueDate><currency>EUR</currency>
<status name="voided">V</status><total>475.00</total><amountPaid>0.00</amountPaid>
<amountRemaining>0.00</amountRemaining><createdDate>2025-02-21T14:04:00Z</createdDate>
<lastModifiedDate>2025-03-07T14:04:00Z</lastModifiedDate></invoice>"""


def test_a_native_order_in_the_canonical_model() -> None:
    order = data_map.order_from_record(Record(parse_answer(SEEDED_ORDER)))
    assert (order.id, order.number, order.external_id) == ("4", "SO-10004", "web-4")
    assert order.customer_id == "001Dn0000000002IAA"
    assert order.status is OrderStatus.BILLED
    assert order.lines[0].unit_price.amount == Decimal("95.00")
    assert order.lines[0].amount.amount == Decimal("475")
    assert order.total.currency == "USD"
    assert order.updated_at == datetime(2025, 2, 21, 9, tzinfo=UTC)


def test_a_native_invoice_in_the_canonical_model() -> None:
    invoice = data_map.invoice_from_record(Record(parse_answer(SEEDED_INVOICE)))
    assert (invoice.id, invoice.number, invoice.order_id) == ("3", "INV-10003", "4")
    assert invoice.customer_id == "erp:2"
    assert invoice.status is InvoiceStatus.CANCELLED
    assert invoice.amount_due.amount == 0 and invoice.total.currency == "EUR"
    assert invoice.due_date == datetime(2025, 3, 23, tzinfo=UTC)


def test_records_missing_what_the_model_needs_are_mapping_errors() -> None:
    without_total = SEEDED_ORDER.replace(b"<total>475.00</total>", b"")
    with pytest.raises(MappingError, match="total"):
        data_map.order_from_record(Record(parse_answer(without_total)))
    without_entity = SEEDED_INVOICE.replace(b'<entity internalId="2" type="customer">', b"<x>")
    with pytest.raises(MappingError):
        data_map.invoice_from_record(
            Record(parse_answer(without_entity.replace(b"</entity>", b"</x>")))
        )
    with pytest.raises(MappingError, match="salesOrder"):
        data_map.order_from_record(Record(parse_answer(SEEDED_INVOICE)))
    with pytest.raises(MappingError, match="DTD"):
        parse_answer(b'<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>')


order_lines = st.lists(
    st.fixed_dictionaries(
        {
            "sku": st.from_regex(r"[A-Z]{3}-[0-9]{3}-[A-Z]{3}", fullmatch=True),
            "quantity": st.integers(min_value=1, max_value=1000),
            "unit_price": st.decimals(
                min_value=0, max_value=10**6, places=4, allow_nan=False, allow_infinity=False
            ),
        }
    ),
    min_size=1,
    max_size=5,
)


@given(
    customer_ids,
    order_lines,
    currencies,
    st.sampled_from([OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_FULFILLMENT]),
)
def test_an_order_request_reads_back_as_the_erp_reads_it(
    customer_id: str,
    lines: list[dict[str, Any]],
    currency: str,
    status: OrderStatus,
) -> None:
    request = CreateOrderRequest.model_validate(
        {
            "customer_id": customer_id,
            "external_id": "web-1",
            "currency": currency,
            "lines": lines,
            "status": status,
        }
    )
    native = read_order(parse_document(to_bytes(data_map.order_document(request)), "salesOrder"))
    assert native.external_id == "web-1"
    assert native.entity.external_id == customer_id
    assert native.currency == currency
    assert data_map.order_status_from_code(native.status) is status
    assert [(line.item, line.quantity, line.rate) for line in native.lines] == [
        (line.sku, line.quantity, line.unit_price) for line in request.lines
    ]


def test_invoice_and_payment_documents() -> None:
    invoice = data_map.invoice_document(
        CreateInvoiceRequest(order_id="93", external_id="i-1", due_date=date(2026, 12, 31))
    )
    assert (invoice.get("externalId"), invoice.findtext("dueDate")) == ("i-1", "2026-12-31")
    payment = data_map.payment_document(
        "45", PaymentRequest.model_validate({"amount": {"amount": "12.5", "currency": "USD"}})
    )
    assert payment.get("externalId") is None
    assert payment.find("invoice").get("internalId") == "45"  # type: ignore[union-attr]
    assert (payment.findtext("payment"), payment.findtext("currency")) == ("12.50", "USD")


@given(st.integers(min_value=0, max_value=499))
def test_fault_field_names_map_to_the_fields_the_caller_sent(index: int) -> None:
    native = f"salesOrder.itemList.item[{index}].rate"
    assert data_map.canonical_field(native, data_map.ORDER_FIELDS) == f"lines.{index}.unit_price"
    assert data_map.canonical_field("salesOrder.entity", data_map.ORDER_FIELDS) == "customer_id"
    zip_field = "customer.addressbookList.addressbook[0].addressbookAddress.zip"
    assert data_map.canonical_field(zip_field, data_map.CUSTOMER_FIELDS) == (
        "billing_address.postal_code"
    )
    assert data_map.canonical_field("customerPayment.payment", data_map.PAYMENT_FIELDS) == (
        "amount.amount"
    )
    assert data_map.canonical_field("something.else", data_map.ORDER_FIELDS) == "something.else"
