"""The OpenAPI documents in openapi/: each valid, the combined one (strata.json) true to every
API behind the gateway, and the drift check that CI runs."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from openapi_spec_validator import validate
from typer.testing import CliRunner

from gateway.oauth.scopes import BUILT_IN_SCOPES
from gateway.registry.builtin import builtin_registration
from strata.app import create_strata
from strata.cli import cli
from strata.layers import BUILTIN_SCOPES
from strata.openapi import (
    InvalidDocument,
    changed_documents,
    documents,
    render,
    write_documents,
)
from strata.openapi_combined import COMBINED_DOCUMENT, as_registered, combined_document
from strata.settings import load_settings

REPO_OPENAPI = Path(__file__).resolve().parents[1] / "openapi"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SCHEME = "strata_oauth2"


@pytest.fixture(scope="module")
def produced() -> dict[str, dict[str, Any]]:
    return documents()


@pytest.fixture(scope="module")
def apis() -> dict[tuple[str, str], FastAPI]:
    """The APIs behind the gateway, as the running Strata builds them."""
    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", seed_demo_data=False)
    return dict(create_strata(settings).layers.apis)


@pytest.fixture(scope="module")
def combined(produced: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return produced[COMBINED_DOCUMENT]


# --- helpers: JSON pointers and dereferencing -------------------------------------------------


def resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"not a local reference: {ref}"
    node: Any = document
    for token in ref[2:].split("/"):
        key = token.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and key in node, f"{ref} does not resolve"
        node = node[key]
    return node


def refs_in(value: Any) -> list[str]:
    if isinstance(value, dict):
        found = [value["$ref"]] if isinstance(value.get("$ref"), str) else []
        return found + [ref for item in value.values() for ref in refs_in(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in refs_in(item)]
    return []


def inlined(document: dict[str, Any], value: Any, seen: tuple[str, ...] = ()) -> Any:
    """``value`` with every reference replaced by what it points at (a cycle by its name's
    last part, so recursive schemas compare equal across documents)."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            if ref in seen:
                return {"cycle": ref.rsplit("/", 1)[-1].rsplit(".", 1)[-1]}
            return inlined(document, resolve(document, ref), (*seen, ref))
        return {key: inlined(document, item, seen) for key, item in value.items()}
    if isinstance(value, list):
        return [inlined(document, item, seen) for item in value]
    return value


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, item[method])
        for path, item in document["paths"].items()
        for method in METHODS
        if method in item
    ]


