"""The registry's settings: the allowed networks from the environment, one clear line when
they are wrong, and a default that keeps loopback upstreams working."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest

from gateway.registry.addresses import AddressPolicy
from strata.errors import ConfigurationError
from strata.settings import load_settings


def test_the_default_allows_every_unicast_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STRATA_REGISTRY__ALLOWED_NETWORKS", raising=False)
    networks = load_settings().registry.allowed_networks
    assert networks == [ip_network("0.0.0.0/0"), ip_network("::/0")]


def test_the_allowed_networks_come_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRATA_REGISTRY__ALLOWED_NETWORKS", '["10.0.0.0/8", "fd00::/8"]')
    networks = load_settings().registry.allowed_networks
    assert networks == [ip_network("10.0.0.0/8"), ip_network("fd00::/8")]

    policy = AddressPolicy.allowing(networks)
    assert policy.refusal(ip_address("10.1.2.3")) is None
    assert policy.refusal(ip_address("127.0.0.1")) is not None


@pytest.mark.parametrize("value", ['["10.0.0.0/33"]', '["10.0.0.1/8"]', "[]", '["a.b.c.d/8"]'])
def test_bad_networks_stop_the_start_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("STRATA_REGISTRY__ALLOWED_NETWORKS", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "STRATA_REGISTRY__ALLOWED_NETWORKS" in str(caught.value)
    assert "\n" not in str(caught.value)
