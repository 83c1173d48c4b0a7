"""The whole gateway in one OpenAPI document (``openapi/strata.json``).

Each built-in API's document is first aimed at the gateway exactly as the catalog serves it
(``gateway.catalog.documents.gateway_document``: the API's scope on every operation); its
paths are then put under the API's gateway prefix, its operations under one tag per API, and
its components merged with the others' (namespaced where names clash). The gateway's own
paths (OAuth2, admin, catalog, operations) join as they are. One OAuth2 scheme lists every
scope the gateway knows.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from gateway.catalog.documents import SECURITY_SCHEME, OAuthEndpoints, gateway_document
from gateway.oauth import ScopeVocabulary
from gateway.registry.schemas import ApiRegistration
from gateway.registry.store import RegisteredApi, in_catalog_order
from strata.openapi_components import (
    Part,
    Renames,
    component_renames,
    merge_components,
    rewrite_refs,
)

COMBINED_DOCUMENT = "strata.json"
OPENAPI_VERSION = "3.1.0"
GATEWAY_NAMESPACE = "gateway"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_NOT_IN_IDENTIFIER = re.compile(r"[^A-Za-z0-9_]+")
# Built-in APIs are described by their code, not by a registry row: no revision, no dates.
_NOT_STORED = datetime(1970, 1, 1, tzinfo=UTC)


def as_registered(registration: ApiRegistration) -> RegisteredApi:
    """A built-in API as the registry would hold it, without a database."""
    return RegisteredApi(
        name=registration.name,
        layer=registration.layer,
        version=registration.version,
        description=registration.description,
        targets=tuple(registration.targets),
        timeout_seconds=registration.timeout_seconds,
        retries=registration.retries,
        read_scope=registration.read_scope,
        write_scope=registration.write_scope,
        rate_tier=registration.rate_tier,
        openapi_url=registration.openapi_url,
        builtin=True,
        revision=0,
        created_at=_NOT_STORED,
        updated_at=_NOT_STORED,
        document=registration.openapi or {},
    )


def combined_document(
    apis: Sequence[RegisteredApi],
    gateway: Mapping[str, Any],
    *,
    oauth: OAuthEndpoints | None = None,
) -> dict[str, Any]:
    """One document for ``apis`` behind the gateway plus the gateway's own ``gateway``."""
    oauth = oauth or OAuthEndpoints()
    ordered = in_catalog_order(list(apis))
    api_parts = [Part(namespace_of(api), gateway_document(api, oauth=oauth)) for api in ordered]
    gateway_part = Part(GATEWAY_NAMESPACE, gateway)
    renames = component_renames([*api_parts, gateway_part])

    paths: dict[str, Any] = {}
    for api, part in zip(ordered, api_parts, strict=True):
        _add_paths(paths, part, renames[part.namespace], prefix=api.prefix, api=api)
    _add_paths(paths, gateway_part, renames[GATEWAY_NAMESPACE], prefix="", api=None)
    _make_operation_ids_unique(paths)

    components = merge_components([*api_parts, gateway_part], renames)
    components["securitySchemes"] = {SECURITY_SCHEME: security_scheme(ordered, oauth)}
    return {
        "openapi": OPENAPI_VERSION,
        "info": _info(gateway),
        "servers": [{"url": "/", "description": "The Strata gateway"}],
        "paths": dict(sorted(paths.items())),
        "components": components,
        "tags": [api_tag(api) for api in ordered] + _gateway_tags(gateway),
    }


def namespace_of(api: RegisteredApi) -> str:
    return f"{api.layer}.{api.name}"


def tag_name(api: RegisteredApi) -> str:
    return f"{api.layer}/{api.name}"


def api_tag(api: RegisteredApi) -> dict[str, str]:
    summary = f"{api.title}: a {api.layer} API, served at `{api.prefix}`."
    description = api.description.strip()
    return {
        "name": tag_name(api),
        "description": f"{summary} {description}" if description else summary,
    }


def security_scheme(apis: Sequence[RegisteredApi], oauth: OAuthEndpoints) -> dict[str, Any]:
    """The gateway's authorization server, with every scope it knows (its own and the APIs')."""
    vocabulary = ScopeVocabulary()
    vocabulary.learn_api_scopes(apis)
    scopes = {scope: vocabulary.describe(scope) for scope in vocabulary}
    return {
        "type": "oauth2",
        "description": "Tokens from the Strata gateway's authorization server. The "
        "authorization code flow requires PKCE (S256); scripts and servers use client "
        "credentials.",
        "flows": {
            "clientCredentials": {"tokenUrl": oauth.token_path, "scopes": scopes},
            "authorizationCode": {
                "authorizationUrl": oauth.authorize_path,
                "tokenUrl": oauth.token_path,
                "scopes": scopes,
            },
        },
    }


def operations(path_item: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (method, operation)
        for method in HTTP_METHODS
        if isinstance(operation := path_item.get(method), dict)
    ]


def _add_paths(
    paths: dict[str, Any],
    part: Part,
    renames: Renames,
    *,
    prefix: str,
    api: RegisteredApi | None,
) -> None:
    for path, item in (part.document.get("paths") or {}).items():
        full_path = prefix + path
        if full_path in paths:
            raise ValueError(f"two documents describe the path {full_path}")
        path_item: dict[str, Any] = rewrite_refs(item, renames)
        if api is not None:
            for method, operation in operations(path_item):
                operation["tags"] = [tag_name(api)]
                own_id = operation.get("operationId") or f"{method}_{path}"
                operation["operationId"] = _identifier(f"{api.layer}_{api.name}_{own_id}")
        paths[full_path] = path_item


def _make_operation_ids_unique(paths: dict[str, Any]) -> None:
    seen: Counter[str] = Counter()
    for path in sorted(paths):
        for method, operation in operations(paths[path]):
            wanted = operation.get("operationId") or _identifier(f"{method}_{path}")
            seen[wanted] += 1
            operation["operationId"] = wanted if seen[wanted] == 1 else f"{wanted}_{seen[wanted]}"


def _identifier(text: str) -> str:
    return _NOT_IN_IDENTIFIER.sub("_", text).strip("_")


def _gateway_tags(gateway: Mapping[str, Any]) -> list[dict[str, str]]:
    used = {
        tag
        for item in (gateway.get("paths") or {}).values()
        for _, operation in operations(item)
        for tag in operation.get("tags", [])
    }
    return [{"name": tag, "description": "The gateway's own endpoints."} for tag in sorted(used)]


def _info(gateway: Mapping[str, Any]) -> dict[str, Any]:
    gateway_info = gateway.get("info")
    version = gateway_info.get("version") if isinstance(gateway_info, Mapping) else None
    return {
        "title": "Strata",
        "version": version if isinstance(version, str) else "0",
        "description": "Every API behind the Strata gateway at the path the gateway serves it, "
        "and the gateway's own endpoints (OAuth2, admin, catalog, operations). Each operation "
        "names the scope its token needs.",
    }
