"""The lean HTTP/1.1 upstream client against raw TCP servers that answer byte for byte."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

import pytest

from gateway.proxy import ProxySettings
from gateway.proxy.client import UpstreamError
from gateway.proxy.h1client import H1Client
from gateway.proxy.h1connection import request_bytes
from gateway.proxy.upstream import Remote

OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"
Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


@dataclass
class RawServer:
    """A TCP server running ``script(reader, writer, connection_number)`` per connection."""

    script: Script
    connections: int = 0
    requests: list[bytes] = field(default_factory=list)
    server: asyncio.Server | None = None

    @property
    def remote(self) -> Remote:
        assert self.server is not None
        port = self.server.sockets[0].getsockname()[1]
        remote = Remote.parse(f"http://127.0.0.1:{port}")
        assert remote is not None
        return remote

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            await self.script(reader, writer, self.connections)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = head + (await reader.readexactly(length) if length else b"")
        self.requests.append(request)
        return request


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[Script], Awaitable[RawServer]]]:
    servers: list[RawServer] = []

    async def start(script: Script) -> RawServer:
        raw = RawServer(script)
        raw.server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
        servers.append(raw)
        return raw

    yield start
    for raw in servers:
        assert raw.server is not None
        raw.server.close()


@pytest.fixture
async def client() -> AsyncIterator[H1Client]:
    h1 = H1Client(ProxySettings(max_connections_per_target=4))
    await h1.start()
    yield h1
    await h1.aclose()


async def fetch(
    client: H1Client, remote: Remote, method: str = "GET", body: bytes | None = None
) -> tuple[int, dict[bytes, bytes], bytes]:
    response = await client.send(remote, method, b"/x?y=1", [(b"x-a", b"1")], body, 2.0)
    chunks = []
    while chunk := await response.read():
        chunks.append(chunk)
    response.release()
    return response.status, {k.lower(): v for k, v in response.headers}, b"".join(chunks)


def answer_each_request_with(*answers: bytes) -> Callable[[RawServer], Script]:
    def bind(raw: RawServer) -> Script:
        async def script(reader, writer, number):
            for answer in answers:
                await raw.read_request(reader)
                writer.write(answer)
                await writer.drain()
            await reader.read()

        return script

    return bind


async def serving(raw_server, factory: Callable[[RawServer], Script]) -> RawServer:
    holder: list[RawServer] = []

    async def script(reader, writer, number):
        await factory(holder[0])(reader, writer, number)

    holder.append(await raw_server(script))
    return holder[0]


def test_the_request_is_written_in_one_piece():
    assert request_bytes("GET", b"/a?b=1", b"h:1", [(b"x-a", b"1")], None) == [
        b"GET /a?b=1 HTTP/1.1\r\nhost: h:1\r\nx-a: 1\r\n\r\n"
    ]
    assert request_bytes("POST", b"/a", b"h", [], None) == [
        b"POST /a HTTP/1.1\r\nhost: h\r\ncontent-length: 0\r\n\r\n"
    ]
    assert request_bytes("PUT", b"/a", b"h", [], b"xyz") == [
        b"PUT /a HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nxyz"
    ]
    large = b"z" * 100_000
    assert request_bytes("PUT", b"/a", b"h", [], large)[1] is large


async def test_keep_alive_reuses_one_connection(raw_server, client):
    raw = await serving(raw_server, answer_each_request_with(OK, OK, OK))

    answers = [await fetch(client, raw.remote) for _ in range(3)]

    assert [answer[2] for answer in answers] == [b"ok"] * 3
    assert raw.connections == 1
    assert raw.requests[0].startswith(b"GET /x?y=1 HTTP/1.1\r\nhost: 127.0.0.1:")
    assert b"x-a: 1\r\n" in raw.requests[0]


async def test_a_chunked_answer_is_decoded(raw_server, client):
    chunked = (
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    )
    raw = await serving(raw_server, answer_each_request_with(chunked, OK))

    first = await fetch(client, raw.remote)
    second = await fetch(client, raw.remote)

    assert first[2] == b"abcde"
    assert first[1][b"transfer-encoding"] == b"chunked"
    assert second[2] == b"ok"
    assert raw.connections == 1


async def test_an_answer_delimited_by_closing_the_connection(raw_server, client):
    async def script(reader, writer, number):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.0 200 OK\r\ncontent-type: text/plain\r\n\r\nuntil the end")
        await writer.drain()

    raw = await raw_server(script)

    status, _, body = await fetch(client, raw.remote)

    assert (status, body) == (200, b"until the end")


async def test_interim_answers_are_skipped(raw_server, client):
    interim = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n"
    raw = await serving(raw_server, answer_each_request_with(interim + OK))

    status, headers, body = await fetch(client, raw.remote)

    assert (status, body) == (200, b"ok")
    assert b"link" not in headers


async def test_head_answers_have_no_body_even_with_a_length(raw_server, client):
    head = b"HTTP/1.1 200 OK\r\ncontent-length: 1000\r\n\r\n"
    raw = await serving(raw_server, answer_each_request_with(head))
    raw_next = await serving(raw_server, answer_each_request_with(OK))

    status, headers, body = await asyncio.wait_for(fetch(client, raw.remote, "HEAD"), 2)
    after = await fetch(client, raw_next.remote)

    assert (status, headers[b"content-length"], body) == (200, b"1000", b"")
    assert after[2] == b"ok"


async def test_no_content_and_not_modified_have_no_body(raw_server, client):
    answers = (b"HTTP/1.1 204 No Content\r\n\r\n", b"HTTP/1.1 304 Not Modified\r\netag: x\r\n\r\n")
    raw = await serving(raw_server, answer_each_request_with(*answers, OK))

    results = [await asyncio.wait_for(fetch(client, raw.remote), 2) for _ in range(3)]

    assert [(status, body) for status, _, body in results] == [
        (204, b""),
        (304, b""),
        (200, b"ok"),
    ]
    assert raw.connections == 1


async def test_connection_close_makes_the_next_request_use_a_new_connection(raw_server, client):
    closing = b"HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 2\r\n\r\nok"
    raw = await serving(raw_server, answer_each_request_with(closing))

    await fetch(client, raw.remote)
    await fetch(client, raw.remote)

    assert raw.connections == 2


async def test_an_idle_connection_closed_by_the_upstream_is_not_reused(raw_server, client):
    async def script(reader, writer, number):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(OK)
        await writer.drain()  # then close: the upstream's keep-alive timeout

    raw = await raw_server(script)
    await fetch(client, raw.remote)
    await asyncio.sleep(0.05)

    status, _, body = await fetch(client, raw.remote)

    assert (status, body) == (200, b"ok")
    assert raw.connections == 2


async def test_a_connection_closed_before_any_answer_is_disconnected(raw_server, client):
    async def script(reader, writer, number):
        await reader.readuntil(b"\r\n\r\n")

    raw = await raw_server(script)

    with pytest.raises(UpstreamError) as raised:
        await fetch(client, raw.remote)

    assert raised.value.reason == "disconnected"


async def test_a_connection_cut_mid_body_is_a_protocol_error(raw_server, client):
    async def script(reader, writer, number):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\npartial")
        await writer.drain()

    raw = await raw_server(script)
    response = await client.send(raw.remote, "GET", b"/", [], None, 2.0)

    assert await response.read() == b"partial"
    with pytest.raises(UpstreamError) as raised:
        while await response.read():
            pass
    response.release()
    assert raised.value.reason == "protocol"


async def test_garbage_is_a_protocol_error(raw_server, client):
    raw = await serving(raw_server, answer_each_request_with(b"SMTP ready\r\n\r\n"))

    with pytest.raises(UpstreamError) as raised:
        await fetch(client, raw.remote)

    assert raised.value.reason == "protocol"


async def test_a_silent_upstream_times_out(raw_server, client):
    async def script(reader, writer, number):
        await reader.read()

    raw = await raw_server(script)

    with pytest.raises(UpstreamError) as raised:
        await client.send(raw.remote, "GET", b"/", [], None, 0.2)

    assert raised.value.reason == "timeout"


async def test_nothing_listening_is_a_connect_error(client):
    remote = Remote.parse("http://127.0.0.1:9")
    assert remote is not None

    with pytest.raises(UpstreamError) as raised:
        await fetch(client, remote)

    assert raised.value.reason == "connect"


async def test_the_connection_limit_queues_requests(raw_server):
    limited = H1Client(ProxySettings(max_connections_per_target=1))
    raw = await serving(raw_server, answer_each_request_with(*[OK] * 5))
    try:
        answers = await asyncio.gather(*(fetch(limited, raw.remote) for _ in range(5)))
    finally:
        await limited.aclose()

    assert [answer[2] for answer in answers] == [b"ok"] * 5
    assert raw.connections == 1


async def test_a_large_body_is_read_with_backpressure_and_arrives_whole(raw_server, client):
    body = bytes(range(256)) * 8192  # 2 MiB, more than the read buffer holds

    async def script(reader, writer, number):
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n" % len(body))
        for start in range(0, len(body), 65536):
            writer.write(body[start : start + 65536])
            await writer.drain()

    raw = await raw_server(script)
    response = await client.send(raw.remote, "GET", b"/", [], None, 2.0)
    received = bytearray()
    while chunk := await response.read():
        received += chunk
        await asyncio.sleep(0.001)  # a slow client
    response.release()

    assert bytes(received) == body


async def test_a_request_body_is_sent_with_its_length(raw_server, client):
    raw = await serving(raw_server, answer_each_request_with(OK))

    await fetch(client, raw.remote, "POST", b'{"a": 1}')

    assert raw.requests[0].endswith(b'content-length: 8\r\n\r\n{"a": 1}')


def test_it_works_on_uvloop_too():
    import uvloop

    async def scenario() -> tuple[int, bytes, int]:
        connections = 0

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            for _ in range(2):
                await reader.readuntil(b"\r\n\r\n")
                writer.write(OK)
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        remote = Remote.parse(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}")
        assert remote is not None
        h1 = H1Client(ProxySettings())
        try:
            await fetch(h1, remote)
            status, _, body = await fetch(h1, remote)
        finally:
            await h1.aclose()
            server.close()
        return status, body, connections

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(scenario()) == (200, b"ok", 1)
