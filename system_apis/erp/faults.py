"""The ERP's native faults, as canonical problems.

A fault names the native field at fault (``salesOrder.itemList.item[1].quantity``); the data
map's field map for the operation renames it to the canonical field (``lines.1.quantity``), so
a 422 points at what the caller sent, not at the ERP's document.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from strata.errors import Conflict, NotFound, Problem
from system_apis.common.backend_client import BackendClient, BackendError
from system_apis.erp.data_map import ORDER_STATUS_BY_CODE, FieldMap, canonical_field
from system_apis.erp.xml_reader import MappingError, Record, parse_answer


@dataclass(frozen=True)
class Operation:
    """What a call was about, so its faults can be said in canonical terms."""

    resource: str
    identifier: str
    fields: FieldMap = ()
    statuses: Mapping[str, StrEnum] = field(default_factory=lambda: ORDER_STATUS_BY_CODE)
    action: str = "change status"
    # Native reference fields whose unknown key means an unknown canonical resource.
    references: Mapping[str, tuple[str, str]] = field(default_factory=dict)


@dataclass(frozen=True)
class NativeFault:
    status: int
    code: str
    message: str
    field: str | None
    details: dict[str, str]


def read_fault(status: int, content: bytes) -> NativeFault:
    root = Record(parse_answer(content))
    if root.tag != "error":
        raise MappingError(f"an error answer with <{root.tag}> instead of <error>")
    details = {str(child.tag): (child.text or "") for child in root.element.findall("detail/*")}
    return NativeFault(
        status, root.required("code"), root.required("message"), root.optional("field"), details
    )


def problem_for(backend: BackendClient, status: int, content: bytes, op: Operation) -> Problem:
    try:
        fault = read_fault(status, content)
    except MappingError as exc:
        return backend.invalid(f"a {status} answer that is not an ERP fault ({exc})")
    if fault.code == "RCRD_DSNT_EXIST":
        return NotFound(op.resource, op.identifier)
    if fault.code == "INVALID_STATUS_CHANGE":
        return _status_conflict(fault, op)
    if fault.code == "DUP_RCRD":
        field_name = canonical_field(fault.field or "", op.fields) or None
        return Conflict(fault.message, field=field_name)
    if fault.code == "INVALID_KEY_OR_REF" and fault.field and fault.field in op.references:
        return NotFound(*op.references[fault.field])
    if fault.code in ("INVALID_FLD_VALUE", "REQD_FLD_MISSING", "INVALID_KEY_OR_REF"):
        return _invalid(fault, op)
    return BackendError(
        backend.system,
        f"it refused the request ({fault.code}: {fault.message})",
        backend_status=status,
    )


def _status_conflict(fault: NativeFault, op: Operation) -> Problem:
    current = op.statuses.get(fault.details.get("currentStatus", ""))
    if current is None:
        return Conflict(fault.message)
    requested = op.statuses.get(fault.details.get("requestedStatus", ""))
    action = f"become {requested}" if requested is not None else op.action
    extensions: dict[str, Any] = {"current_status": str(current), "reason": fault.message}
    if requested is not None:
        extensions["requested_status"] = str(requested)
    return Conflict(
        f"The {op.resource} {op.identifier} is {current}; it cannot {action}.", **extensions
    )


def _invalid(fault: NativeFault, op: Operation) -> Problem:
    field_name = canonical_field(fault.field or "", op.fields) or "body"
    message = fault.message
    return Problem(
        422,
        "Invalid request",
        f"{field_name}: {message}",
        kind="validation",
        errors=[{"field": field_name, "in": "body", "message": message}],
    )
