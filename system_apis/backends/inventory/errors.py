"""Errors the way Shopify's Admin API writes them: always ``{"errors": ...}``.

``{"errors": "Not Found"}`` for an unknown record or route, ``400`` with the parameter that is
wrong for a malformed request, ``422`` with a list of messages per field
(``{"errors": {"quantity": ["must be greater than 0"]}}``, ``base`` for the record as a whole)
for a request the store refuses.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from system_apis.backends.faults import NativeError

log = structlog.get_logger(__name__)

ErrorBody = str | list[str] | dict[str, Any]
# Resource endpoints take their record under one root key (``{"reservation": {...}}``).
ROOT_KEYS = frozenset({"reservation"})

SERVER_ERROR = NativeError(
    "application/json; charset=utf-8",
    json.dumps({"errors": "Internal Server Error"}).encode(),
)
# What a proxy cutting a response short leaves behind: JSON that stops mid-record.
JUNK = NativeError(
    "application/json; charset=utf-8",
    b'{"products":[{"id":84210000000,"title":"Ergo',
)


class ShopifyError(Exception):
    """A refusal answered with ``status`` and ``{"errors": errors}``."""

    def __init__(self, status: int, errors: ErrorBody) -> None:
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors


def not_found() -> ShopifyError:
    return ShopifyError(404, "Not Found")


def unprocessable(field: str, *messages: str) -> ShopifyError:
    return ShopifyError(422, {field: list(messages)})


def bad_request(parameter: str, message: str) -> ShopifyError:
    return ShopifyError(400, {parameter: message})


def _message(error: Any) -> str:
    kind = error.get("type", "")
    context = error.get("ctx") or {}
    if kind == "missing":
        return "can't be blank"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return "must be an integer"
    if kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        words = {
            "greater_than_equal": "greater than or equal to",
            "greater_than": "greater than",
            "less_than_equal": "less than or equal to",
            "less_than": "less than",
        }[kind]
        limit = next(iter(context.values()), "")
        return f"must be {words} {limit}"
    if kind in ("string_too_long", "string_too_short"):
        return str(error.get("msg", "is invalid")).replace("String should", "is expected to")
    if kind == "extra_forbidden":
        return "is not a known parameter"
    return str(error.get("msg", "is invalid")).lower()


def _validation_response(errors: Sequence[Any]) -> JSONResponse:
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ())]
    if first.get("type") == "json_invalid":
        return _answer(400, "[API] Invalid JSON in the request body")
    if location and location[0] in ("query", "path"):
        return _answer(400, {location[-1]: _message(first)})
    fields: dict[str, list[str]] = {}
    for error in errors:
        path = [str(part) for part in error.get("loc", ())][1:]
        if not path or (len(path) == 1 and path[0] in ROOT_KEYS):
            # A missing or mistyped root object is a malformed request, not a wrong field.
            root = path[0] if path else "body"
            return _answer(400, {root: "Required parameter missing or invalid"})
        fields.setdefault(path[-1], []).append(_message(error))
    return _answer(422, fields)


def _answer(status: int, errors: ErrorBody, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": errors}, status_code=status, headers=headers)


async def _handle_shopify(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ShopifyError)
    return _answer(exc.status, exc.errors)


async def _handle_validation(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    return _validation_response(exc.errors())


async def _handle_http(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    text = {404: "Not Found", 405: "Method Not Allowed"}.get(exc.status_code, "Bad Request")
    return _answer(exc.status_code, text, getattr(exc, "headers", None))


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("inventory backend failed", path=request.url.path)
    return _answer(500, "Internal Server Error")


def install_shopify_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ShopifyError, _handle_shopify)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(Exception, _handle_unexpected)
