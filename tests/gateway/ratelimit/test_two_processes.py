"""Two gateway processes on one Redis enforce one limit together, not one limit each.

Each process is a real uvicorn server on a loopback port running a small gateway node that
checks every request with the Redis-backed limiter. The processes are stopped at the end
of the test whatever happens.
"""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from redis.asyncio import Redis

from strata.errors import PROBLEM_JSON

NODE_MODULE = '''
"""A minimal gateway node: every request passes the shared rate limiter."""

import json
import os

from gateway.ratelimit import (
    RateLimitSettings,
    build_limiter,
    rate_limit_header_list,
    refusal_response,
)


def create_app():
    settings = RateLimitSettings(
        key_prefix=os.environ["RATELIMIT_NODE_PREFIX"],
        tiers={"free": {"read": "10/hour burst 10", "write": "10/hour burst 10"}},
        default_tier="free",
    )
    state = {}

    async def lifespan(receive, send):
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                state["limiter"] = build_limiter(settings, os.environ["RATELIMIT_NODE_REDIS"])
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await state["limiter"].aclose()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def respond(send, status, body, headers=()):
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-type", b"application/json"),
            (b"x-node", str(os.getpid()).encode()),
            *headers,
        ]})
        await send({"type": "http.response.body", "body": json.dumps(body).encode()})

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            await lifespan(receive, send)
            return
        limiter = state["limiter"]
        if scope["path"] == "/ready":
            await respond(send, 200, {"store": type(limiter.store).__name__})
            return
        client_id = dict(scope["headers"]).get(b"x-client", b"anonymous").decode()
        decision = await limiter.check(scope["method"], client_id=client_id)
        if not decision.allowed:
            response = refusal_response(decision, scope["path"])
            response.headers["x-node"] = str(os.getpid())
            await response(scope, receive, send)
            return
        await respond(send, 200, {"ok": True}, rate_limit_header_list(decision))

    return app
'''


SERVER_ARGS = (
    "--factory", "ratelimit_node:create_app", "--host", "127.0.0.1",
    "--log-level", "warning", "--no-access-log",
)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gateway node exited with {process.returncode}:\n{log.read_text()}")
        try:
            answer = httpx.get(f"{url}/ready", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        assert answer.json() == {"store": "RedisStore"}
        return
    pytest.fail(f"gateway node at {url} did not start in time:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def gateway_nodes(
    tmp_path: Path,
    redis_url: str,
    redis_client: Redis,
    key_prefix: str,
) -> Iterator[list[str]]:
    """Two gateway processes sharing ``redis_url``; their base URLs."""
    (tmp_path / "ratelimit_node.py").write_text(NODE_MODULE)
    env = {**os.environ, "RATELIMIT_NODE_PREFIX": key_prefix, "RATELIMIT_NODE_REDIS": redis_url}
    processes: list[subprocess.Popen[bytes]] = []
    urls = []
    try:
        for index in range(2):
            port = free_port()
            log = tmp_path / f"node-{index}.log"
            with log.open("wb") as output:
                command = [sys.executable, "-m", "uvicorn", *SERVER_ARGS, "--port", str(port)]
                processes.append(
                    subprocess.Popen(
                        [*command, "--app-dir", str(tmp_path)],
                        cwd=tmp_path,
                        env=env,
                        stdout=output,
                        stderr=subprocess.STDOUT,
                    )
                )
            urls.append(f"http://127.0.0.1:{port}")
            wait_until_ready(urls[-1], processes[-1], log)
        yield urls
    finally:
        for process in processes:
            stop(process)


async def test_two_processes_allow_the_limit_together_not_twice(
    gateway_nodes: list[str],
) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        in_turn = [
            await client.get(f"{gateway_nodes[n % 2]}/orders", headers={"x-client": "turns"})
            for n in range(30)
        ]
        at_once = await asyncio.gather(
            *(
                client.post(f"{gateway_nodes[n % 2]}/orders", headers={"x-client": "crowd"})
                for n in range(60)
            )
        )

    assert len({answer.headers["x-node"] for answer in in_turn}) == 2
    passed = [answer for answer in in_turn if answer.status_code == 200]
    assert len(passed) == 10
    # Taking turns, each node let through half: both enforce the one shared limit.
    assert sorted(a.headers["x-node"] for a in passed).count(passed[0].headers["x-node"]) == 5
    assert [a.headers["ratelimit-remaining"] for a in passed] == [str(9 - n) for n in range(10)]

    assert sum(answer.status_code == 200 for answer in at_once) == 10
    refused = [answer for answer in at_once if answer.status_code != 200]
    assert {answer.status_code for answer in refused} == {429}
    assert all(answer.headers["content-type"] == PROBLEM_JSON for answer in refused)
    assert all(int(answer.headers["retry-after"]) >= 1 for answer in refused)
    assert refused[0].json()["type"] == "https://strata.dev/problems/rate-limited"
