"""XML in and out, the way the ERP speaks it.

Parsing is defensive: a document with a DTD or entity declarations is refused outright (never
expanded), malformed XML and oversized bodies are refused, and every field is read through
:class:`Fields`, which names the element at fault when it is missing, structured where a value
was expected, or not of its type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from system_apis.backends.erp.errors import ErpFault, invalid_field, missing_field
from system_apis.backends.erp.models import AMOUNT_PLACES, MAX_AMOUNT

MAX_DOCUMENT_BYTES = 512 * 1024
_CURRENCY = re.compile(r"^[A-Z]{3}$")
_TWO_PLACES = Decimal("0.01")


def parse_document(body: bytes, root: str) -> Fields:
    """The request body as a ``<root>`` document, or the XML fault that says why it is not."""
    if len(body) > MAX_DOCUMENT_BYTES:
        raise ErpFault(
            413,
            "REQUEST_TOO_LARGE",
            f"The request document exceeds the limit of {MAX_DOCUMENT_BYTES} bytes.",
        )
    if not body.strip():
        raise ErpFault(400, "INVALID_XML", f"The request body is empty; expected <{root}>.")
    try:
        element = safe_xml.fromstring(body, forbid_dtd=True)
    except DefusedXmlException:
        raise ErpFault(
            400,
            "INVALID_XML",
            "Document type declarations and entities are not allowed in a request.",
        ) from None
    except (ParseError, ValueError) as exc:
        raise ErpFault(400, "INVALID_XML", f"The request is not well-formed XML: {exc}.") from None
    if element.tag != root:
        raise ErpFault(
            400,
            "INVALID_XML",
            f"Expected a <{root}> document, found <{element.tag}>.",
        )
    return Fields(element, root)


class Fields:
    """Typed access to the child elements of one element; errors name the element's path."""

    def __init__(self, element: Element, path: str) -> None:
        self.element = element
        self.path = path

    def _name(self, tag: str) -> str:
        return f"{self.path}.{tag}"

    def _value_element(self, tag: str) -> Element | None:
        found = self.element.findall(tag)
        if len(found) > 1:
            raise invalid_field(self._name(tag), "appears more than once")
        if not found:
            return None
        if len(found[0]):
            raise invalid_field(self._name(tag), "must be a value, not nested elements")
        return found[0]

    def has(self, tag: str) -> bool:
        return self.element.find(tag) is not None

    def text(self, tag: str, *, required: bool = False, max_length: int = 255) -> str | None:
        element = self._value_element(tag)
        value = (element.text or "").strip() if element is not None else ""
        if not value:
            if required:
                raise missing_field(self._name(tag))
            return None
        if len(value) > max_length:
            raise invalid_field(self._name(tag), f"longer than {max_length} characters")
        return value

    def required_text(self, tag: str, *, max_length: int = 255) -> str:
        value = self.text(tag, required=True, max_length=max_length)
        assert value is not None
        return value

    def boolean(self, tag: str, default: bool) -> bool:
        value = self.text(tag, max_length=5)
        if value is None:
            return default
        if value not in ("true", "false"):
            raise invalid_field(self._name(tag), "must be true or false")
        return value == "true"

    def integer(self, tag: str, *, minimum: int, maximum: int) -> int:
        value = self.required_text(tag, max_length=12)
        if not re.fullmatch(r"-?[0-9]+", value):
            raise invalid_field(self._name(tag), "must be a whole number")
        number = int(value)
        if not minimum <= number <= maximum:
            raise invalid_field(self._name(tag), f"must be between {minimum} and {maximum}")
        return number

    def amount(self, tag: str, *, positive: bool = False) -> Decimal:
        return parse_amount(
            self.required_text(tag, max_length=24), self._name(tag), positive=positive
        )

    def day(self, tag: str) -> date | None:
        value = self.text(tag, max_length=10)
        if value is None:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise invalid_field(self._name(tag), "must be a date as YYYY-MM-DD") from None

    def currency(self, tag: str, default: str | None = None) -> str:
        value = self.text(tag, required=default is None, max_length=3) or default
        assert value is not None
        if not _CURRENCY.match(value):
            raise invalid_field(self._name(tag), "must be an ISO 4217 code such as USD")
        return value

    def child(self, tag: str) -> Fields | None:
        found = self.element.findall(tag)
        if len(found) > 1:
            raise invalid_field(self._name(tag), "appears more than once")
        return Fields(found[0], self._name(tag)) if found else None

    def items(self, container: str, tag: str) -> list[Fields]:
        holder = self.child(container)
        if holder is None:
            return []
        holder.only(tag)
        return [
            Fields(element, f"{holder.path}.{tag}[{index}]")
            for index, element in enumerate(holder.element.findall(tag))
        ]

    def attribute(self, name: str, *, max_length: int = 100) -> str | None:
        value = (self.element.get(name) or "").strip()
        if len(value) > max_length:
            raise invalid_field(f"{self.path}@{name}", f"longer than {max_length} characters")
        return value or None

    def only(self, *allowed: str, why: str = "is not a field of this record") -> None:
        """Refuses child elements the record does not have (a typo must not pass silently)."""
        for element in self.element:
            if element.tag not in allowed:
                raise invalid_field(self._name(str(element.tag)), why)


