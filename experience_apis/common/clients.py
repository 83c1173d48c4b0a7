"""The experience layer's view of the layers below: the process APIs, and the inventory
system API for plain catalog reads (experience APIs hold no business rules, so anything
that changes state goes through a process API)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import httpx

from strata.downstream import DownstreamError, LayerCaller, connect_clients, read

__all__ = ["BELOW", "DownstreamError", "ExperienceCaller", "ExperienceClients", "read"]

# What an experience API may call, by name: (layer, API).
BELOW: dict[str, tuple[str, str]] = {
    "orders": ("process", "orders"),
    "customers": ("process", "customers"),
    "availability": ("process", "availability"),
    "inventory": ("system", "inventory"),
}
DEFAULT_TIMEOUT_SECONDS = 10.0


@dataclass
class ExperienceClients:
    """One client per API below; closed by whoever made them."""

    orders: httpx.AsyncClient
    customers: httpx.AsyncClient
    availability: httpx.AsyncClient
    inventory: httpx.AsyncClient
    timeout: float = DEFAULT_TIMEOUT_SECONDS

    @classmethod
    def connect(
        cls,
        base_urls: Mapping[str, str],
        transports: Mapping[str, httpx.AsyncBaseTransport | None] | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
    ) -> ExperienceClients:
        """Clients for the APIs at ``base_urls`` (``{"orders": "http://h/process/orders/v1",
        ...}``, one per name in ``BELOW``), through ``transports`` when given."""
        clients = connect_clients(BELOW, base_urls, transports, timeout)
        return cls(timeout=timeout, **clients)

    def of(self, name: str) -> httpx.AsyncClient:
        client: httpx.AsyncClient = getattr(self, name)
        return client

    async def aclose(self) -> None:
        for name in BELOW:
            await self.of(name).aclose()


class ExperienceCaller(LayerCaller):
    """Calls to the APIs below on behalf of one signed-in user (whose token is forwarded)."""

    def __init__(self, clients: ExperienceClients, authorization: str | None) -> None:
        super().__init__(clients, authorization)
        self.clients: ExperienceClients = clients
