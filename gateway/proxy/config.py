"""Settings of the gateway's data path: its URL, body limit, circuit breakers, upstream
connections.

Nested in the Strata settings as ``proxy`` (``STRATA_PROXY__BREAKER_FAILURES=3`` and so on).
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator

UpstreamClientName = Literal["httptools", "aiohttp"]


class ProxySettings(BaseModel):
    """How the data path forwards requests.

    ``breaker_failures`` consecutive failures of one target (connect errors, timeouts, 5xx)
    open its circuit; after ``breaker_cooldown_seconds`` one trial request is let through.
    ``keepalive_seconds`` is how long an idle upstream connection is kept: below the
    upstream's own idle timeout (uvicorn closes after 5 s, nginx after 75 s), so the gateway
    is not the one sending on a connection the upstream is closing.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The gateway's own URL (the authorization server's issuer): each API's audience, the
    # URL a token must be issued for (RFC 8707), is this plus the API's path prefix.
    base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: Annotated[int, Field(ge=0, le=1 << 34)] = 1_048_576
    breaker_failures: Annotated[int, Field(ge=1, le=1000)] = 5
    breaker_cooldown_seconds: Annotated[float, Field(gt=0, le=3600)] = 10.0
    client: UpstreamClientName = "httptools"
    max_connections_per_target: Annotated[int, Field(ge=0, le=100_000)] = 1000
    keepalive_seconds: Annotated[float, Field(gt=0, le=3600)] = 4.0
    read_chunk_bytes: Annotated[int, Field(ge=1024, le=16 << 20)] = 65536

    @field_validator("base_url")
    @classmethod
    def _base_url_is_an_origin(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the base URL must be an http(s) URL")
        return value.rstrip("/")
