"""How the ERP names a customer on a transaction: its display name and its record reference."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement

from system_apis.backends.erp.models import ErpCustomer
from system_apis.backends.erp.wire import add


def display_name(customer: ErpCustomer) -> str:
    if customer.is_person:
        return f"{customer.first_name or ''} {customer.last_name or ''}".strip()
    return customer.company_name or customer.entity_id


def entity_reference(parent: Element, tag: str, customer: ErpCustomer) -> None:
    ref = SubElement(parent, tag, _ref_attributes(customer.internal_id, customer.external_id))
    ref.set("type", "customer")
    add(ref, "name", display_name(customer))


def _ref_attributes(internal_id: int, external_id: str | None) -> dict[str, str]:
    attributes = {"internalId": str(internal_id)}
    if external_id is not None:
        attributes["externalId"] = external_id
    return attributes
