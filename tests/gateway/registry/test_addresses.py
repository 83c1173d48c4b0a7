"""The address policy: the spellings of refused addresses, resolution, the allowed networks."""

from __future__ import annotations

from ipaddress import IPv4Address, ip_address, ip_network
from typing import Any

import pytest

from gateway.registry.addresses import AddressPolicy, check_host, ipv4_spelling

METADATA = IPv4Address("169.254.169.254")


async def refusal(policy: AddressPolicy, url: str) -> str:
    with pytest.raises(ValueError) as caught:
        await policy.addresses_of(url)
    return str(caught.value)


@pytest.mark.parametrize(
    "spelling",
    [
        "169.254.169.254",
        "2852039166",
        "0xA9FEA9FE",
        "0xa9.0xfe.0xa9.0xfe",
        "0251.0376.0251.0376",
        "169.254.43518",
        "169.16689662",
        "0251.0xfe.43518",
        "169.254.169.254.",
    ],
)
def test_every_ipv4_spelling_of_the_metadata_address_is_read_as_it(spelling: str):
    assert ipv4_spelling(spelling) == METADATA


@pytest.mark.parametrize(
    ("spelling", "address"),
    [("127.1", "127.0.0.1"), ("0x7f.1", "127.0.0.1"), ("10.0.0.1", "10.0.0.1"), ("0", "0.0.0.0")],
)
def test_short_spellings(spelling: str, address: str):
    assert ipv4_spelling(spelling) == IPv4Address(address)


@pytest.mark.parametrize(
    "name", ["orders.internal", "08.1.1.1", "1.2.3.4.5", "256.1.1.1", "1.16777216", "x1", ""]
)
def test_names_and_impossible_numbers_are_not_ipv4(name: str):
    assert ipv4_spelling(name) is None


@pytest.mark.parametrize(
    ("host", "reason"),
    [
        ("169.254.169.254", "link-local"),
        ("2852039166", "is 169.254.169.254: a link-local"),
        ("0xa9fea9fe", "link-local"),
        ("0251.0376.0251.0376", "link-local"),
        ("169.254.43518", "link-local"),
        ("::ffff:169.254.169.254", "carries 169.254.169.254"),
        ("::ffff:a9fe:a9fe", "carries 169.254.169.254"),
        ("::a9fe:a9fe", "carries 169.254.169.254"),
        ("64:ff9b::a9fe:a9fe", "carries 169.254.169.254"),
        ("2002:a9fe:a9fe::1", "carries 169.254.169.254"),
        ("fe80::1", "link-local"),
        ("fe80::1%25eth0", "IPv6 zone"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("metadata", "cloud metadata host name"),
        ("metadata.google.internal", "cloud metadata host name"),
        ("METADATA.Google.Internal.", "cloud metadata host name"),
        ("instance-data.ec2.internal", "cloud metadata host name"),
        ("0.0.0.0", "unspecified"),
        ("0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("255.255.255.255", "broadcast"),
        ("\uff4detadata.google.internal", "ASCII"),  # a full-width m
    ],
)
def test_hosts_that_are_always_refused(host: str, reason: str):
    with pytest.raises(ValueError) as caught:
        check_host(host)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", ip_address("127.0.0.1")),
        ("10.1.2.3", ip_address("10.1.2.3")),
        ("::1", ip_address("::1")),
        ("2001:db8::5", ip_address("2001:db8::5")),
        ("orders.internal", None),
        ("metadata-store.example", None),
    ],
)
def test_hosts_the_default_policy_may_reach(host: str, address: object):
    assert check_host(host) == address


async def test_every_resolved_address_must_pass(resolver: Any):
    resolver.answers["evil.example"] = ["10.0.0.5", "169.254.169.254"]
    resolver.answers["sly.example"] = ["::ffff:a9fe:a9fe"]
    policy = AddressPolicy(resolve=resolver)

    assert "evil.example resolves to 169.254.169.254: a link-local" in await refusal(
        policy, "http://evil.example/openapi.json"
    )
    assert "which carries 169.254.169.254" in await refusal(policy, "https://sly.example:8443")
    assert await policy.addresses_of("http://orders.internal") == (ip_address("10.20.0.1"),)
    assert resolver.asked == ["evil.example", "sly.example", "orders.internal"]


async def test_literals_are_not_resolved_and_unresolvable_names_are_refused(resolver: Any):
    policy = AddressPolicy(resolve=resolver)

    assert await policy.addresses_of("http://127.0.0.1:9001") == (ip_address("127.0.0.1"),)
    assert "gone.example does not resolve" in await refusal(policy, "http://gone.example/")
    assert resolver.asked == ["gone.example"]


async def test_the_allowed_networks_narrow_what_may_be_reached(resolver: Any):
    resolver.answers["mapped.example"] = ["::ffff:10.9.8.7"]
    policy = AddressPolicy.allowing([ip_network("10.0.0.0/8")], resolver)

    assert await policy.addresses_of("http://orders.internal") == (ip_address("10.20.0.1"),)
    assert await policy.addresses_of("http://mapped.example") == (ip_address("::ffff:10.9.8.7"),)
    for url in ("http://127.0.0.1:9001", "http://[::1]:9001"):
        assert "outside the networks the registry allows" in await refusal(policy, url)


async def test_the_allowed_networks_never_open_the_always_refused_ones():
    policy = AddressPolicy.allowing([ip_network("169.254.0.0/16"), ip_network("0.0.0.0/0")])
    assert "link-local" in await refusal(policy, "http://169.254.169.254/")
