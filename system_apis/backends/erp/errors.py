"""The ERP's own error format: an XML ``<error>`` with a code, a message and, where one field is
to blame, the field's name; plus the handlers that make every failure answer that way."""

from __future__ import annotations

from xml.etree.ElementTree import Element, SubElement, tostring

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from system_apis.backends.faults import NativeError

XML_MEDIA_TYPE = "application/xml"

log = structlog.get_logger(__name__)


class ErpFault(Exception):
    """A refusal in the ERP's own terms; ``details`` become child elements of ``<detail>``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        details: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details or {}

    def to_xml(self) -> bytes:
        return error_document(self.code, self.message, field=self.field, details=self.details)


def error_document(
    code: str,
    message: str,
    *,
    field: str | None = None,
    details: dict[str, str] | None = None,
) -> bytes:
    root = Element("error")
    SubElement(root, "code").text = code
    SubElement(root, "message").text = message
    if field:
        SubElement(root, "field").text = field
    if details:
        detail = SubElement(root, "detail")
        for name, value in details.items():
            SubElement(detail, name).text = value
    return tostring(root, encoding="utf-8", xml_declaration=True)


def fault_response(fault: ErpFault) -> Response:
    return Response(fault.to_xml(), status_code=fault.status, media_type=XML_MEDIA_TYPE)


def record_not_found(record_type: str, reference: str) -> ErpFault:
    return ErpFault(
        404,
        "RCRD_DSNT_EXIST",
        f"That record does not exist. {record_type} with key {reference} was not found.",
        details={"recordType": record_type, "key": reference},
    )


def missing_field(field: str) -> ErpFault:
    return ErpFault(400, "REQD_FLD_MISSING", f"Please enter value(s) for: {field}.", field=field)


def invalid_field(field: str, why: str) -> ErpFault:
    return ErpFault(
        400,
        "INVALID_FLD_VALUE",
        f"Invalid field value for {field}: {why}.",
        field=field,
    )


def invalid_reference(field: str, reference: str) -> ErpFault:
    return ErpFault(
        400,
        "INVALID_KEY_OR_REF",
        f"Invalid {field} reference key {reference}.",
        field=field,
    )


SERVER_ERROR = NativeError(
    XML_MEDIA_TYPE,
    error_document(
        "UNEXPECTED_ERROR",
        "An unexpected error has occurred. Technical details of the problem have been recorded.",
    ),
)
# What a load balancer in trouble sometimes hands back: a 200 with half a document.
JUNK = NativeError(
    XML_MEDIA_TYPE,
    b'<?xml version="1.0" encoding="utf-8"?><searchResult><status isSuccess="true"/>'
    b"<recordList><record internalId=",
)


async def _handle_fault(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ErpFault)
    return fault_response(exc)


async def _handle_query_validation(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    field = str(first.get("loc", ("query", "?"))[-1])
    return fault_response(invalid_field(field, str(first.get("msg", "is invalid")).lower()))


async def _handle_http(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        fault = ErpFault(405, "INVALID_REQUEST", "The HTTP method is not allowed for this URL.")
    elif exc.status_code == 404:
        fault = ErpFault(404, "INVALID_URL", "The URL does not name a record service.")
    else:
        fault = ErpFault(exc.status_code, "INVALID_REQUEST", str(exc.detail))
    return fault_response(fault)


async def _handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("erp backend failed", path=request.url.path)
    return Response(SERVER_ERROR.body, status_code=500, media_type=XML_MEDIA_TYPE)


def install_fault_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ErpFault, _handle_fault)
    app.add_exception_handler(RequestValidationError, _handle_query_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(Exception, _handle_unexpected)
