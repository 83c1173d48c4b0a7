"""What the catalog returns."""

from __future__ import annotations

from pydantic import BaseModel, Field

from gateway.registry.schemas import Layer


class CatalogScopes(BaseModel):
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
    scopes: CatalogScopes
    builtin: bool
    links: CatalogLinks


class Catalog(BaseModel):
    items: list[CatalogEntry] = Field(
        description="System APIs first, then process, then experience"
    )
