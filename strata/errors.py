"""RFC 9457 problem details, shared by every API in every layer.

Every error a Strata API returns is ``application/problem+json`` with a ``type``, a
``title``, the ``status``, a ``detail``, the ``request_id`` and, for bad input, the list of
``errors`` naming each wrong field. Nothing leaks a stack trace.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from strata.context import current_request_id

PROBLEM_JSON = "application/problem+json"
TYPE_BASE = "https://strata.dev/problems/"

log = structlog.get_logger(__name__)


class ConfigurationError(Exception):
    """A setting is wrong; the message is one line meant for the operator."""


class Problem(Exception):
    """An error that becomes a problem+json response.

    ``kind`` becomes the ``type`` URI (``https://strata.dev/problems/{kind}``); extra keyword
    arguments become extension members of the body.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or _slug(title)
        self.headers = headers or {}
        self.extensions = extensions

    def body(self, instance: str | None = None) -> dict[str, Any]:
        return problem_body(
            self.status,
            self.title,
            self.detail,
            kind=self.kind,
            instance=instance,
            **self.extensions,
        )


class NotFound(Problem):
    def __init__(self, what: str, identifier: str) -> None:
        super().__init__(
            404,
            "Not found",
            f"{what} {identifier!r} does not exist",
            kind="not-found",
            resource=what,
            id=identifier,
        )


class Conflict(Problem):
    def __init__(self, detail: str, **extensions: Any) -> None:
        super().__init__(409, "Conflict", detail, kind="conflict", **extensions)


def _slug(title: str) -> str:
    return "-".join(title.lower().split())


def problem_body(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    kind: str | None = None,
    instance: str | None = None,
    **extensions: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (kind or _slug(title)),
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    body.update(extensions)
    return body


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **kwargs: Any,
) -> JSONResponse:
    return JSONResponse(
        problem_body(status, title, detail, **kwargs),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's error list, reduced to what a client needs: where, and why."""
    fields = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        if error.get("type") == "json_invalid":
            # FastAPI puts the character offset where a field name would be.
            reason = (error.get("ctx") or {}).get("error", "not valid JSON")
            offset = location[1] if len(location) > 1 else "?"
            fields.append(
                {
                    "field": "",
                    "in": "body",
                    "message": f"malformed JSON at character {offset}: {reason}",
                }
            )
            continue
        fields.append(
            {
                "field": ".".join(location[1:]) if len(location) > 1 else ".".join(location),
                "in": location[0] if location else "body",
                "message": error_message(error),
            }
        )
    return fields


def error_message(error: Mapping[str, Any]) -> str:
    """A validation error's message as its rule wrote it: pydantic prefixes the message of a
    validator's ValueError with "Value error, ", which reads as noise to the caller."""
    if error.get("type") == "value_error":
        reason = (error.get("ctx") or {}).get("error")
        if reason is not None:
            return str(reason)
    return str(error.get("msg", "is invalid"))


def _validation_detail(fields: list[dict[str, str]]) -> str:
    shown = "; ".join(f"{f['field'] or f['in']}: {f['message']}" for f in fields[:3])
    more = f" (and {len(fields) - 3} more)" if len(fields) > 3 else ""
    return shown + more


async def _handle_problem(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return JSONResponse(
        exc.body(instance=request.url.path),
        status_code=exc.status,
        media_type=PROBLEM_JSON,
        headers=exc.headers,
    )


async def _handle_validation(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = field_errors(exc.errors())
    return problem_response(
        422,
        "Invalid request",
        _validation_detail(fields),
        kind="validation",
        instance=request.url.path,
        errors=fields,
    )


async def _handle_http(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    title = {404: "Not found", 405: "Method not allowed"}.get(exc.status_code, "HTTP error")
    detail = exc.detail if isinstance(exc.detail, str) else None
    return problem_response(
        exc.status_code,
        title,
        detail,
        instance=request.url.path,
        headers=getattr(exc, "headers", None),
    )


async def _handle_database_busy(request: Request, exc: Exception) -> JSONResponse:
    # Every pooled connection stayed busy for the pool's whole timeout: an overload, not a
    # fault. Nothing was written by this request, so the client may safely try again.
    log.warning("database connection pool exhausted", path=request.url.path, error=str(exc))
    return problem_response(
        503,
        "Service busy",
        "Every database connection is busy; try again shortly.",
        kind="database-busy",
        instance=request.url.path,
        headers={"Retry-After": "1"},
    )


async def _handle_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", path=request.url.path)
    return problem_response(
        500,
        "Internal error",
        "The server failed to handle this request; it has been logged.",
        kind="internal",
        instance=request.url.path,
    )


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _handle_problem)
    app.add_exception_handler(RequestValidationError, _handle_validation)
    app.add_exception_handler(StarletteHTTPException, _handle_http)
    app.add_exception_handler(PoolTimeout, _handle_database_busy)
    app.add_exception_handler(Exception, _handle_unexpected)


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "format": "uri"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "in": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries documenting problem+json errors for the given statuses."""
    descriptions = {
        400: "Malformed request",
        401: "Missing or invalid credentials",
        403: "Not allowed",
        404: "Unknown id",
        409: "Conflict with the current state",
        413: "Request body too large",
        422: "Invalid input; `errors` names each wrong field",
        429: "Rate limit exceeded",
        502: "The backend answered with an error or an invalid payload",
        503: "The backend is unavailable",
        504: "The backend did not answer in time",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for status in statuses
    }
