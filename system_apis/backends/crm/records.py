"""Records on the wire: JSON bodies checked field by field as Salesforce checks them, and
stored values written back in Salesforce's JSON (``2025-01-09T15:46:00.000+0000`` times)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from system_apis.backends.crm.errors import SalesforceError, json_parser_error, malformed_id
from system_apis.backends.crm.ids import normalize_id
from system_apis.backends.crm.sobjects import FieldSpec, FieldType, SObjectSpec, sobject

API_VERSION = "v59.0"
DATA_PATH = f"/services/data/{API_VERSION}"

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# The dates and times Salesforce can store.
EARLIEST = datetime(1700, 1, 1, tzinfo=UTC)
LATEST = datetime(4000, 12, 31, 23, 59, 59, 999000, tzinfo=UTC)


def format_datetime(value: datetime) -> str:
    v = value.astimezone(UTC)
    return (
        f"{v.year:04d}-{v.month:02d}-{v.day:02d}T{v.hour:02d}:{v.minute:02d}:{v.second:02d}"
        f".{v.microsecond // 1000:03d}+0000"
    )


def to_millis(value: datetime) -> datetime:
    """Salesforce keeps times to the millisecond."""
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def wire_value(field: FieldSpec, value: Any) -> Any:
    if value is None:
        return None
    if field.type is FieldType.DATETIME:
        return format_datetime(value)
    if field.type is FieldType.DATE:
        return value.isoformat()
    return value


def record_url(root: str, spec: SObjectSpec, record_id: str) -> str:
    return f"{root}{DATA_PATH}/sobjects/{spec.name}/{record_id}"


def to_wire(
    spec: SObjectSpec,
    fields: tuple[FieldSpec, ...],
    value_of: Callable[[FieldSpec], Any],
    root: str,
) -> dict[str, Any]:
    """One record as Salesforce answers it: ``attributes`` first, then the fields asked for."""
    id_field = spec.field("Id")
    assert id_field is not None
    record: dict[str, Any] = {
        "attributes": {"type": spec.name, "url": record_url(root, spec, value_of(id_field))},
    }
    for field in fields:
        record[field.name] = wire_value(field, value_of(field))
    return record


def parse_body(raw: bytes, spec: SObjectSpec) -> dict[str, Any]:
    """The request body as a JSON object, or Salesforce's JSON_PARSER_ERROR."""
    if not raw.strip():
        raise json_parser_error("No content to map due to end-of-input")
    try:
        body = json.loads(raw)
    except UnicodeDecodeError:
        raise json_parser_error("Invalid UTF-8 start byte in the request body") from None
    except json.JSONDecodeError as exc:
        raise json_parser_error(
            f"Unexpected character at [line:{exc.lineno}, column:{exc.colno}]: {exc.msg}"
        ) from None
    except RecursionError:
        raise json_parser_error("Maximum nesting depth exceeded") from None
    if not isinstance(body, dict):
        raise json_parser_error(
            f"Cannot deserialize instance of {spec.name} from {_token(body)} value"
        )
    return body


def checked_fields(
    spec: SObjectSpec,
    body: dict[str, Any],
    *,
    creating: bool,
    current: Callable[[FieldSpec], Any] | None = None,
) -> dict[FieldSpec, Any]:
    """Each field of the body, checked and converted to its stored value.

    ``current`` reads the record being updated: writing a create-only field with the value it
    already has is accepted (an upsert sends the whole record), any other change is refused.
    """
    values: dict[FieldSpec, Any] = {}
    read_only: list[str] = []
    for name, raw in body.items():
        if name == "attributes":
            continue
        field = spec.field(name)
        if field is None:
            raise SalesforceError(
                400,
                "INVALID_FIELD",
                f"No such column '{name}' on sobject of type {spec.name}",
            )
        value = stored_value(field, raw)
        writable = field.createable if creating else field.updateable
        if not writable:
            unchanged = current is not None and field.createable and current(field) == value
            if not unchanged:
                read_only.append(field.name)
            continue
        values[field] = value
    if read_only:
        raise SalesforceError(
            400,
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(read_only)}. Please check the security "
            "settings of this field and verify that it is read/write for your profile or "
            "permission set.",
            read_only,
        )
    return values


