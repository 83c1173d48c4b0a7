"""SOQL written by the CRM system API. Every value a client gives goes through ``quote`` (or
``contains``), so a name like ``O'Brien`` stays a value and never becomes part of the query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

_ESCAPES = {
    "\\": "\\\\",
    "'": "\\'",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    '"': '\\"',
}
_LIKE_ESCAPES = {"%": "\\%", "_": "\\_"}


def quote(value: str) -> str:
    """A SOQL string literal whose value is exactly ``value``."""
    return "'" + "".join(_ESCAPES.get(char, char) for char in value) + "'"


def contains(value: str) -> str:
    """A LIKE pattern literal matching any text that contains ``value`` (its own ``%`` and
    ``_`` match themselves)."""
    escaped = "".join(_LIKE_ESCAPES.get(char, _ESCAPES.get(char, char)) for char in value)
    return "'%" + escaped + "%'"


# Salesforce keeps no date-time outside these; a time beyond them compares as the end it passed.
EARLIEST = datetime(1700, 1, 1, tzinfo=UTC)
LATEST = datetime(4000, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def datetime_literal(value: datetime) -> str:
    """A SOQL date-time literal (UTC, to the millisecond) for ``value``."""
    try:
        v = min(max(value.astimezone(UTC), EARLIEST), LATEST)
    except OverflowError:
        v = EARLIEST if value.year < 2000 else LATEST
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond // 1000:03d}Z"
    )


def boolean(value: bool) -> str:
    return "true" if value else "false"


@dataclass
class Select:
    """One SELECT statement, built clause by clause."""

    sobject: str
    fields: Iterable[str]
    conditions: list[str] = field(default_factory=list)
    order_by: list[str] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None

    def where(self, condition: str) -> Select:
        self.conditions.append(condition)
        return self

    def __str__(self) -> str:
        soql = f"SELECT {', '.join(self.fields)} FROM {self.sobject}"
        if self.conditions:
            soql += " WHERE " + " AND ".join(f"({c})" for c in self.conditions)
        if self.order_by:
            soql += " ORDER BY " + ", ".join(self.order_by)
        if self.limit is not None:
            soql += f" LIMIT {self.limit}"
        if self.offset:
            soql += f" OFFSET {self.offset}"
        return soql
