"""The registry's settings (``STRATA_REGISTRY__*``)."""

from __future__ import annotations

from ipaddress import IPv4Network, IPv6Network
from typing import Annotated

from pydantic import BaseModel, Field

from gateway.registry.addresses import DEFAULT_ALLOWED_NETWORKS

Network = IPv4Network | IPv6Network


class RegistrySettings(BaseModel):
    """Where registered APIs and their documents may live.

    ``allowed_networks`` (a JSON list of CIDRs, e.g.
    ``STRATA_REGISTRY__ALLOWED_NETWORKS='["10.0.0.0/8", "127.0.0.1/32"]'``) is every network a
    target or an ``openapi_url`` may resolve into. Link-local, cloud-metadata, unspecified,
    multicast and broadcast addresses are refused whatever it says.
    """

    allowed_networks: Annotated[list[Network], Field(min_length=1, max_length=256)] = Field(
        default_factory=lambda: list(DEFAULT_ALLOWED_NETWORKS)
    )