def parse_amount(text: str, field: str, *, positive: bool = False) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise invalid_field(field, "must be a decimal number such as 12.50") from None
    exponent = value.as_tuple().exponent
    if not value.is_finite() or not isinstance(exponent, int):
        raise invalid_field(field, "must be a finite decimal number")
    if exponent < -AMOUNT_PLACES:
        raise invalid_field(field, f"has more than {AMOUNT_PLACES} decimal places")
    if value < 0 or (positive and value == 0):
        raise invalid_field(field, "must be greater than zero" if positive else "is negative")
    if value > MAX_AMOUNT:
        raise invalid_field(field, f"exceeds the maximum of {MAX_AMOUNT}")
    return value


def format_amount(value: Decimal) -> str:
    """Amounts on the wire: at least two places, more only when the value has them."""
    significant = value.normalize()
    exponent = significant.as_tuple().exponent
    if isinstance(exponent, int) and exponent >= -2:
        return str(value.quantize(_TWO_PLACES))
    return format(significant, "f")


def format_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def now_to_the_second() -> datetime:
    # Stored exactly as shown on the wire, so a record read back equals what was written.
    return datetime.now(UTC).replace(microsecond=0)


def today_utc() -> date:
    return datetime.now(UTC).date()


def add(parent: Element, tag: str, value: str | None, **attributes: str | None) -> Element | None:
    """Appends ``<tag>value</tag>``; skips the element when there is nothing to say."""
    present = {name: text for name, text in attributes.items() if text is not None}
    if value is None and not present:
        return None
    child = SubElement(parent, tag, present)
    child.text = value
    return child


def boolean_text(value: bool) -> str:
    return "true" if value else "false"


def render(element: Element) -> bytes:
    return tostring(element, encoding="utf-8", xml_declaration=True)


def record(tag: str, internal_id: int, external_id: str | None) -> Element:
    attributes = {"internalId": str(internal_id)}
    if external_id is not None:
        attributes["externalId"] = external_id
    return Element(tag, attributes)


def search_result(
    records: Iterable[Element],
    *,
    total: int,
    page_index: int,
    page_size: int,
) -> Element:
    """A page in the ERP's search style: ``totalRecords``, ``totalPages``, ``pageIndex``."""
    root = Element("searchResult")
    SubElement(root, "status", {"isSuccess": "true"})
    add(root, "totalRecords", str(total))
    add(root, "pageSize", str(page_size))
    add(root, "totalPages", str(-(-total // page_size)))
    add(root, "pageIndex", str(page_index))
    holder = SubElement(root, "recordList")
    holder.extend(records)
    return root
