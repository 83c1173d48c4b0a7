"""Calls from one layer to the layer below, and what an answer means.

A layer reaches the one below through ``httpx.AsyncClient``s made with
``strata.http.layer_client`` (an in-process ASGI transport in the embedded default, the
network in split mode), so the same code runs either way. :class:`LayerCaller` forwards the
caller's ``Authorization`` header on every call (the layers below verify the token
themselves) and enforces a deadline, since in-process transports have none.

A call's failure is a :class:`DownstreamError`: ``transient`` ones (no answer in time, no
connection, a 5xx, and 401/403: credentials are a matter of configuration, never a reason
to undo an order) are worth retrying; the others are the API's considered answer (a 4xx
problem) and are not.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterable, Mapping
from typing import Any, Protocol, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from strata.errors import Problem
from strata.http import layer_client

ModelT = TypeVar("ModelT")


def connect_clients(
    names: Iterable[str],
    base_urls: Mapping[str, str],
    transports: Mapping[str, httpx.AsyncBaseTransport | None] | None,
    timeout: float,
) -> dict[str, httpx.AsyncClient]:
    """One ``layer_client`` per name, at ``base_urls[name]`` and through
    ``transports[name]`` when given (e.g. ``in_process(app)``)."""
    transports = transports or {}
    return {
        name: layer_client(base_urls[name], transports.get(name), timeout=timeout) for name in names
    }


class LayerClients(Protocol):
    """One HTTP client per API of the layer below, by name."""

    timeout: float

    def of(self, name: str) -> httpx.AsyncClient: ...


class DownstreamError(Exception):
    """An API of the layer below did not do what was asked. ``problem`` is its problem+json
    body (or one describing the failure when there was no usable answer)."""

    def __init__(
        self,
        system: str,
        status: int,
        problem: Mapping[str, Any],
        *,
        transient: bool,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.system = system
        self.status = status
        self.problem = dict(problem)
        self.transient = transient
        # The answer's headers (Retry-After, Location...) for a caller that passes them on.
        self.headers = dict(headers or {})
        super().__init__(f"{system} answered {status}: {self.problem.get('detail', '')}")

    @property
    def kind(self) -> str:
        """The last part of the problem ``type`` (``insufficient-stock``, ``not-found``...)."""
        return str(self.problem.get("type", "")).rsplit("/", 1)[-1]

    def as_problem(self) -> Problem:
        """The failure as the process API's own problem: 502/503/504 naming the system for a
        failure of the system, the system's own status otherwise."""
        detail = str(self.problem.get("detail") or self.problem.get("title") or "")
        if self.transient:
            status = self.status if self.status in (503, 504) else 502
            title = {503: "Upstream unavailable", 504: "Upstream timeout"}.get(
                status, "Upstream error"
            )
            return Problem(
                status,
                title,
                f"The {self.system} API failed: {detail}".rstrip(": "),
                kind={503: "upstream-unavailable", 504: "upstream-timeout"}.get(
                    status, "upstream-error"
                ),
                system=self.system,
                upstream_status=self.status,
            )
        return Problem(
            self.status,
            str(self.problem.get("title") or "Upstream refused the request"),
            detail or None,
            kind=self.kind or "upstream-refused",
            system=self.system,
        )


def _problem_of(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        body = None
    if isinstance(body, dict):
        return body
    return {"title": "Unreadable error", "detail": f"HTTP {response.status_code}"}


def _failure(system: str, status: int, title: str, detail: str) -> DownstreamError:
    return DownstreamError(
        system, status, {"title": title, "detail": detail, "status": status}, transient=True
    )


class LayerCaller:
    """Calls to the layer below on behalf of one caller (whose Authorization is forwarded)."""

    def __init__(self, clients: LayerClients, authorization: str | None) -> None:
        self.clients = clients
        self.authorization = authorization

    async def call(
        self,
        system: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Sends one request (with ``headers`` besides the caller's Authorization); the 2xx
        response, or a :class:`DownstreamError`."""
        sent = dict(headers or {})
        if self.authorization:
            sent["Authorization"] = self.authorization
        client = self.clients.of(system)
        try:
            # In-process transports have no timeout of their own.
            async with asyncio.timeout(self.clients.timeout):
                response = await client.request(
                    method, path, json=json, params=params, headers=sent
                )
        except (TimeoutError, httpx.TimeoutException):
            raise _failure(
                system, 504, "Timeout", f"no answer within {self.clients.timeout:g} s"
            ) from None
        except httpx.TransportError as exc:
            raise _failure(
                system, 503, "Unreachable", f"connection failed ({type(exc).__name__})"
            ) from None
        if response.status_code >= 400:
            raise DownstreamError(
                system,
                response.status_code,
                _problem_of(response),
                transient=response.status_code >= 500 or response.status_code in (401, 403),
                headers=response.headers,
            )
        return response

    async def fetch(
        self,
        model: type[ModelT],
        system: str,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> ModelT:
        """A call whose answer is read as ``model``; an unreadable one is a transient 502."""
        response = await self.call(system, method, path, json=json, params=params, headers=headers)
        return read(model, response, system)


def read(model: type[ModelT], response: httpx.Response, system: str) -> ModelT:
    try:
        if isinstance(model, type) and issubclass(model, BaseModel):
            return model.model_validate_json(response.content)
        return TypeAdapter(model).validate_json(response.content)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first.get("loc", ())) or "body"
        raise _failure(
            system, 502, "Invalid upstream response", f"{where}: {first.get('msg', 'invalid')}"
        ) from None
