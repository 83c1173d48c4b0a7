"""What the admin API takes and returns for registered APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, field_validator

from gateway.proxy.cors import Origins
from gateway.registry.validation import (
    check_document_url,
    check_header_name,
    check_header_value,
    check_name,
    check_scope,
    check_target,
    check_tier,
)

Layer = Literal["system", "process", "experience"]
ApiName = Annotated[str, Field(min_length=1, max_length=63), AfterValidator(check_name)]
Scope = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(check_scope)]
Tier = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(check_tier)]
Target = Annotated[str, Field(min_length=1, max_length=2048), AfterValidator(check_target)]
DocumentUrl = Annotated[
    str, Field(min_length=1, max_length=2048), AfterValidator(check_document_url)
]
Targets = Annotated[list[Target], Field(min_length=1, max_length=32)]
Version = Annotated[int, Field(ge=1, le=999)]
Timeout = Annotated[float, Field(gt=0, le=300)]
Retries = Annotated[int, Field(ge=0, le=10)]
Description = Annotated[str, Field(max_length=4000)]
Document = dict[str, Any]
CORS_DESCRIPTION = (
    "The browser origins (scheme://host[:port]) whose pages may call it cross-origin; '*' "
    "alone allows every origin. Never with credentials: tokens travel in Authorization"
)
PUBLIC_DESCRIPTION = (
    "Open to anyone, without a token; a public API takes no scopes, and an API that is not "
    "public needs read_scope or write_scope (a method whose scope is missing is refused)"
)


def _secret_header_value(value: SecretStr) -> SecretStr:
    check_header_value(value.get_secret_value())
    return value


HeaderName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(check_header_name)]
SecretHeaderValue = Annotated[
    SecretStr, Field(min_length=1, max_length=4096), AfterValidator(_secret_header_value)
]


class NoUpstreamAuth(BaseModel):
    """The upstream receives no credentials (the default)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Literal["none"]


class IdentityUpstreamAuth(BaseModel):
    """The upstream receives who calls, as a JWT the gateway signs (RFC 7519) in the
    ``Strata-Identity`` header: ``iss`` the gateway, ``aud`` the API's resource URL
    (issuer + prefix), ``sub``, ``client_id``, ``scope``, ``customer_id``/``username`` for a
    person, about 60 s of life. Verify it with the gateway's JWKS (``/.well-known/jwks.json``);
    its ``typ`` is ``strata-identity+jwt``, so the gateway never accepts it as an access token."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Literal["identity"]


class ApiKeyUpstreamAuth(BaseModel):
    """The upstream receives its own key in ``header``. The value is stored encrypted and
    never shown again."""

    model_config = ConfigDict(extra="forbid", strict=True)

    mode: Literal["api_key"]
    header: HeaderName = "X-API-Key"
    value: SecretHeaderValue


UpstreamAuthSetting = Annotated[
    NoUpstreamAuth | IdentityUpstreamAuth | ApiKeyUpstreamAuth, Field(discriminator="mode")
]
_UPSTREAM_AUTH_DESCRIPTION = (
    "What a remote target receives instead of the caller's token, which it never gets"
)


def _no_upstream_auth() -> NoUpstreamAuth:
    return NoUpstreamAuth(mode="none")


class UpstreamAuthOut(BaseModel):
    """What the upstream receives; a key's value is never shown."""

    mode: Literal["none", "identity", "api_key"]
    header: str | None = Field(None, description="The header it travels in (none for 'none')")


def _distinct(targets: list[str]) -> list[str]:
    if len(set(targets)) != len(targets):
        raise ValueError("targets must not repeat a URL")
    return targets


class ApiRegistration(BaseModel):
    """A new API for the gateway to front. The OpenAPI document is given inline
    (``openapi``) or fetched from ``openapi_url``; exactly one of the two. Targets are
    http(s) URLs at allowed addresses (``inproc://`` is for Strata's built-in APIs only)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ApiName
    layer: Layer
    version: Version
    description: Description = ""
    targets: Annotated[Targets, AfterValidator(_distinct)]
    timeout_seconds: Timeout = 10.0
    retries: Retries = Field(1, description="Retries for idempotent methods")
    read_scope: Scope | None = Field(None, description="Needed for GET, HEAD and OPTIONS")
    write_scope: Scope | None = Field(None, description="Needed for every other method")
    public: bool = Field(False, description=PUBLIC_DESCRIPTION)
    rate_tier: Tier | None = Field(None, description="Overrides the caller's rate tier")
    cors_origins: Origins = Field(default_factory=list, description=CORS_DESCRIPTION)
    openapi: Document | None = Field(None, description="The OpenAPI 3.x document, inline")
    openapi_url: DocumentUrl | None = Field(None, description="Where to fetch the document")
    upstream_auth: UpstreamAuthSetting = Field(
        default_factory=_no_upstream_auth, description=_UPSTREAM_AUTH_DESCRIPTION
    )


class ApiUpdate(BaseModel):
    """A partial change: only the fields present are changed; ``null`` clears an optional
    field. A new ``openapi_url`` (or the same one again) fetches the document anew."""

    model_config = ConfigDict(extra="forbid", strict=True)

    layer: Layer | None = None
    version: Version | None = None
    description: Description | None = None
    targets: Annotated[Targets, AfterValidator(_distinct)] | None = None
    timeout_seconds: Timeout | None = None
    retries: Retries | None = None
    read_scope: Scope | None = None
    write_scope: Scope | None = None
    public: bool | None = Field(None, description=PUBLIC_DESCRIPTION)
    rate_tier: Tier | None = None
    cors_origins: Origins | None = Field(None, description=CORS_DESCRIPTION + "; replaced whole")
    openapi: Document | None = None
    openapi_url: DocumentUrl | None = None
    upstream_auth: UpstreamAuthSetting | None = Field(
        None, description=_UPSTREAM_AUTH_DESCRIPTION + "; replaced whole"
    )

    @field_validator(
        "layer",
        "version",
        "targets",
        "timeout_seconds",
        "retries",
        "openapi",
        "description",
        "upstream_auth",
        "public",
        "cors_origins",
    )
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Only runs for fields the client sent: a null here would clear a required field.
        if value is None:
            raise ValueError("cannot be null")
        return value

    def changes(self) -> dict[str, Any]:
        return {field: getattr(self, field) for field in self.model_fields_set}


class ApiOut(BaseModel):
    name: str
    layer: Layer
    version: int
    description: str
    prefix: str = Field(description="Where the gateway serves it: /{layer}/{name}/v{version}")
    targets: list[str]
    timeout_seconds: float
    retries: int
    read_scope: str | None
    write_scope: str | None
    public: bool = Field(description="Open to anyone: no token is needed")
    rate_tier: str | None
    cors_origins: list[str] = Field(description="The browser origins that may call it")
    openapi_url: str | None
    upstream_auth: UpstreamAuthOut
    builtin: bool
    revision: int
    created_at: datetime
    updated_at: datetime


class ApiList(BaseModel):
    items: list[ApiOut]
    revision: int = Field(description="The registry revision this list was read at")
