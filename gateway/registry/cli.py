"""Registering an API from the command line (``strata apis register``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
import structlog
from pydantic import ValidationError

from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import DEFAULT_MAX_DOCUMENT_BYTES, DocumentLoader
from gateway.registry.errors import from_validation_error, invalid
from gateway.registry.schemas import ApiRegistration
from gateway.registry.service import RegistryService
from gateway.registry.store import RegisteredApi
from gateway.registry.upstream_auth import UpstreamSecrets
from gateway.registry.watcher import DEFAULT_CHANNEL, publish_change
from strata.db import Database
from strata.errors import Problem

log = structlog.get_logger(__name__)


async def register_from_cli(
    database: Database,
    *,
    name: str,
    layer: str,
    version: int,
    targets: Sequence[str],
    openapi: str,
    description: str = "",
    read_scope: str | None = None,
    write_scope: str | None = None,
    public: bool = False,
    rate_tier: str | None = None,
    cors_origins: Sequence[str] = (),
    timeout_seconds: float = 10.0,
    retries: int = 1,
    upstream_auth: str = "none",
    upstream_header: str = "X-API-Key",
    upstream_key: str | None = None,
    secrets: UpstreamSecrets | None = None,
    redis_url: str | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    addresses: AddressPolicy | None = None,
) -> RegisteredApi:
    """Registers an API whose OpenAPI document is a local JSON file or an http(s) URL.

    Raises :class:`~strata.errors.Problem` for anything wrong (print it with
    :func:`describe_problem`); targets and the document URL must pass ``addresses``.
    Running gateways see the API within a second by polling; with ``redis_url`` they are
    also told at once.
    """
    fields: dict[str, Any] = {
        "name": name,
        "layer": layer,
        "version": version,
        "description": description,
        "targets": list(targets),
        "timeout_seconds": float(timeout_seconds),
        "retries": retries,
        "read_scope": read_scope,
        "write_scope": write_scope,
        "public": public,
        "rate_tier": rate_tier,
        "cors_origins": list(cors_origins),
        "upstream_auth": upstream_setting(upstream_auth, upstream_header, upstream_key),
    }
    if openapi.startswith(("http://", "https://")):
        fields["openapi_url"] = openapi
    else:
        fields["openapi"] = _read_document(Path(openapi))
    try:
        registration = ApiRegistration.model_validate(fields)
    except ValidationError as exc:
        raise from_validation_error(exc) from None
    service = RegistryService(
        database, DocumentLoader(transport), addresses=addresses, secrets=secrets
    )
    api = await service.register(registration)
    if redis_url:
        await _announce(redis_url, api.revision)
    return api


def describe_problem(problem: Problem) -> str:
    """One line for the terminal: what went wrong and, for bad input, where."""
    return f"{problem.title}: {problem.detail or problem.title}"


def upstream_setting(mode: str, header: str, key: str | None) -> dict[str, Any]:
    """The ``upstream_auth`` of a registration from the command line's options."""
    if mode != "api_key":
        return {"mode": mode}
    if key is None:
        raise invalid("upstream_auth.api_key.value", "--upstream-auth api_key needs the key")
    return {"mode": mode, "header": header, "value": key}


def _read_document(path: Path) -> dict[str, Any]:
    try:
        if path.stat().st_size > DEFAULT_MAX_DOCUMENT_BYTES:
            raise invalid("openapi", f"{path} is larger than {DEFAULT_MAX_DOCUMENT_BYTES} bytes")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise invalid("openapi", f"{path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise invalid("openapi", f"{path} cannot be read ({exc})") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        raise invalid("openapi", f"{path} is not a JSON document") from None
    if not isinstance(document, dict):
        raise invalid("openapi", f"{path} holds JSON that is not an object")
    return document


async def _announce(redis_url: str, revision: int) -> None:
    try:
        await publish_change(redis_url, revision, DEFAULT_CHANNEL)
    except Exception as exc:
        # Registered all the same: gateways find the change on their next poll.
        log.warning("could not notify gateways through Redis", error=str(exc))
