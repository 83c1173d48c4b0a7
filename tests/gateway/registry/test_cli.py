"""Registering from the command line: a document file or URL, errors as one clear line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.registry.addresses import AddressPolicy
from gateway.registry.cli import describe_problem, register_from_cli
from gateway.registry.service import RegistryService
from strata.db import Database
from strata.errors import Problem


def arguments(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "name": "billing",
        "layer": "system",
        "version": 1,
        "targets": ["https://billing.internal"],
        "read_scope": "billing:read",
        "write_scope": "billing:write",
    }
    values.update(overrides)
    return values


async def test_register_from_a_file(
    database: Database, tmp_path: Path, make_document: Any, addresses: AddressPolicy
):
    path = tmp_path / "billing.json"
    path.write_text(json.dumps(make_document("Billing")))

    api = await register_from_cli(database, openapi=str(path), addresses=addresses, **arguments())

    assert api.prefix == "/system/billing/v1" and api.title == "Billing"
    assert (await RegistryService(database).get("billing")).read_scope == "billing:read"


async def test_register_from_a_url(
    database: Database,
    fetch_transport: httpx.AsyncBaseTransport,
    redis_url: str,
    addresses: AddressPolicy,
):
    api = await register_from_cli(
        database,
        openapi="http://docs.internal/openapi.json",
        transport=fetch_transport,
        redis_url=redis_url,
        addresses=addresses,
        **arguments(),
    )
    assert api.openapi_url == "http://docs.internal/openapi.json"


@pytest.mark.parametrize(
    ("setup", "overrides", "message"),
    [
        (None, {}, "does not exist"),
        ("{not json", {}, "is not a JSON document"),
        ("[1]", {}, "JSON that is not an object"),
        ('{"openapi": "3.1.0"}', {}, "not a valid OpenAPI document"),
        ("VALID", {"layer": "backend"}, "layer: Input should be"),
        ("VALID", {"targets": ["ftp://x"]}, "targets.0: scheme must be"),
    ],
)
async def test_problems_read_as_one_line(
    database: Database,
    tmp_path: Path,
    make_document: Any,
    setup: str | None,
    overrides: dict[str, Any],
    message: str,
    addresses: AddressPolicy,
):
    path = tmp_path / "doc.json"
    if setup is not None:
        path.write_text(json.dumps(make_document()) if setup == "VALID" else setup)
    with pytest.raises(Problem) as caught:
        await register_from_cli(
            database, openapi=str(path), addresses=addresses, **arguments(**overrides)
        )
    line = describe_problem(caught.value)
    assert message in line and "\n" not in line
    assert caught.value.status == 422
    assert await RegistryService(database).list() == []


async def test_register_a_public_api_or_be_told_it_needs_scopes(
    database: Database, tmp_path: Path, make_document: Any, addresses: AddressPolicy
):
    path = tmp_path / "status.json"
    path.write_text(json.dumps(make_document("Status")))
    unscoped = arguments(name="status", read_scope=None, write_scope=None)

    with pytest.raises(Problem) as caught:
        await register_from_cli(database, openapi=str(path), addresses=addresses, **unscoped)
    line = describe_problem(caught.value)
    assert "read_scope: an API needs a read_scope or a write_scope" in line and "public" in line

    api = await register_from_cli(
        database, openapi=str(path), addresses=addresses, public=True, **unscoped
    )
    assert api.public and api.read_scope is None


async def test_an_inproc_target_is_refused_from_the_command_line(
    database: Database, tmp_path: Path, make_document: Any, addresses: AddressPolicy
):
    path = tmp_path / "crm.json"
    path.write_text(json.dumps(make_document("CRM")))
    with pytest.raises(Problem) as caught:
        await register_from_cli(
            database,
            openapi=str(path),
            addresses=addresses,
            **arguments(name="crm-again", targets=["inproc://system/crm"]),
        )
    assert "targets.0: inproc:// targets are for Strata's built-in APIs only" in describe_problem(
        caught.value
    )