def described(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    """What a client needs of an operation, every reference inlined."""
    return inlined(
        document,
        {key: operation.get(key) for key in ("parameters", "requestBody", "responses")},
    )


# --- every document ---------------------------------------------------------------------------


def test_every_api_the_gateway_serves_has_a_document(
    produced: dict[str, dict[str, Any]], apis: dict[tuple[str, str], FastAPI]
) -> None:
    expected = {f"{layer}-{name}.json" for layer, name in apis} | {"gateway.json", "strata.json"}
    assert set(produced) == expected


def test_every_exported_document_is_valid_openapi(produced: dict[str, dict[str, Any]]) -> None:
    for name, document in produced.items():
        try:
            validate(document)
        except Exception as exc:
            pytest.fail(f"{name}: {exc}")


def test_every_document_in_the_repository_is_valid_openapi() -> None:
    files = sorted(REPO_OPENAPI.glob("*.json"))
    assert files, "openapi/ holds the exported documents"
    for path in files:
        validate(json.loads(path.read_text("utf-8")))


# --- the combined document --------------------------------------------------------------------


def test_combined_serves_every_api_operation_under_its_gateway_prefix(
    combined: dict[str, Any], apis: dict[tuple[str, str], FastAPI]
) -> None:
    assert any(app.openapi()["paths"] for app in apis.values())
    for (layer, name), app in apis.items():
        own = app.openapi()
        prefix = f"/{layer}/{name}/v1"
        read_scope, write_scope = BUILTIN_SCOPES[(layer, name)]
        for path, method, operation in operations(own):
            served = combined["paths"][prefix + path][method]
            assert served["tags"] == [f"{layer}/{name}"]
            scope = read_scope if method in ("get", "head", "options") else write_scope
            assert served["security"] == [{SCHEME: [scope] if scope else []}]
            assert served["summary"] == operation.get("summary")
            # Same parameters, body and answers, however the schemas were renamed.
            assert described(combined, served) == described(own, operation), (method, path)


def test_combined_holds_the_gateway_paths_and_nothing_else(
    combined: dict[str, Any],
    produced: dict[str, dict[str, Any]],
    apis: dict[tuple[str, str], FastAPI],
) -> None:
    gateway = produced["gateway.json"]
    expected = set(gateway["paths"]) | {
        f"/{layer}/{name}/v1{path}"
        for (layer, name), app in apis.items()
        for path in app.openapi()["paths"]
    }
    assert set(combined["paths"]) == expected
    for path, method, operation in operations(gateway):
        served = combined["paths"][path][method]
        assert described(combined, served) == described(gateway, operation), (method, path)


def test_every_ref_in_the_combined_document_resolves(combined: dict[str, Any]) -> None:
    refs = refs_in(combined)
    assert any(ref.startswith("#/components/schemas/") for ref in refs)
    for ref in refs:
        resolve(combined, ref)


def test_a_clashing_schema_name_is_namespaced_for_every_api_holding_it(
    combined: dict[str, Any],
) -> None:
    # Whether two APIs' schemas of one name are the same is checked by comparing every
    # operation above; here: once a name clashes, no API keeps the bare name.
    schemas = combined["components"]["schemas"]
    for name in schemas:
        if name.count(".") >= 2:
            bare = name.split(".", 2)[2]
            assert bare not in schemas, f"{bare} is both shared and namespaced"


def test_operation_ids_are_unique(combined: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(combined)]
    assert all(ids)
    assert len(ids) == len(set(ids))


def test_one_oauth2_scheme_lists_every_scope(
    combined: dict[str, Any], apis: dict[tuple[str, str], FastAPI]
) -> None:
    schemes = combined["components"]["securitySchemes"]
    assert list(schemes) == [SCHEME]
    flows = schemes[SCHEME]["flows"]
    assert flows["authorizationCode"]["authorizationUrl"] == "/oauth/authorize"
    assert flows["authorizationCode"]["tokenUrl"] == flows["clientCredentials"]["tokenUrl"]
    assert "PKCE" in schemes[SCHEME]["description"]
    api_scopes = {scope for key in apis for scope in BUILTIN_SCOPES[key] if scope}
    used = {
        scope
        for _, _, operation in operations(combined)
        for requirement in operation.get("security", [])
        for scope in requirement.get(SCHEME, [])
    }
    for flow in ("authorizationCode", "clientCredentials"):
        listed = set(flows[flow]["scopes"])
        assert set(BUILT_IN_SCOPES) | api_scopes | used <= listed


def test_one_tag_per_api_naming_its_layer(
    combined: dict[str, Any], apis: dict[tuple[str, str], FastAPI]
) -> None:
    tags = {tag["name"]: tag["description"] for tag in combined["tags"]}
    assert len(tags) == len(combined["tags"])
    for layer, name in apis:
        assert f"a {layer} API" in tags[f"{layer}/{name}"]
    used = {tag for _, _, operation in operations(combined) for tag in operation["tags"]}
    assert used <= set(tags)


# --- merging documents whose names clash ------------------------------------------------------


def _document(title: str, thing: dict[str, Any], operation_id: str) -> dict[str, Any]:
    ref = {"$ref": "#/components/schemas/Holder"}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "operationId": operation_id,
                    "responses": {
                        "200": {
                            "description": "ok",
                            "content": {"application/json": {"schema": ref}},
                        }
                    },
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": thing,
                "Shared": {"type": "string", "maxLength": 5},
                # Written the same in both documents, but each means its own Thing.
                "Holder": {
                    "type": "object",
                    "properties": {
                        "thing": {"$ref": "#/components/schemas/Thing"},
                        "shared": {"$ref": "#/components/schemas/Shared"},
                    },
                },
            }
        },
    }


