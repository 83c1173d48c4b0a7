"""Registrations for the APIs that run inside a Strata process (system, process, experience).

They go through the same registry rows and the same data path as a user's API; only their
target is ``inproc://<layer>/<name>`` and their document comes from the app itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from fastapi import FastAPI
from pydantic import ValidationError

from gateway.registry.errors import from_validation_error
from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from gateway.registry.store import RegisteredApi
from gateway.routes import INPROC_SCHEME


def inproc_target(layer: str, name: str) -> str:
    return f"{INPROC_SCHEME}{layer}/{name}"


def builtin_registration(
    app: FastAPI | dict[str, Any],
    *,
    name: str,
    layer: str,
    version: int = 1,
    read_scope: str | None = None,
    write_scope: str | None = None,
    description: str | None = None,
    timeout_seconds: float = 10.0,
    retries: int = 1,
    rate_tier: str | None = None,
    cors_origins: Sequence[str] = (),
) -> ApiRegistration:
    """The registration of an in-process API, its document taken from ``app.openapi()``;
    ``cors_origins`` are the browser origins that may call it (``STRATA_CORS__ORIGINS``)."""
    document = app.openapi() if isinstance(app, FastAPI) else app
    given_info = document.get("info")
    info: dict[str, Any] = given_info if isinstance(given_info, dict) else {}
    if description is None:
        summary = info.get("description") or info.get("summary") or ""
        description = summary if isinstance(summary, str) else ""
    try:
        return ApiRegistration.model_validate(
            {
                "name": name,
                "layer": layer,
                "version": version,
                "description": description[:4000],
                "targets": [inproc_target(layer, name)],
                "timeout_seconds": float(timeout_seconds),
                "retries": retries,
                "read_scope": read_scope,
                "write_scope": write_scope,
                "rate_tier": rate_tier,
                "cors_origins": list(cors_origins),
                "openapi": document,
            }
        )
    except ValidationError as exc:
        raise from_validation_error(exc) from None


async def ensure_builtins(
    service: RegistryService, registrations: Iterable[ApiRegistration]
) -> list[RegisteredApi]:
    """Registers (or refreshes) every built-in API; unchanged ones cost one read each."""
    return [await service.ensure_builtin(registration) for registration in registrations]
