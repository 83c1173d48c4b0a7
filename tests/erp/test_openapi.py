"""The ERP system API's OpenAPI document: valid, and every route documented."""

from __future__ import annotations

from typing import Any

import httpx
from openapi_spec_validator import validate

from strata.errors import PROBLEM_JSON
from system_apis.common.backend_client import BackendClient
from system_apis.erp.app import create_api


def _document() -> dict[str, Any]:
    backend = BackendClient("erp", httpx.AsyncClient(base_url="http://erp.invalid"))
    return create_api(backend).openapi()


def test_the_document_is_valid_openapi() -> None:
    document = _document()
    validate(document)
    assert document["servers"] == [{"url": "/system/erp/v1"}]


def test_every_operation_has_a_summary_an_example_and_its_problems() -> None:
    paths: dict[str, dict[str, dict[str, Any]]] = _document()["paths"]
    operations = [(path, method, op) for path, item in paths.items() for method, op in item.items()]
    assert len(operations) == 11
    for path, method, operation in operations:
        responses: dict[str, dict[str, dict[str, Any]]] = operation["responses"]
        assert operation.get("summary"), (path, method)
        success = responses.get("200") or responses["201"]
        assert "example" in success["content"]["application/json"], (path, method)
        for status in ("502", "503", "504"):
            assert PROBLEM_JSON in responses[status]["content"], (path, method, status)


async def test_openapi_and_docs_are_served(api: httpx.AsyncClient) -> None:
    assert (await api.get("/openapi.json")).json()["info"]["title"] == "ERP system API"
    assert (await api.get("/docs")).status_code == 200
