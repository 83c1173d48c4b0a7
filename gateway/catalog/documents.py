"""An API's OpenAPI document as the catalog serves it: aimed at the gateway, with OAuth2.

The stored document describes the upstream; the served copy says where the gateway serves
it (``servers``) and how to get a token for it (an OAuth2 security scheme with the API's
scopes on every operation), so Swagger UI's "Authorize" and "Try it out" go through the
gateway like any client would. A public API's copy asks for no token at all.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from gateway.registry.store import RegisteredApi
from gateway.routes import SAFE_METHODS

SECURITY_SCHEME = "strata_oauth2"
NOT_GRANTED = "Refused through the gateway: the API has no scope for this method."
_OPERATIONS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class OAuthEndpoints:
    """Where the gateway's authorization server lives, relative to the gateway's root."""

    token_path: str = "/oauth/token"
    authorize_path: str = "/oauth/authorize"


def scopes_of(api: RegisteredApi) -> dict[str, str]:
    """The API's scopes with a line each for the Authorize dialog."""
    scopes: dict[str, str] = {}
    if api.read_scope:
        scopes[api.read_scope] = f"Read through {api.title}"
    if api.write_scope:
        scopes.setdefault(api.write_scope, f"Change through {api.title}")
    return scopes


def access_notice(api: RegisteredApi) -> str:
    """One line on who may call the API: anyone, or the holders of which scopes."""
    if api.public:
        return "Public API: anyone may call it, no token needed."
    rules = [
        f"{methods} need a token with {scope}" if scope else f"no token may make {methods}"
        for scope, methods in ((api.read_scope, "reads"), (api.write_scope, "writes"))
    ]
    text = "; ".join(rules)
    return f"{text[0].upper()}{text[1:]}."


def gateway_document(
    api: RegisteredApi, *, root_path: str = "", oauth: OAuthEndpoints | None = None
) -> dict[str, Any]:
    """A copy of the API's document pointing at the gateway, with its OAuth2 scheme."""
    oauth = oauth or OAuthEndpoints()
    document = copy.deepcopy(api.document)
    document["servers"] = [
        {"url": root_path + api.prefix, "description": "Through the Strata gateway"}
    ]
    if api.public:
        # An empty list of requirements: no token is needed (OpenAPI 3.1, Security Requirement).
        document["security"] = []
    else:
        components = document.setdefault("components", {})
        schemes = components.setdefault("securitySchemes", {})
        schemes[SECURITY_SCHEME] = _security_scheme(api, root_path, oauth)
        document["security"] = [{SECURITY_SCHEME: []}]
    for path_item in (document.get("paths") or {}).values():
        if isinstance(path_item, dict):
            _aim_path_item(path_item, api)
    return document


def _security_scheme(api: RegisteredApi, root_path: str, oauth: OAuthEndpoints) -> dict[str, Any]:
    scopes = scopes_of(api)
    token_url = root_path + oauth.token_path
    return {
        "type": "oauth2",
        "description": "Tokens from the Strata gateway's authorization server.",
        "flows": {
            "clientCredentials": {"tokenUrl": token_url, "scopes": scopes},
            "authorizationCode": {
                "authorizationUrl": root_path + oauth.authorize_path,
                "tokenUrl": token_url,
                "scopes": scopes,
            },
        },
    }


def _aim_path_item(path_item: dict[str, Any], api: RegisteredApi) -> None:
    # Servers set on a path or an operation would win over the gateway's and bypass it.
    path_item.pop("servers", None)
    for method in _OPERATIONS:
        operation = path_item.get(method)
        if not isinstance(operation, dict):
            continue
        operation.pop("servers", None)
        if api.public:
            operation["security"] = []
            continue
        scope = api.read_scope if method.upper() in SAFE_METHODS else api.write_scope
        operation["security"] = [{SECURITY_SCHEME: [scope] if scope else []}]
        if not scope:
            described = operation.get("description")
            operation["description"] = NOT_GRANTED + (
                f"\n\n{described}" if isinstance(described, str) and described else ""
            )
