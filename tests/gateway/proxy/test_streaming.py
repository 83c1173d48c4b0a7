"""Responses are streamed through, chunk by chunk, never buffered whole."""

from __future__ import annotations

import asyncio
import hashlib

CHUNKS = 64
SIZE = 65536


def _expected_body(chunks: int, size: int) -> bytes:
    return b"".join(bytes([index % 256]) * size for index in range(chunks))


async def test_a_large_streamed_response_arrives_intact(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        f"/system/crm/v1/stream?chunks={CHUNKS}&size={SIZE}", headers=tokens.read
    )

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/octet-stream"
    assert len(answer.content) == CHUNKS * SIZE
    expected = _expected_body(CHUNKS, SIZE)
    assert hashlib.sha256(answer.content).digest() == hashlib.sha256(expected).digest()


async def test_the_first_chunk_reaches_the_client_before_the_upstream_finished(
    upstreams, gateway, make_route, raw_request
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url], public=True)])
    finished_at_first_chunk: list[bool] = []

    async def on_chunk(chunk: bytes) -> None:
        if not finished_at_first_chunk:
            finished_at_first_chunk.append(a.stream_finished.is_set())
            a.gate.set()  # only now may the upstream produce the rest

    answer = await asyncio.wait_for(
        raw_request(
            gw.data_path,
            "GET",
            f"/system/crm/v1/stream?chunks=16&size={SIZE}&gated=1",
            on_chunk=on_chunk,
        ),
        timeout=10,
    )

    assert finished_at_first_chunk == [False]
    assert answer.status == 200
    assert answer.complete
    assert answer.body == _expected_body(16, SIZE)
    assert len(answer.chunks) > 1


async def test_a_client_that_leaves_mid_stream_stops_the_upstream_transfer(
    upstreams, gateway, make_route, raw_request
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url], public=True)])
    gone = asyncio.Event()

    async def on_chunk(chunk: bytes) -> None:
        gone.set()

    answer = await asyncio.wait_for(
        raw_request(
            gw.data_path,
            "GET",
            f"/system/crm/v1/stream?chunks=16&size={SIZE}&gated=1",
            on_chunk=on_chunk,
            disconnect=gone,
        ),
        timeout=10,
    )
    await asyncio.wait_for(a.stream_closed.wait(), timeout=5)

    assert not answer.complete
    assert not a.stream_finished.is_set()
    runtime = gw.data_path.runtime("crm")
    assert runtime is not None
    assert runtime.pool.targets[0].breaker.failures == 0


async def test_a_head_request_gets_headers_and_no_body(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.head("/system/crm/v1/customers/1", headers=tokens.read)

    assert answer.status_code == 200
    assert answer.content == b""
    assert int(answer.headers["content-length"]) > 0
