"""Calls from a system API to its backend, and the backend's failures as clear errors.

A timeout is 504, an outage or a 5xx is 502/503 naming the system, a payload that cannot be
read is 502 saying what was wrong. Only idempotent calls are retried, with backoff (stamina).
Timeouts are enforced here, not by httpx, because an in-process transport has none.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import stamina

from strata.errors import Problem

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class BackendTimeout(Problem):
    def __init__(self, system: str, seconds: float) -> None:
        super().__init__(
            504,
            "Backend timeout",
            f"The {system} system did not answer within {seconds:g} s.",
            kind="backend-timeout",
            system=system,
        )


class BackendUnavailable(Problem):
    def __init__(self, system: str, reason: str) -> None:
        super().__init__(
            503,
            "Backend unavailable",
            f"The {system} system is unavailable: {reason}.",
            kind="backend-unavailable",
            system=system,
            headers={"Retry-After": "5"},
        )


class BackendError(Problem):
    def __init__(self, system: str, reason: str, *, backend_status: int | None = None) -> None:
        extensions: dict[str, Any] = {"system": system}
        if backend_status is not None:
            extensions["backend_status"] = backend_status
        super().__init__(
            502,
            "Backend error",
            f"The {system} system failed: {reason}.",
            kind="backend-error",
            **extensions,
        )


class InvalidBackendResponse(Problem):
    def __init__(self, system: str, what: str) -> None:
        super().__init__(
            502,
            "Invalid backend response",
            f"The {system} system answered with a payload that could not be read: {what}.",
            kind="backend-invalid-response",
            system=system,
        )


class _RetryableFailure(Exception):
    def __init__(self, problem: Problem) -> None:
        self.problem = problem


class BackendClient:
    """One backend, seen from its system API."""

    def __init__(
        self,
        system: str,
        http: httpx.AsyncClient,
        *,
        timeout: float = 5.0,
        retries: int = 2,
    ) -> None:
        self.system = system
        self.http = http
        self.timeout = timeout
        self.retries = retries

    async def request(
        self,
        method: str,
        url: str,
        *,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send one call; returns any response below 500 for the caller to interpret."""
        method = method.upper()
        retry = idempotent if idempotent is not None else method in IDEMPOTENT_METHODS
        attempts = self.retries + 1 if retry else 1
        try:
            async for attempt in stamina.retry_context(
                on=_RetryableFailure,
                attempts=attempts,
                wait_initial=0.05,
                wait_max=1.0,
                wait_jitter=0.05,
            ):
                with attempt:
                    return await self._once(method, url, **kwargs)
        except _RetryableFailure as failure:
            raise failure.problem from None
        raise AssertionError("unreachable: stamina either returns or raises")

    async def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            async with asyncio.timeout(self.timeout):
                response = await self.http.request(method, url, **kwargs)
        except (TimeoutError, httpx.TimeoutException):
            raise _RetryableFailure(BackendTimeout(self.system, self.timeout)) from None
        except httpx.TransportError as exc:
            raise _RetryableFailure(
                BackendUnavailable(self.system, f"connection failed ({type(exc).__name__})"),
            ) from None
        if response.status_code == 503:
            raise _RetryableFailure(BackendUnavailable(self.system, "it answered 503"))
        if response.status_code >= 500:
            raise _RetryableFailure(
                BackendError(
                    self.system,
                    f"it answered {response.status_code}",
                    backend_status=response.status_code,
                )
            )
        return response

    def invalid(self, what: str) -> InvalidBackendResponse:
        return InvalidBackendResponse(self.system, what)

    async def aclose(self) -> None:
        await self.http.aclose()
