"""Fixtures for the data path: real upstream servers on loopback ports, and gateways.

Upstreams are uvicorn servers running in the test's event loop on sockets bound here, so a
test can stop one (connections refused, as when a host dies) and start it again on the same
port. Every server and gateway made by a test is closed when the test ends, pass or fail.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import uvicorn
from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from gateway.proxy import Caller, GatewayDataPath, ProxyMetrics, ProxySettings, StaticTokens
from gateway.routes import ApiRoute, RouteTable, RouteTableHolder
from strata.middleware import RequestContextMiddleware

# The APIs these tests route (the data path's default base URL and their prefixes).
AUDIENCE = frozenset({"http://127.0.0.1:8000/system/crm/v1", "http://127.0.0.1:8000/system/erp/v1"})
READER = Caller("user-1", "web", frozenset({"crm:read"}), "standard", AUDIENCE)
WRITER = Caller("svc-1", "batch", frozenset({"crm:read", "crm:write"}), "premium", AUDIENCE)
TOKENS = StaticTokens({"read-token": READER, "write-token": WRITER})


@dataclass(frozen=True)
class Tokens:
    """Authorization headers for a caller with ``crm:read``, and one with both scopes."""

    read: dict[str, str]
    write: dict[str, str]
    reader: Caller = READER
    writer: Caller = WRITER


@pytest.fixture
def tokens() -> Tokens:
    return Tokens(
        read={"Authorization": "Bearer read-token"},
        write={"Authorization": "Bearer write-token"},
    )


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the test runner's signal handlers alone."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def _bind(port: int = 0) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


@dataclass
class Upstream:
    """An upstream service that reports what it received; ``gate`` holds streamed bodies."""

    name: str
    hits: list[tuple[str, str]] = field(default_factory=list)
    gate: asyncio.Event = field(default_factory=asyncio.Event)
    stream_finished: asyncio.Event = field(default_factory=asyncio.Event)
    stream_closed: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    fail_with: int | None = None
    _server: _QuietServer | None = None
    _task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        sock = _bind(self.port)
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app(),
            lifespan="off",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=1,
        )
        server = _QuietServer(config)
        self._server = server
        self._task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        """Stops at once, like a host going down: in-flight requests are cut."""
        if self._server is None or self._task is None:
            return
        self._server.should_exit = True
        self._server.force_exit = True
        await self._task
        self._server = self._task = None

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/slow", self._slow),
                Route("/status/{code:int}", self._status, methods=["GET", "POST", "PUT"]),
                Route("/stream", self._stream),
                Route("/hop", self._hop),
                Route(
                    "/{path:path}",
                    self._echo,
                    methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
                ),
            ]
        )

    async def _echo(self, request: Request) -> Response:
        body = await request.body()
        self.hits.append((request.method, request.url.path))
        if self.fail_with is not None:
            return JSONResponse({"upstream": self.name}, status_code=self.fail_with)
        return JSONResponse(
            {
                "upstream": self.name,
                "method": request.method,
                "path": request.url.path,
                "raw_path": request.scope["raw_path"].decode("latin-1"),
                "query": request.url.query,
                "headers": [[k.decode(), v.decode()] for k, v in request.scope["headers"]],
                "body": body.decode("latin-1"),
            },
            headers={"set-cookie": f"upstream={self.name}"},
        )

    async def _slow(self, request: Request) -> Response:
        self.hits.append((request.method, "/slow"))
        await asyncio.sleep(float(request.query_params.get("seconds", "1")))
        return JSONResponse({"upstream": self.name, "slow": True})

    async def _status(self, request: Request) -> Response:
        code = request.path_params["code"]
        self.hits.append((request.method, f"/status/{code}"))
        return JSONResponse({"upstream": self.name, "status": code}, status_code=code)

    async def _stream(self, request: Request) -> Response:
        self.hits.append((request.method, "/stream"))
        chunks = int(request.query_params.get("chunks", "64"))
        size = int(request.query_params.get("size", "65536"))
        gated = request.query_params.get("gated") == "1"

        async def body() -> AsyncIterator[bytes]:
            try:
                for index in range(chunks):
                    yield bytes([index % 256]) * size
                    if gated and index == 0:
                        await self.gate.wait()
                    await asyncio.sleep(0)
                self.stream_finished.set()
            finally:
                self.stream_closed.set()

        return StreamingResponse(body(), media_type="application/octet-stream")

    async def _hop(self, request: Request) -> Response:
        return Response(
            b"hop",
            headers={
                "Connection": "X-Secret",
                "X-Secret": "internal",
                "Keep-Alive": "timeout=5",
                "Proxy-Authenticate": "Basic",
                "X-Kept": "yes",
            },
        )


@pytest.fixture
async def upstreams() -> AsyncIterator[Callable[..., Any]]:
    """``await upstreams("a", "b")`` starts one upstream server per name."""
    started: list[Upstream] = []

    async def start(*names: str) -> list[Upstream]:
        made = [Upstream(name) for name in names]
        for upstream in made:
            started.append(upstream)
            await upstream.start()
        return made

    yield start
    for upstream in started:
        upstream.gate.set()
        await upstream.stop()


async def _fallback(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    response = JSONResponse({"fallback": scope["path"]}, status_code=404)
    await response(scope, receive, send)


@dataclass
class Gateway:
    data_path: GatewayDataPath
    holder: RouteTableHolder
    metrics: ProxyMetrics
    client: httpx.AsyncClient


def _route(
    name: str = "crm",
    targets: Sequence[str] = (),
    *,
    layer: str = "system",
    timeout: float = 5.0,
    retries: int = 1,
    read_scope: str | None = "crm:read",
    write_scope: str | None = "crm:write",
    public: bool = False,
) -> ApiRoute:
    # A public route takes no scopes, as the registry insists.
    return ApiRoute(
        name=name,
        layer=layer,
        version=1,
        targets=tuple(targets),
        timeout_seconds=timeout,
        retries=retries,
        read_scope=None if public else read_scope,
        write_scope=None if public else write_scope,
        public=public,
    )


@pytest.fixture
def make_route() -> Callable[..., ApiRoute]:
    """``make_route(name="crm", targets=[...], timeout=, retries=, read_scope=, public=, ...)``"""
    return _route


@pytest.fixture(params=["httptools", "aiohttp"])
async def gateway(request: pytest.FixtureRequest) -> AsyncIterator[Callable[..., Gateway]]:
    """``gateway([route, ...], **GatewayDataPath options)`` builds a data path behind the
    request-id middleware and an httpx client calling it in process; every test using it
    runs with each upstream client."""
    made: list[Gateway] = []
    upstream_client = request.param

    def build(routes: Sequence[ApiRoute], **options: Any) -> Gateway:
        holder = RouteTableHolder(RouteTable.of(routes, revision=1))
        metrics = ProxyMetrics(CollectorRegistry())
        options.setdefault("authenticate", TOKENS)
        settings = options.get(
            "settings", ProxySettings(breaker_failures=2, breaker_cooldown_seconds=0.3)
        )
        options["settings"] = settings.model_copy(update={"client": upstream_client})
        data_path = GatewayDataPath(holder, _fallback, metrics=metrics, **options)
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=RequestContextMiddleware(data_path)),
            base_url="http://gateway.test",
            timeout=10,
        )
        made.append(Gateway(data_path, holder, metrics, client))
        return made[-1]

    yield build
    for built in made:
        await built.client.aclose()
        await built.data_path.aclose()


@dataclass
class RawAnswer:
    """What a raw ASGI call sent back, and when each body chunk arrived."""

    status: int
    headers: list[tuple[bytes, bytes]]
    chunks: list[bytes]
    complete: bool

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)

    def header(self, name: bytes) -> bytes | None:
        return next((v for k, v in self.headers if k == name), None)

    def json(self) -> Any:
        return json.loads(self.body)


async def _raw_request(
    app: Any,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: Sequence[bytes] = (),
    on_chunk: Callable[[bytes], Any] | None = None,
    disconnect: asyncio.Event | None = None,
) -> RawAnswer:
    """Calls an ASGI app directly, exactly as a server would (no client adds headers)."""
    raw_path, _, query = path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": unquote(raw_path),
        "raw_path": raw_path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"gateway.test"), *headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    pending = [*body] or [b""]
    answer = RawAnswer(0, [], [], False)

    async def receive() -> dict[str, Any]:
        if pending:
            chunk = pending.pop(0)
            return {"type": "http.request", "body": chunk, "more_body": bool(pending)}
        if disconnect is not None:
            await disconnect.wait()
        else:
            await asyncio.Event().wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunk = message.get("body", b"")
            if chunk:
                answer.chunks.append(chunk)
                if on_chunk is not None:
                    await on_chunk(chunk)
            answer.complete = not message.get("more_body", False)

    await app(scope, receive, send)
    return answer


@pytest.fixture
def raw_request() -> Callable[..., Any]:
    """``await raw_request(app, method, path, headers=[(b"k", b"v")], body=[b"..."])``"""
    return _raw_request
