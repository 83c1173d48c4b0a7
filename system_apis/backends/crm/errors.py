"""Salesforce's own error format: a JSON array of ``{"message", "errorCode", "fields"}``.

Every failure of the CRM stand-in answers this way, as the real product does, never with
problem+json (that is for Strata's own APIs).
"""

from __future__ import annotations

import json
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from system_apis.backends.faults import NativeError

log = structlog.get_logger(__name__)


class SalesforceError(Exception):
    """One Salesforce error; the handler turns it into ``[{"message", "errorCode", "fields"}]``."""

    def __init__(
        self,
        status: int,
        error_code: str,
        message: str,
        fields: list[str] | None = None,
    ) -> None:
        # Messages quote the client's input, which JSON may have given lone surrogates.
        message = message.encode("utf-8", "replace").decode("utf-8")
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.message = message
        self.fields = fields or []

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.error_code, "fields": self.fields}]


def not_found() -> SalesforceError:
    return SalesforceError(404, "NOT_FOUND", "The requested resource does not exist")


def entity_is_deleted() -> SalesforceError:
    return SalesforceError(404, "ENTITY_IS_DELETED", "entity is deleted")


def json_parser_error(message: str) -> SalesforceError:
    return SalesforceError(400, "JSON_PARSER_ERROR", message)


def invalid_field(message: str, fields: list[str] | None = None) -> SalesforceError:
    return SalesforceError(400, "INVALID_FIELD", message, fields)


def malformed_query(message: str) -> SalesforceError:
    return SalesforceError(400, "MALFORMED_QUERY", message)


def malformed_id(label: str, value: str, field: str | None = None) -> SalesforceError:
    return SalesforceError(
        400,
        "MALFORMED_ID",
        f"{label}: id value of incorrect type: {value}",
        [field] if field else [],
    )


def _response(status: int, body: list[dict[str, Any]]) -> JSONResponse:
    return JSONResponse(body, status_code=status)


async def _handle_salesforce(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, SalesforceError)
    return _response(exc.status, exc.body())


async def _handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    # Only the fault admin endpoint uses FastAPI validation; its errors still speak Salesforce.
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0] if exc.errors() else {}
    field = ".".join(str(part) for part in first.get("loc", ())[1:])
    error = json_parser_error(f"{field or 'body'}: {first.get('msg', 'is invalid')}")
    return _response(error.status, error.body())


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 405:
        message = f"HTTP Method '{request.method}' not allowed."
        allowed = (exc.headers or {}).get("Allow")
        if allowed:
            message += f" Allowed are {allowed}"
        return _response(405, SalesforceError(405, "METHOD_NOT_ALLOWED", message).body())
    if exc.status_code == 404:
        return _response(404, not_found().body())
    detail = exc.detail if isinstance(exc.detail, str) else "request failed"
    return _response(exc.status_code, SalesforceError(exc.status_code, "UNKNOWN", detail).body())


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("crm backend failed", path=request.url.path)
    return _response(500, SERVER_ERROR_BODY)


def install_salesforce_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SalesforceError, _handle_salesforce)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(Exception, _handle_unexpected)


SERVER_ERROR_BODY = [
    {
        "message": "An unexpected error occurred. Please include this ErrorId if you contact "
        "support: 1042397588-63519 (-1127713925)",
        "errorCode": "UNKNOWN_EXCEPTION",
        "fields": [],
    }
]

# What the fault injector answers with: Salesforce's own 500 body, and a reply cut off mid-way
# (as from a proxy that dropped the connection) for the junk mode.
SERVER_ERROR = NativeError("application/json", json.dumps(SERVER_ERROR_BODY).encode())
JUNK = NativeError(
    "application/json;charset=UTF-8",
    b'{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Account","url":"/services/da',
)
