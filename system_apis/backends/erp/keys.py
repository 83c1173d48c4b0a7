"""Record keys in URLs and references: an internal id (``42``) or an external id (``eid:ABC``),
the two ways the ERP lets a caller name a record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false

from system_apis.backends.erp.errors import invalid_field, invalid_reference, record_not_found
from system_apis.backends.erp.wire import Fields

EXTERNAL_PREFIX = "eid:"
_DIGITS = re.compile(r"[0-9]{1,12}")
_MAX_INTERNAL_ID = 2**31 - 1  # the column is a 32-bit integer; anything larger names nothing


@dataclass(frozen=True)
class Key:
    internal_id: int | None = None
    external_id: str | None = None

    def __str__(self) -> str:
        if self.external_id is not None:
            return EXTERNAL_PREFIX + self.external_id
        return str(self.internal_id)

    def matches(self, model: Any) -> ColumnElement[bool]:
        """The WHERE clause selecting this record; an id that cannot exist selects nothing."""
        if self.external_id is not None:
            return model.external_id == self.external_id
        if self.internal_id is None or not 0 < self.internal_id <= _MAX_INTERNAL_ID:
            return false()
        return model.internal_id == self.internal_id


def parse_key(text: str) -> Key | None:
    if text.startswith(EXTERNAL_PREFIX):
        external = text[len(EXTERNAL_PREFIX) :]
        return Key(external_id=external) if 0 < len(external) <= 100 else None
    if _DIGITS.fullmatch(text):
        return Key(internal_id=int(text))
    return None


def path_key(text: str, record_type: str) -> Key:
    """The key named in a URL; one that is not a key at all is a record that does not exist."""
    key = parse_key(text)
    if key is None:
        raise record_not_found(record_type, text)
    return key


def reference(fields: Fields, tag: str, *, required: bool = True) -> Key | None:
    """A record reference element: ``<entity internalId="42"/>`` or ``externalId="..."``."""
    ref = fields.child(tag)
    if ref is None:
        if required:
            raise invalid_reference(f"{fields.path}.{tag}", "(none given)")
        return None
    internal = ref.attribute("internalId", max_length=12)
    external = ref.attribute("externalId")
    if internal is not None:
        if not _DIGITS.fullmatch(internal):
            raise invalid_reference(ref.path, internal)
        return Key(internal_id=int(internal))
    if external is not None:
        return Key(external_id=external)
    raise invalid_reference(ref.path, "(neither internalId nor externalId given)")


def query_key(value: str | None, parameter: str = "entity") -> Key | None:
    """A search filter naming a record, as ``42`` or ``eid:ABC``."""
    if value is None:
        return None
    key = parse_key(value)
    if key is None:
        raise invalid_field(parameter, "must be an internal id or eid:<external id>")
    return key
