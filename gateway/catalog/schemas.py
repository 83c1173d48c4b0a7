"""What the catalog returns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.registry.schemas import Layer


class CatalogScopes(BaseModel):
    """The scopes a token needs; a method whose scope is null is refused (unless the API is
    public, when no token is needed at all)."""

    read: str | None = Field(description="Needed for GET, HEAD and OPTIONS")
    write: str | None = Field(description="Needed for every other method")


class CatalogLinks(BaseModel):
    docs: str = Field(description="Interactive docs (Swagger UI)")
    openapi: str = Field(description="The OpenAPI document, aimed at the gateway")


class CatalogEntry(BaseModel):
    name: str
    layer: Layer
    version: int
    title: str = Field(description="The title of its OpenAPI document")
    description: str
    path: str = Field(description="Where the gateway serves it: /{layer}/{name}/v{version}")
    public: bool = Field(description="Open to anyone without a token; otherwise see scopes")
    scopes: CatalogScopes
    builtin: bool
    links: CatalogLinks


class Catalog(BaseModel):
    items: list[CatalogEntry] = Field(
        description="System APIs first, then process, then experience"
    )
