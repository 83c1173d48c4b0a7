"""What one client may hold of a server: header bytes, read times, connections.

Nested in the settings as ``server`` (``STRATA_SERVER__MAX_HEADER_BYTES`` and so on); enforced
by :mod:`strata.server` under ``strata serve``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field


class ServerSettings(BaseModel):
    """Limits on every HTTP connection. The defaults suit a gateway on the open internet: a
    request line and headers of 32 KiB leave room for large bearer tokens and cookies."""

    # Request line and headers together; more answers 431 and closes the connection.
    max_header_bytes: Annotated[int, Field(ge=1024, le=1_048_576)] = 32_768
    # From a connection's start (or a request's first byte) to the end of its headers.
    header_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 10.0
    # From the end of the headers to the end of the body, however slowly it trickles.
    body_timeout_seconds: Annotated[float, Field(gt=0, le=3600)] = 30.0
    # An idle kept-alive connection is closed after this long.
    keep_alive_seconds: Annotated[int, Field(ge=1, le=300)] = 5
    # Connections past this many get 503 to their first request and are closed.
    max_connections: Annotated[int, Field(ge=1, le=1_000_000)] = 1024
