"""Fetching a document: every redirect hop is checked before it is followed, the checked
address is the one connected to, and no answer reads the same however it failed."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import MAX_REDIRECTS, DocumentLoader
from strata.errors import Problem


class Upstream:
    """A mock transport answering by path; it records every request it receives."""

    def __init__(self, document: dict[str, Any], redirects: dict[str, str]) -> None:
        self.document = document
        self.redirects = redirects
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        location = self.redirects.get(request.url.path)
        if location is not None:
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, json=self.document)

    @property
    def hosts(self) -> list[str]:
        return [request.headers["host"] for request in self.requests]


@pytest.fixture
def upstream(make_document: Any) -> Upstream:
    return Upstream(make_document("Fetched"), {})


@pytest.fixture
def loader(upstream: Upstream) -> DocumentLoader:
    return DocumentLoader(httpx.MockTransport(upstream))


async def refused(loader: DocumentLoader, url: str, addresses: AddressPolicy) -> str:
    with pytest.raises(Problem) as caught:
        await loader.fetch(url, addresses)
    problem = caught.value
    assert problem.status == 422
    (error,) = problem.extensions["errors"]
    assert error["field"] == "openapi_url"
    return str(error["message"])


@pytest.mark.parametrize(
    "location",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://2852039166/latest/meta-data/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://metadata.google.internal/computeMetadata/v1/",
        "http://sneaky.example/",  # resolves to the metadata address
        "file:///etc/passwd",
    ],
)
async def test_a_redirect_to_a_refused_address_is_not_followed(
    loader: DocumentLoader,
    upstream: Upstream,
    addresses: AddressPolicy,
    resolver: Any,
    location: str,
):
    resolver.answers["sneaky.example"] = ["169.254.169.254"]
    upstream.redirects["/openapi.json"] = location

    detail = await refused(loader, "http://docs.internal/openapi.json", addresses)

    assert detail.startswith(f"http://docs.internal/openapi.json redirects to {location}")
    assert "which is refused" in detail
    assert upstream.hosts == ["docs.internal"]  # the refused hop was never asked


async def test_allowed_redirects_are_followed_each_to_its_checked_address(
    loader: DocumentLoader, upstream: Upstream, addresses: AddressPolicy, resolver: Any
):
    resolver.answers["moved.example"] = ["10.0.0.9"]
    upstream.redirects["/openapi.json"] = "/v2/openapi.json"
    upstream.redirects["/v2/openapi.json"] = "https://moved.example:8443/final.json"

    document = await loader.fetch("http://docs.internal/openapi.json", addresses)

    assert document["info"]["title"] == "Fetched"
    assert upstream.hosts == ["docs.internal", "docs.internal", "moved.example:8443"]
    assert [str(request.url) for request in upstream.requests] == [
        "http://10.20.0.1/openapi.json",
        "http://10.20.0.1/v2/openapi.json",
        "https://10.0.0.9:8443/final.json",
    ]
    assert upstream.requests[-1].extensions["sni_hostname"] == "moved.example"


async def test_redirects_are_bounded(
    loader: DocumentLoader, upstream: Upstream, addresses: AddressPolicy
):
    for hop in range(MAX_REDIRECTS + 1):
        upstream.redirects[f"/{hop}"] = f"/{hop + 1}"

    detail = await refused(loader, "http://docs.internal/0", addresses)

    assert f"redirects more than {MAX_REDIRECTS} times" in detail
    assert len(upstream.requests) == MAX_REDIRECTS + 1


async def test_the_first_hop_is_checked_too(
    loader: DocumentLoader, upstream: Upstream, addresses: AddressPolicy
):
    narrow = AddressPolicy.allowing([], addresses.resolve)
    detail = await refused(loader, "http://docs.internal/openapi.json", narrow)
    assert "docs.internal resolves to 10.20.0.1: outside the networks" in detail
    detail = await refused(loader, "http://nowhere.example/openapi.json", addresses)
    assert "nowhere.example does not resolve" in detail
    assert upstream.requests == []


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # nothing listens there any more: connections are refused


@pytest.fixture
def silent_port() -> Iterator[int]:
    # The kernel completes the handshake for the backlog; nothing ever reads or answers.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


async def test_a_closed_port_and_a_silent_port_read_the_same(closed_port: int, silent_port: int):
    loader = DocumentLoader(timeout_seconds=0.3)
    policy = AddressPolicy()
    details = []
    for port in (closed_port, silent_port):
        url = f"http://127.0.0.1:{port}/openapi.json"
        details.append((await refused(loader, url, policy)).replace(url, "URL"))

    assert details[0] == details[1]
    assert details[0].startswith("URL is unreachable: no answer came back within 0.3 seconds")