def test_merging_renames_what_differs_and_shares_what_is_the_same() -> None:
    first = _document("First", {"type": "integer"}, "get_things")
    second = _document("Second", {"type": "string"}, "get_things")
    gateway = copy.deepcopy(first)
    gateway["paths"] = {"/ping": {"get": {**first["paths"]["/things"]["get"]}}}
    gateway["paths"]["/ping"]["get"]["operationId"] = "system_first_get_things"
    apis = [
        as_registered(builtin_registration(document, name=name, layer="system", read_scope=scope))
        for document, name, scope in ((first, "first", "first:read"), (second, "second", None))
    ]

    merged = combined_document(apis, gateway)

    validate(merged)
    schemas = merged["components"]["schemas"]
    assert {"Shared", "gateway.Thing", "system.first.Thing", "system.second.Thing"} <= set(schemas)
    assert "Thing" not in schemas and "Holder" not in schemas
    first_things = merged["paths"]["/system/first/v1/things"]["get"]
    second_things = merged["paths"]["/system/second/v1/things"]["get"]
    assert described(merged, first_things) == described(first, first["paths"]["/things"]["get"])
    assert described(merged, second_things) == described(second, second["paths"]["/things"]["get"])
    assert first_things["security"] == [{SCHEME: ["first:read"]}]
    assert (
        "first:read"
        in merged["components"]["securitySchemes"][SCHEME]["flows"]["clientCredentials"]["scopes"]
    )
    ids = [operation["operationId"] for _, _, operation in operations(merged)]
    assert len(ids) == len(set(ids)) == 3


# --- export and the drift check ---------------------------------------------------------------


def _small(title: str) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": title, "version": "1"}, "paths": {}}


@pytest.mark.parametrize(
    ("change", "flagged"),
    [
        (lambda d: (d / "a.json").write_text(render(_small("changed"))), ["a.json"]),
        (lambda d: (d / "b.json").unlink(), ["b.json"]),
        (lambda d: (d / "retired.json").write_text("{}"), ["retired.json"]),
        (lambda d: None, []),
    ],
    ids=["stale", "missing", "extra", "unchanged"],
)
def test_the_drift_check_flags_stale_missing_and_extra_files(
    tmp_path: Path, change: Any, flagged: list[str]
) -> None:
    produced = {"a.json": _small("A"), "b.json": _small("B")}
    assert write_documents(tmp_path, produced) == ["a.json", "b.json"]
    change(tmp_path)
    assert changed_documents(tmp_path, produced) == flagged


def test_an_invalid_document_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    produced = {"good.json": _small("good"), "bad.json": {"openapi": "3.1.0", "paths": {}}}
    with pytest.raises(InvalidDocument, match=r"bad\.json"):
        write_documents(tmp_path / "out", produced)
    assert not (tmp_path / "out").exists()
    with pytest.raises(InvalidDocument, match="info"):
        changed_documents(tmp_path, produced)


def test_the_cli_check_flags_what_drifted(
    tmp_path: Path, produced: dict[str, dict[str, Any]]
) -> None:
    for name, document in produced.items():
        (tmp_path / name).write_text(render(document), encoding="utf-8")
    (tmp_path / "gateway.json").write_text("{}\n")
    (tmp_path / COMBINED_DOCUMENT).unlink()
    (tmp_path / "system-retired.json").write_text("{}\n")

    checked = CliRunner().invoke(cli, ["openapi", "export", "--check", "--dir", str(tmp_path)])

    assert checked.exit_code == 1
    assert "gateway.json, strata.json, system-retired.json" in checked.stderr
    assert "run `strata openapi export`" in checked.stderr
