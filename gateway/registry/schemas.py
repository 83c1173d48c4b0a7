"""What the admin API takes and returns for registered APIs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from gateway.registry.validation import (
    check_document_url,
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


def _distinct(targets: list[str]) -> list[str]:
    if len(set(targets)) != len(targets):
        raise ValueError("targets must not repeat a URL")
    return targets


class ApiRegistration(BaseModel):
    """A new API for the gateway to front. The OpenAPI document is given inline
    (``openapi``) or fetched from ``openapi_url``; exactly one of the two."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: ApiName
    layer: Layer
    version: Version
    description: Description = ""
    targets: Annotated[Targets, AfterValidator(_distinct)]
    timeout_seconds: Timeout = 10.0
    retries: Retries = Field(1, description="Retries for idempotent methods")
    read_scope: Scope | None = None
    write_scope: Scope | None = None
    rate_tier: Tier | None = Field(None, description="Overrides the caller's rate tier")
    openapi: Document | None = Field(None, description="The OpenAPI 3.x document, inline")
    openapi_url: DocumentUrl | None = Field(None, description="Where to fetch the document")


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
    rate_tier: Tier | None = None
    openapi: Document | None = None
    openapi_url: DocumentUrl | None = None

    @field_validator(
        "layer", "version", "targets", "timeout_seconds", "retries", "openapi", "description"
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
    rate_tier: str | None
    openapi_url: str | None
    builtin: bool
    revision: int
    created_at: datetime
    updated_at: datetime


class ApiList(BaseModel):
    items: list[ApiOut]
    revision: int = Field(description="The registry revision this list was read at")
