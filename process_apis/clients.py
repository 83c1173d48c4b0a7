"""The process layer's view of the system layer: one HTTP client per system API.

``SystemClients`` holds an ``httpx.AsyncClient`` per system API made with
``strata.http.layer_client``; :class:`SystemCaller` makes calls on behalf of one caller and
turns failures into :class:`~strata.downstream.DownstreamError` (see ``strata.downstream``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from strata.downstream import DownstreamError, LayerCaller, connect_clients, read

__all__ = ["SYSTEMS", "DownstreamError", "SystemCaller", "SystemClients", "read"]

SYSTEMS = ("crm", "erp", "inventory")
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass
class SystemClients:
    """One client per system API; closed by whoever made it."""

    crm: httpx.AsyncClient
    erp: httpx.AsyncClient
    inventory: httpx.AsyncClient
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def connect(
        cls,
        base_urls: Mapping[str, str],
        transports: Mapping[str, httpx.AsyncBaseTransport | None] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> SystemClients:
        """Clients for the system APIs at ``base_urls`` (``{"crm": "http://h/system/crm/v1",
        ...}``), through ``transports`` when given (e.g. ``in_process(app)``)."""
        clients = connect_clients(SYSTEMS, base_urls, transports, timeout)
        return cls(timeout=timeout, **clients)

    def of(self, system: str) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(self, system)
        return client

    async def aclose(self) -> None:
        for name in SYSTEMS:
            await self.of(name).aclose()


class SystemCaller(LayerCaller):
    """Calls to the system APIs on behalf of one caller."""

    def __init__(self, clients: SystemClients, authorization: str | None) -> None:
        super().__init__(clients, authorization)
        self.clients: SystemClients = clients
