"""The gateway's data path: one pure-ASGI app in front of every API.

A request to ``/{layer}/{api}/v{n}/...`` is matched against the current route table, its
bearer token checked (issued for this API: its audience), the route's scope checked, rate
limited, and forwarded to one of the route's targets; anything else goes to the fallback app
(the gateway's own FastAPI app).
Nothing on this path routes with regexes or builds framework objects: a dict lookup finds the
route and everything about it was computed when the route table changed.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.proxy.breaker import Clock
from gateway.proxy.client import build_client
from gateway.proxy.config import ProxySettings
from gateway.proxy.cors import is_preflight
from gateway.proxy.edges import edge_refusal, routing_path, without_separating_escapes
from gateway.proxy.exchange import Exchange
from gateway.proxy.forward import Forwarder
from gateway.proxy.headers import header
from gateway.proxy.hooks import (
    Authenticate,
    Identity,
    Limit,
    LimitDecision,
    RawHeaders,
    RefusedAuthentication,
    UpstreamCredentials,
    invalid_token,
    no_limit,
    no_refusal_count,
    no_upstream_credentials,
)
from gateway.proxy.metrics import ProxyMetrics
from gateway.proxy.problems import send_problem, send_refusal
from gateway.proxy.upstream import RouteRuntime, TargetSet
from gateway.routes import RouteTable, RouteTableHolder
from strata.errors import Problem

log = structlog.get_logger(__name__)

CLIENT_CLOSED_REQUEST = 499  # nginx's status for a client that left before the answer
_YOUNG_GENERATION_THRESHOLD = 10_000


class GatewayDataPath:
    """The root ASGI app of a gateway process.

    ``inproc_apps`` maps ``inproc://<layer>/<name>`` targets to the ASGI apps serving them
    here. ``start()``/``aclose()`` open and close the upstream connection pool; when lifespan
    events reach this app it calls them itself and passes the events on to ``fallback``.
    """

    def __init__(
        self,
        routes: RouteTableHolder,
        fallback: ASGIApp,
        *,
        authenticate: Authenticate,
        metrics: ProxyMetrics,
        limit: Limit = no_limit,
        upstream_credentials: UpstreamCredentials = no_upstream_credentials,
        refused: RefusedAuthentication = no_refusal_count,
        inproc_apps: Mapping[str, ASGIApp] | None = None,
        settings: ProxySettings | None = None,
        clock: Clock = time.monotonic,
    ) -> None:
        settings = settings or ProxySettings()
        self._routes = routes
        self._fallback = fallback
        self._authenticate = authenticate
        self._limit = limit
        self._refused = refused
        self._max_body = settings.max_body_bytes
        self._base_url = settings.base_url
        self.client = build_client(settings)
        self._forwarder = Forwarder(self.client, upstream_credentials)
        self._metrics = metrics
        self._targets = TargetSet(settings, dict(inproc_apps or {}), metrics, clock)
        self._table: RouteTable | None = None
        self._runtimes: dict[int, RouteRuntime] = {}

    async def start(self) -> None:
        await self.client.start()

    async def aclose(self) -> None:
        await self.client.aclose()

    def runtime(self, name: str) -> RouteRuntime | None:
        """The current state of one API's route (its targets and their breakers)."""
        self._adopt(self._routes.current)
        return next((rt for rt in self._runtimes.values() if rt.route.name == name), None)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self._fallback(scope, self._lifespan_receive(receive), _freezing(send))
            else:
                await self._fallback(scope, receive, send)
            return
        # Before routing, so the gateway's own endpoints are covered as well.
        edge = edge_refusal(scope)
        if edge is not None:
            await send_refusal(send, edge, scope["path"])
            return
        table = self._routes.current
        if table is not self._table:
            self._adopt(table)
        matched = table.match(routing_path(scope))
        if matched is None:
            await self._fallback(without_separating_escapes(scope), receive, send)
            return
        route, rest = matched
        runtime = self._runtimes[id(route)]
        started = time.perf_counter()
        origin = header(scope["headers"], b"origin")
        if origin is not None:
            if is_preflight(scope["method"], scope["headers"]):
                # Before authentication: a browser never sends a token on a preflight.
                status = await runtime.cors.answer_preflight(origin, scope["path"], send)
                runtime.metrics.observe(status, time.perf_counter() - started)
                return
            send = runtime.cors.sending(origin, send)
        try:
            status = await self._serve(runtime, rest, scope, receive, send)
        except Exception:
            log.exception("the gateway failed to proxy a request", api=route.name)
            status = await _internal_error(scope, send)
        runtime.metrics.observe(status, time.perf_counter() - started)

    async def _serve(
        self, runtime: RouteRuntime, rest: str, scope: Scope, receive: Receive, send: Send
    ) -> int:
        if "/." in rest and _has_dot_segment(rest):
            return await send_problem(
                send,
                400,
                "Invalid path",
                "The path may not contain '.' or '..' segments.",
                kind="invalid-path",
                instance=scope["path"],
            )
        method: str = scope["method"]
        headers: RawHeaders = scope["headers"]
        client = scope.get("client")
        client_ip: str = client[0] if client else "unknown"

        # Fail closed: only a public route lets anonymous callers in, and on any other a
        # method without a scope of its own is granted by no token at all.
        required = None if runtime.public else runtime.route.scope_for(method)
        if required is None and not runtime.public:
            return await _not_granted(send, method, scope["path"])
        identity: Identity | None = None
        if required is not None or _has_authorization(headers):
            try:
                identity = await self._authenticate(headers)
            except Problem as refusal:
                return await self._send_refusal(send, refusal, client_ip, scope["path"])
            if runtime.audience not in identity.audience:
                return await self._send_refusal(send, _wrong_audience(), client_ip, scope["path"])
            if required is not None and required not in identity.scopes:
                return await _insufficient_scope(send, required, scope["path"])

        decision = await self._limit(
            identity if identity is not None else client_ip, runtime.route, method
        )
        if not decision.allowed:
            runtime.metrics.rate_limited.inc()
            return await _refuse(decision, scope, receive, send)

        exchange = Exchange(scope, receive, send, runtime, method, rest, client_ip)
        exchange.extra_headers = decision.headers
        exchange.identity = identity
        length, chunked = _body_framing(headers)
        if length or chunked:
            if length > self._max_body:
                return await self._too_large(exchange)
            try:
                body = await _read_body(receive, self._max_body)
            except _ClientGone:
                return CLIENT_CLOSED_REQUEST
            if body is None:
                return await self._too_large(exchange)
            exchange.body = body
        return await self._forwarder.forward(exchange)

    async def _send_refusal(self, send: Send, refusal: Problem, address: str, path: str) -> int:
        """A refused credential counts against its address; past that address's limit the
        answer is a 429, so a flood of bad tokens is slowed like any other flood."""
        if refusal.status == 401:
            wait = await self._refused(address)
            if wait is not None:
                return await send_problem(
                    send,
                    429,
                    "Too many refused requests",
                    "Too many requests from this address were refused for their credentials; "
                    f"try again in {wait} s.",
                    kind="too-many-refusals",
                    instance=path,
                    headers=[(b"retry-after", str(wait).encode())],
                )
        return await send_refusal(send, refusal, path)

    async def _too_large(self, exchange: Exchange) -> int:
        return await send_problem(
            exchange.send,
            413,
            "Request body too large",
            f"The request body is larger than the limit of {self._max_body} bytes.",
            kind="body-too-large",
            instance=exchange.scope["path"],
            headers=[(b"connection", b"close"), *exchange.extra_headers],
            limit_bytes=self._max_body,
        )

    def _adopt(self, table: RouteTable) -> None:
        """Precomputes the per-route state of a new route table; targets (and their breaker
        states) that the new table keeps are carried over."""
        if table is self._table:
            return
        runtimes = {
            id(route): RouteRuntime.build(route, self._targets, self._metrics, self._base_url)
            for route in table.routes
        }
        self._targets.retain({url for route in table.routes for url in route.targets})
        self._table, self._runtimes = table, runtimes

    def _lifespan_receive(self, receive: Receive) -> Receive:
        async def lifespan_receive() -> Message:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await self.start()
            elif message["type"] == "lifespan.shutdown":
                await self.aclose()
            return message

        return lifespan_receive


