"""Where the registry may send the gateway: the address policy for targets and documents.

A target or an ``openapi_url`` names a host the gateway connects to on the registrant's
word, so it must not point into the gateway's own surroundings. Link-local and cloud-metadata
addresses (where a cloud host hands out its credentials) and addresses that are not one host
(unspecified, multicast, broadcast) are refused whatever the settings say; every other
address must lie in the allowed networks (a setting, all unicast networks by default).

An IP literal is read the way the C resolver reads it, so ``2852039166``, ``0xA9FEA9FE``,
``0251.0376.0251.0376`` and ``169.254.43518`` are all 169.254.169.254; an IPv6 address that
carries an IPv4 one (mapped, compatible, NAT64, 6to4, Teredo) is judged by that one too. A
host name is resolved off the event loop, bounded in time, and every address it resolves to
must pass: a name that does not resolve cannot be checked, so it is refused as well.
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]

RESOLVE_TIMEOUT_SECONDS = 5.0
ALLOWED_NETWORKS_SETTING = "STRATA_REGISTRY__ALLOWED_NETWORKS"
DEFAULT_ALLOWED_NETWORKS: tuple[IPNetwork, ...] = (ip_network("0.0.0.0/0"), ip_network("::/0"))
# First labels of the names clouds give their metadata services (metadata.google.internal,
# instance-data.ec2.internal, plain "metadata" on several).
METADATA_LABELS = frozenset({"metadata", "instance-data"})

_LINK_LOCAL = "a link-local address (where cloud metadata services answer)"
_METADATA = "a cloud metadata address"
ALWAYS_REFUSED: tuple[tuple[IPNetwork, str], ...] = tuple(
    (ip_network(cidr), reason)
    for cidr, reason in (
        ("0.0.0.0/8", "an unspecified address (it reaches the gateway's own host)"),
        ("169.254.0.0/16", _LINK_LOCAL),
        ("100.100.100.200/32", _METADATA),
        ("192.0.0.192/32", _METADATA),
        ("224.0.0.0/4", "a multicast address"),
        ("240.0.0.0/4", "a reserved or broadcast address"),
        ("::/128", "the unspecified address"),
        ("fe80::/10", _LINK_LOCAL),
        ("fd00:ec2::254/128", _METADATA),
        ("ff00::/8", "a multicast address"),
    )
)
_NAT64 = ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ip_network("::/96")
_IPV4_PART = re.compile(r"0[xX][0-9a-fA-F]*|0[0-7]*|[1-9][0-9]*")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def ipv4_spelling(host: str) -> IPv4Address | None:
    """The IPv4 address ``host`` spells as ``inet_aton(3)`` reads it (one to four parts,
    each decimal, octal with a leading 0 or hex with 0x, the last filling the rest), or None
    when it is not an IPv4 address in any spelling."""
    parts = host.removesuffix(".").split(".")
    if not 1 <= len(parts) <= 4 or not all(_IPV4_PART.fullmatch(part) for part in parts):
        return None
    *leading, last = [_part_value(part) for part in parts]
    last_bits = 8 * (4 - len(leading))
    if any(value > 0xFF for value in leading) or last >= 1 << last_bits:
        return None
    number = 0
    for value in leading:
        number = number << 8 | value
    return IPv4Address(number << last_bits | last)


def _part_value(part: str) -> int:
    if part[:2].lower() == "0x":
        return int(part[2:] or "0", 16)
    return int(part, 8) if part.startswith("0") else int(part)


def check_host(host: str) -> IPAddress | None:
    """The address an IP-literal ``host`` names (None for a host name); ``ValueError`` for
    a host that is never allowed, whatever it resolves to and whatever the settings say."""
    if "%" in host:
        raise ValueError(f"{host} carries an IPv6 zone; the gateway never calls link-local hosts")
    if not host.isascii():
        raise ValueError(f"{host} must be written in its ASCII (xn--) form")
    name = host.lower().removesuffix(".")
    if name.split(".", 1)[0] in METADATA_LABELS:
        raise ValueError(f"{host} is a cloud metadata host name; the gateway never calls it")
    address = _literal(name)
    refused = _always_refused(address) if address is not None else None
    if address is not None and refused is not None:
        raise ValueError(_refusal_message(host, address, *refused, resolved=False))
    return address


def _literal(name: str) -> IPAddress | None:
    if ":" not in name:
        return ipv4_spelling(name)
    try:
        return IPv6Address(name)
    except ValueError:
        raise ValueError(f"{name} is not a valid IPv6 address") from None


def _judged(address: IPAddress) -> tuple[IPAddress, ...]:
    """The addresses a connection to ``address`` really reaches: the IPv4 address inside an
    IPv6 one counts too (alone for a mapped one, which the kernel connects over IPv4)."""
    if isinstance(address, IPv4Address):
        return (address,)
    if address.ipv4_mapped is not None:
        return (address.ipv4_mapped,)
    carried: list[IPAddress] = []
    if address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1):
        carried.append(IPv4Address(int(address) & 0xFFFFFFFF))
    if address.sixtofour is not None:
        carried.append(address.sixtofour)
    if address.teredo is not None:
        carried.extend(address.teredo)
    return (address, *carried)


def _within(address: IPAddress, network: IPNetwork) -> bool:
    return address.version == network.version and address in network


def _always_refused(address: IPAddress) -> tuple[IPAddress, str] | None:
    """The address (``address`` or one it carries) that is never allowed, and why."""
    for judged in _judged(address):
        for network, reason in ALWAYS_REFUSED:
            if _within(judged, network):
                return judged, f"{reason}; the gateway never calls it"
    return None


def _refusal_message(
    host: str, address: IPAddress, judged: IPAddress, reason: str, *, resolved: bool
) -> str:
    if resolved:
        said = f"{host} resolves to {address}"
    elif host.lower().removesuffix(".") == str(address) or address.version == 6:
        said = host
    else:
        said = f"{host} is {address}"
    if judged != address:
        said += f", which carries {judged}"
    return f"{said} is {reason}" if said == host else f"{said}: {reason}"


async def system_resolver(host: str, port: int) -> list[str]:
    """The addresses ``host`` resolves to, looked up in a worker thread."""
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses targets and document URLs may reach (see the module's docstring)."""

    allowed_networks: tuple[IPNetwork, ...] = DEFAULT_ALLOWED_NETWORKS
    resolve: Resolver = system_resolver
    resolve_timeout_seconds: float = RESOLVE_TIMEOUT_SECONDS

    @classmethod
    def allowing(
        cls, networks: Iterable[IPNetwork], resolve: Resolver = system_resolver
    ) -> AddressPolicy:
        return cls(tuple(networks), resolve)

    def refusal(self, address: IPAddress) -> tuple[IPAddress, str] | None:
        """Why the gateway must not connect to ``address`` (and which address it is, when
        ``address`` carries another); None when it may."""
        refused = _always_refused(address)
        if refused is not None:
            return refused
        for judged in _judged(address):
            if not any(_within(judged, network) for network in self.allowed_networks):
                return (
                    judged,
                    f"outside the networks the registry allows ({ALLOWED_NETWORKS_SETTING})",
                )
        return None

    async def addresses_of(self, url: str) -> tuple[IPAddress, ...]:
        """Every address the host of ``url`` (an http(s) URL) stands for, each one allowed;
        ``ValueError`` saying which host and why otherwise."""
        parts = urlsplit(url)
        host = parts.hostname or ""
        literal = check_host(host)
        if literal is not None:
            addresses: tuple[IPAddress, ...] = (literal,)
        else:
            addresses = await self._resolved(
                host, parts.port or _DEFAULT_PORTS.get(parts.scheme, 80)
            )
        for address in addresses:
            refused = self.refusal(address)
            if refused is not None:
                message = _refusal_message(host, address, *refused, resolved=literal is None)
                raise ValueError(message)
        return addresses

    async def _resolved(self, host: str, port: int) -> tuple[IPAddress, ...]:
        unresolved = f"{host} does not resolve, so where it points cannot be checked"
        try:
            async with asyncio.timeout(self.resolve_timeout_seconds):
                found = await self.resolve(host, port)
        except (OSError, UnicodeError, TimeoutError):
            raise ValueError(unresolved) from None
        addresses: list[IPAddress] = []
        for text in found:
            try:
                # A scope (fe80::1%eth0) only comes with link-local addresses, refused anyway.
                addresses.append(ip_address(text.split("%", 1)[0]))
            except ValueError:
                raise ValueError(f"{host} resolves to {text!r}, not an IP address") from None
        if not addresses:
            raise ValueError(unresolved)
        return tuple(dict.fromkeys(addresses))
