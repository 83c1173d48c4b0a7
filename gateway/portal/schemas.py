"""What the portal's API takes and returns: a developer's own client apps and the scopes
they may ask for."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from gateway.oauth.admin import ClientOut

MAX_APPS_PER_DEVELOPER = 20


class AppCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: Annotated[
        list[Annotated[str, Field(max_length=100)]],
        Field(
            min_length=1,
            max_length=100,
            description="Scopes of the API layers, or tokens:introspect; back-office ones "
            "make the app wait for an operator's approval",
        ),
    ]
    redirect_uris: Annotated[
        list[Annotated[str, Field(max_length=2000)]],
        Field(max_length=20, description="Needed for a public app (authorization code + PKCE)"),
    ] = []
    public: bool = Field(
        default=False,
        description="A browser or mobile app without a secret; otherwise a confidential one",
    )


class AppOut(ClientOut):
    """One of the developer's apps (as the admin API shows a client); its secret is never
    shown again. ``status`` is pending, with ``status_reason``, until an operator approves an
    app that asked for back-office scopes."""


class AppCreated(AppOut):
    client_secret: str | None = Field(
        description="Shown only in this response; store it now. None for a public app."
    )


class AppList(BaseModel):
    items: list[AppOut] = Field(description="Oldest first")
    limit: int = Field(
        default=MAX_APPS_PER_DEVELOPER, description="How many apps one developer may have"
    )


class ScopeOut(BaseModel):
    name: str
    description: str


class ScopeList(BaseModel):
    items: list[ScopeOut] = Field(description="The scopes an app may be granted, by name")