def _freezing(send: Send) -> Send:
    """``send`` for lifespan messages; once startup is complete, the heap is settled."""

    async def lifespan_send(message: Message) -> None:
        if message["type"] == "lifespan.startup.complete":
            _settle_heap()
        await send(message)

    return lifespan_send


def _settle_heap() -> None:
    """Tunes the cyclic garbage collector for serving, once startup is over.

    Everything built while starting (modules, apps, keys, route tables) lives as long as the
    process: frozen, it is no longer walked by every full collection. And a request's objects
    are short-lived and freed by reference counting; a young-generation collection every 700
    net allocations mostly walks the objects of the requests in flight, again and again, so
    collections run less often (under load both together cost several microseconds a request).
    """
    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    if young:  # 0 means the collector was switched off on purpose; leave it so
        gc.set_threshold(max(young, _YOUNG_GENERATION_THRESHOLD), middle, old)


class _ClientGone(Exception):
    """The client disconnected while sending its request body."""


def _has_dot_segment(path: str) -> bool:
    return any(segment in (".", "..") for segment in path.split("/"))


def _has_authorization(headers: RawHeaders) -> bool:
    return header(headers, b"authorization") is not None


def _body_framing(headers: RawHeaders) -> tuple[int, bool]:
    """The declared body length (0 when none) and whether the body is chunked."""
    length = 0
    chunked = False
    for name, value in headers:
        if name == b"content-length":
            length = int(value) if value.isdigit() else 0
        elif name == b"transfer-encoding":
            chunked = True
    return length, chunked


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or ``None`` past ``limit`` bytes. Buffered (bounded by the
    limit) so that a retry can send it again."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            raise _ClientGone
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _wrong_audience() -> Problem:
    # A token issued for other APIs is refused even where its scopes would do: it may have
    # been replayed by one of them, or by an upstream that received it.
    return invalid_token("the access token is meant for another audience")


