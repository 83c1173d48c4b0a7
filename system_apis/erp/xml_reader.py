"""Reading the ERP's XML answers safely, and writing request documents.

Answers are parsed with DTDs and entities refused, like any input from outside. A record's
fields are read through :class:`Record`, which raises :class:`MappingError` saying which
element was missing or unreadable; the client turns that into a 502.
"""

from __future__ import annotations

from xml.etree.ElementTree import Element, ParseError, SubElement, tostring

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException


class MappingError(ValueError):
    """A native record could not be read into the canonical model; the message says why."""


def parse_answer(content: bytes) -> Element:
    try:
        element: Element = safe_xml.fromstring(content, forbid_dtd=True)
    except DefusedXmlException:
        raise MappingError("the document declares a DTD or entities") from None
    except (ParseError, ValueError) as exc:
        raise MappingError(f"malformed XML ({exc})") from None
    return element


class Record:
    """One element of an answer, read field by field."""

    def __init__(self, element: Element) -> None:
        self.element = element
        self.tag = str(element.tag)

    def optional(self, path: str) -> str | None:
        found = self.element.find(path)
        if found is None or not (found.text or "").strip():
            return None
        return (found.text or "").strip()

    def required(self, path: str) -> str:
        value = self.optional(path)
        if value is None:
            raise MappingError(f"<{self.tag}> has no <{path}>")
        return value

    def attribute(self, name: str, path: str | None = None) -> str | None:
        element = self.element if path is None else self.element.find(path)
        return None if element is None else element.get(name)

    def required_attribute(self, name: str, path: str | None = None) -> str:
        value = self.attribute(name, path)
        if not value:
            where = f"<{path}> in <{self.tag}>" if path else f"<{self.tag}>"
            raise MappingError(f"{where} has no {name}")
        return value

    def children(self, path: str) -> list[Record]:
        return [Record(element) for element in self.element.findall(path)]


def add(parent: Element, tag: str, value: str | None) -> None:
    if value is not None:
        SubElement(parent, tag).text = value


def to_bytes(element: Element) -> bytes:
    return tostring(element, encoding="utf-8", xml_declaration=True)
