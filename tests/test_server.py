"""The limits of strata.server, with real sockets against a real server on 127.0.0.1.

The server is a separate process running a small echo app through ``strata.server.run`` (what
``strata serve`` runs), so its memory can be read from /proc. Every loop here is bounded and
every socket has a timeout: a limit that does not hold fails the test, it never hangs it.
"""

from __future__ import annotations

import select
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from starlette.applications import Starlette

from strata.errors import ConfigurationError
from strata.server import run
from strata.server_settings import ServerSettings
from tests.support_server import free_port
from tests.support_sockets import closed_by_server, problem_of, read_response

START_TIMEOUT_SECONDS = 30.0
SOCKET_TIMEOUT_SECONDS = 10.0
# Far longer than any limit under test: a connection still open after this was never closed.
TRICKLE_STEPS, TRICKLE_INTERVAL = 60, 0.1

ECHO_SERVER = """
import json, sys
from strata.server import run
from strata.server_settings import ServerSettings

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            kind = message["type"].rsplit(".", 1)[1]
            await send({"type": f"lifespan.{kind}.complete"})
            if kind == "shutdown":
                return
    received = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        received += len(message.get("body", b""))
        if not message.get("more_body"):
            break
    body = json.dumps({"received": received}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})

run(app, "127.0.0.1", int(sys.argv[1]), ServerSettings.model_validate_json(sys.argv[2]))
"""


class EchoServer:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=SOCKET_TIMEOUT_SECONDS)
        return sock

    def peak_memory_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
        return int(line.split()[1])


def _start(limits: ServerSettings) -> EchoServer:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", ECHO_SERVER, str(port), limits.model_dump_json()],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = EchoServer(process, port)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the echo server exited early"
        try:
            with server.connect() as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
                if read_response(sock).startswith(b"HTTP/1.1 200"):
                    return server
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise AssertionError("the echo server did not start")


def _stop(server: EchoServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()


@pytest.fixture(scope="module")
def server() -> Iterator[EchoServer]:
    running = _start(ServerSettings(header_timeout_seconds=0.5, body_timeout_seconds=0.5))
    yield running
    _stop(running)


@pytest.fixture
def serve() -> Iterator[Callable[..., EchoServer]]:
    """Starts a server of its own with the given limits, for a test that counts connections."""
    started: list[EchoServer] = []

    def start(**limits: object) -> EchoServer:
        started.append(_start(ServerSettings.model_validate(limits)))
        return started[-1]

    yield start
    for running in started:
        _stop(running)


def trickle(sock: socket.socket, piece: bytes) -> bytes | None:
    """Sends ``piece`` every interval until the server answers or closes; what it answered,
    or None if the connection was still open when the bounded loop ran out."""
    for _ in range(TRICKLE_STEPS):
        try:
            sock.sendall(piece)
        except OSError:
            return read_response(sock)
        readable, _, _ = select.select([sock], [], [], TRICKLE_INTERVAL)
        if readable:
            return read_response(sock)
    return None


def test_ordinary_requests_keep_alive_within_the_limits(server: EchoServer) -> None:
    with server.connect() as sock:
        for _ in range(3):
            sock.sendall(
                b"POST / HTTP/1.1\r\nHost: t\r\nX-Big: "
                + b"a" * 30_000
                + b"\r\nContent-Length: 5\r\n\r\nhello"
            )
            response = read_response(sock)
            assert response.startswith(b"HTTP/1.1 200"), response[:200]
            assert response.endswith(b'{"received": 5}')


def test_a_64_kib_header_is_refused_with_431_and_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + b"a" * 65_536 + b"\r\n\r\n")
        response = read_response(sock)
        assert response.startswith(b"HTTP/1.1 431 "), response[:200]
        assert b"connection: close" in response.lower()
        problem = problem_of(response)
        assert problem["status"] == 431
        assert problem["limit_bytes"] == ServerSettings().max_header_bytes
        assert closed_by_server(sock)


def test_the_header_cap_counts_the_request_line_too(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 431 ")


def test_headers_trickled_slower_than_the_timeout_are_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n")
        response = trickle(sock, b"X-Slow: 1\r\n")
        assert response is not None, "the connection was never closed"
        assert response.startswith(b"HTTP/1.1 408 "), response[:200]
        assert problem_of(response)["limit_seconds"] == 0.5
        assert closed_by_server(sock)


def test_a_connection_that_sends_nothing_is_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        assert closed_by_server(sock)


def test_a_keep_alive_request_that_stalls_is_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200")
        sock.sendall(b"GET / HTTP/1.1\r\n")
        assert trickle(sock, b"X-Slow: 1\r\n") is not None


def test_a_body_trickled_slower_than_the_timeout_is_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n")
        response = trickle(sock, b"x")
        assert response is not None, "the connection was never closed"
        assert response.startswith(b"HTTP/1.1 408 "), response[:200]
        assert closed_by_server(sock)


def test_a_chunked_body_trickled_is_closed(server: EchoServer) -> None:
    with server.connect() as sock:
        sock.sendall(b"POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        response = trickle(sock, b"1\r\nx\r\n")
        assert response is not None
        assert response.startswith(b"HTTP/1.1 408 ")


def test_connections_past_the_cap_are_refused_with_503(serve: Callable[..., EchoServer]) -> None:
    server = serve(max_connections=3)
    held = [server.connect() for _ in range(3)]
    try:
        for sock in held:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            assert read_response(sock).startswith(b"HTTP/1.1 200")
        with server.connect() as extra:
            extra.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            response = read_response(extra)
            assert response.startswith(b"HTTP/1.1 503 "), response[:200]
            assert b"retry-after: 1" in response.lower()
            assert problem_of(response)["status"] == 503
            assert closed_by_server(extra)
        # The connections within the cap are still served.
        held[0].sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        assert read_response(held[0]).startswith(b"HTTP/1.1 200")
    finally:
        for sock in held:
            sock.close()


def test_memory_of_many_unfinished_huge_headers_stays_bounded(server: EchoServer) -> None:
    connections, per_connection = 8, 16 * 1024 * 1024
    before = server.peak_memory_kib()
    socks = [server.connect() for _ in range(connections)]
    try:
        for sock in socks:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nX-Huge: ")
        piece = b"a" * 65_536
        for sock in socks:
            sent = 0
            try:
                while sent < per_connection:
                    sock.sendall(piece)
                    sent += len(piece)
            except OSError:
                pass
        answers = [read_response(sock) for sock in socks]
    finally:
        for sock in socks:
            sock.close()
    grown_mib = (server.peak_memory_kib() - before) / 1024
    assert all(answer.startswith(b"HTTP/1.1 431 ") for answer in answers), answers
    # Unbounded, the server would hold the 128 MiB sent (and more, in copies).
    assert grown_mib < 32, f"the server grew by {grown_mib:.0f} MiB"


# --- a failed start ------------------------------------------------------------------------


def _failing_to_start(error: Exception) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        raise error
        yield

    return Starlette(lifespan=lifespan)


def test_a_configuration_error_while_starting_is_raised_without_a_traceback(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = _failing_to_start(ConfigurationError("the secret is not the one"))
    with pytest.raises(ConfigurationError, match="the secret is not the one"):
        run(app, "127.0.0.1", free_port(), ServerSettings())
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "Traceback" not in logged
    assert all(record.exc_info is None for record in caplog.records)


def test_another_error_while_starting_stays_uvicorns_startup_failure() -> None:
    with pytest.raises(SystemExit) as stopped:
        run(_failing_to_start(RuntimeError("a bug")), "127.0.0.1", free_port(), ServerSettings())
    assert stopped.value.code == 3