def stored_value(field: FieldSpec, raw: Any) -> Any:
    """One JSON value as the field stores it; Salesforce stores an empty text as null."""
    if raw is None or (raw == "" and field.type is not FieldType.BOOLEAN):
        if not field.nillable and field.createable:
            raise required_missing([field.name])
        return None
    if field.type is FieldType.BOOLEAN:
        if not isinstance(raw, bool):
            raise _cannot_deserialize("boolean", raw)
        return raw
    if not isinstance(raw, str):
        raise _cannot_deserialize(_java_type(field), raw)
    _check_characters(field, raw)
    if field.type is FieldType.DATETIME:
        return _in_range(field, raw, _datetime(raw))
    if field.type is FieldType.DATE:
        return _in_range(field, raw, _date(raw))
    if field.type is FieldType.REFERENCE:
        return _reference(field, raw)
    return _text(field, raw)


def required_missing(names: list[str]) -> SalesforceError:
    return SalesforceError(
        400,
        "REQUIRED_FIELD_MISSING",
        f"Required fields are missing: [{', '.join(names)}]",
        names,
    )


def _text(field: FieldSpec, raw: str) -> str:
    shown = raw[:40] + ("..." if len(raw) > 40 else "")
    if field.restricted and raw not in field.picklist:
        raise SalesforceError(
            400,
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{field.label}: bad value for restricted picklist field: {shown}",
            [field.name],
        )
    if field.length is not None and len(raw) > field.length:
        raise SalesforceError(
            400,
            "STRING_TOO_LONG",
            f"{field.label}: data value too large: {shown} (max length={field.length})",
            [field.name],
        )
    if field.type is FieldType.EMAIL and not _EMAIL.match(raw):
        raise SalesforceError(
            400,
            "INVALID_EMAIL_ADDRESS",
            f"{field.label}: invalid email address: {raw}",
            [field.name],
        )
    return raw


def _reference(field: FieldSpec, raw: str) -> str:
    target = sobject(field.reference_to or "")
    assert target is not None
    full = normalize_id(raw, target.key_prefix)
    if full is None:
        raise malformed_id(field.label, raw, field.name)
    return full


def _datetime(raw: str) -> datetime:
    if _DATETIME.match(raw):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            aware = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
            try:
                return to_millis(aware.astimezone(UTC))
            except OverflowError:
                pass
    raise _cannot_deserialize("datetime", raw)


def _in_range(field: FieldSpec, raw: str, value: date) -> date:
    day = value.date() if isinstance(value, datetime) else value
    if not EARLIEST.date() <= day <= LATEST.date():
        raise SalesforceError(
            400,
            "INVALID_TYPE_ON_FIELD_IN_RECORD",
            f"{field.label}: value not of required type: {raw[:40]}",
            [field.name],
        )
    return value


def _date(raw: str) -> date:
    if _DATE.match(raw):
        try:
            return date.fromisoformat(raw)
        except ValueError:
            pass
    raise _cannot_deserialize("date", raw)


def _check_characters(field: FieldSpec, raw: str) -> None:
    # A NUL or a lone surrogate can be written in JSON but stored by no database.
    if "\x00" in raw or any(0xD800 <= ord(char) <= 0xDFFF for char in raw):
        raise json_parser_error(f"{field.name}: illegal character in string value")


def _java_type(field: FieldSpec) -> str:
    return {FieldType.DATETIME: "datetime", FieldType.DATE: "date"}.get(field.type, "string")


def _token(value: Any) -> str:
    if isinstance(value, bool):
        return "VALUE_TRUE" if value else "VALUE_FALSE"
    if isinstance(value, int):
        return "VALUE_NUMBER_INT"
    if isinstance(value, float):
        return "VALUE_NUMBER_FLOAT"
    if isinstance(value, str):
        return "VALUE_STRING"
    if isinstance(value, list):
        return "START_ARRAY"
    return "START_OBJECT"


def _cannot_deserialize(type_name: str, raw: Any) -> SalesforceError:
    shown = raw if isinstance(raw, str | int | float) else ""
    return json_parser_error(
        f"Cannot deserialize instance of {type_name} from {_token(raw)} value {shown} or "
        "request may be missing a required field",
    )