async def _insufficient_scope(send: Send, required: str, path: str) -> int:
    return await send_problem(
        send,
        403,
        "Insufficient scope",
        f"This request needs a token with the scope {required!r}.",
        kind="insufficient-scope",
        instance=path,
        headers=[
            (
                b"www-authenticate",
                f'Bearer error="insufficient_scope", scope="{required}"'.encode("latin-1"),
            )
        ],
        required_scope=required,
    )


async def _not_granted(send: Send, method: str, path: str) -> int:
    return await send_problem(
        send,
        403,
        "Not granted",
        f"No scope grants {method} on this API: it is registered without a scope for it.",
        kind="not-granted",
        instance=path,
        method=method,
    )


async def _refuse(decision: LimitDecision, scope: Scope, receive: Receive, send: Send) -> int:
    refusal = decision.refusal
    if refusal is None:
        return await send_problem(
            send,
            429,
            "Too many requests",
            "The rate limit for this API was reached; try again later.",
            kind="rate-limited",
            instance=scope["path"],
            headers=decision.headers,
        )
    status = 429

    async def noting_status(message: Message) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        await send(message)

    await refusal(scope, receive, noting_status)
    return status


async def _internal_error(scope: Scope, send: Send) -> int:
    try:
        return await send_problem(
            send,
            500,
            "Internal error",
            "The gateway failed to handle this request; it has been logged.",
            kind="internal",
            instance=scope.get("path"),
        )
    except RuntimeError:  # the response had already started: the server cuts it
        return 500
