"""What the `strata call` tests stand on: an assembled Strata served on an event loop of its
own thread, a synchronous transport into it that records what it carries, and the commands'
code run with their own config and cache directories."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import stat
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from strata.app import Strata, create_strata
from strata.call import CallRequest, Streams, call, login
from strata.credentials import ClientCredentials, Connection, TokenCache, token_cache_path
from strata.http import in_process
from strata.settings import load_settings

T = TypeVar("T")
GATEWAY = "https://gateway.test"
AfterResponse = Callable[[httpx.Request, httpx.Response], None]


class LoopTransport(httpx.BaseTransport):
    """A synchronous transport into an ASGI app served on another thread's event loop; it
    records every request it carries."""

    def __init__(self, app: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = in_process(app)
        self._loop = loop
        self.requests: list[httpx.Request] = []
        self.after: AfterResponse | None = None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        self.requests.append(request)

        async def forward() -> httpx.Response:
            answer = await self._inner.handle_async_request(
                httpx.Request(request.method, request.url, headers=request.headers, content=body)
            )
            return httpx.Response(
                answer.status_code, headers=answer.headers, content=await answer.aread()
            )

        response = asyncio.run_coroutine_threadsafe(forward(), self._loop).result(timeout=60)
        if self.after is not None:
            self.after(request, response)
        return response

    def paths(self, path: str) -> int:
        return sum(1 for request in self.requests if request.url.path == path)


@dataclass
class Assembled:
    strata: Strata
    loop: asyncio.AbstractEventLoop
    transports: list[LoopTransport] = field(default_factory=list)

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=120)

    def transport(self) -> LoopTransport:
        return LoopTransport(self.strata.asgi, self.loop)

    def client(self, scopes: str) -> ClientCredentials:
        made, secret = self.run(self.strata.gateway.oauth.create_client("cli-test", scopes))
        assert secret is not None
        return ClientCredentials(made.id, secret)

    def revoke(self, client: ClientCredentials, token: str) -> None:
        with httpx.Client(transport=self.transport(), base_url=GATEWAY) as http:
            answer = http.post(
                "/oauth/revoke",
                data={"token": token},
                auth=(client.client_id, client.client_secret),
            )
        assert answer.status_code == 200, answer.text


@contextmanager
def assembled_strata(directory: Path) -> Iterator[Assembled]:
    """Every layer behind the gateway, with the demo data, on a loop in its own thread."""
    settings = load_settings(
        database_url=f"sqlite+aiosqlite:///{directory / 'strata.db'}",
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": GATEWAY,
            "secret_key": "strata-call-tests-key-long-enough-x-x-x-x-x-",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    strata = create_strata(settings)
    running = Assembled(strata, loop)
    try:
        running.run(strata.start())
        yield running
    finally:
        running.run(strata.stop())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


@dataclass
class Outcome:
    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Cli:
    """`strata call` and `strata login` with their own config and cache directories."""

    home: Path
    transport: LoopTransport | None
    clock: Clock = field(default_factory=Clock)
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.env = {
            "STRATA_CONFIG_DIR": str(self.home / "config"),
            "STRATA_CACHE_DIR": str(self.home / "cache"),
            "STRATA_GATEWAY_URL": GATEWAY,
            **self.env,
        }

    @property
    def cache_file(self) -> Path:
        return token_cache_path(self.env)

    def cache(self) -> TokenCache:
        return TokenCache(self.cache_file, self.clock)

    def cached(self) -> dict[str, Any]:
        stored: dict[str, Any] = json.loads(self.cache_file.read_text())
        return stored

    def call(
        self,
        method: str,
        path: str,
        *,
        connection: Connection | None = None,
        stdin: str = "",
        **options: Any,
    ) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        streams = Streams(io.StringIO(stdin), out, err)
        status = call(
            CallRequest(method, path, **options),
            connection or Connection(),
            env=self.env,
            streams=streams,
            cache_factory=self.cache,
            transport=self.transport,
        )
        return Outcome(status, out.getvalue(), err.getvalue())

    def login(self, client: ClientCredentials, gateway: str | None = None) -> Outcome:
        out, err = io.StringIO(), io.StringIO()
        streams = Streams(io.StringIO(), out, err)
        status = login(
            client,
            gateway,
            env=self.env,
            streams=streams,
            cache_factory=self.cache,
            transport=self.transport,
        )
        return Outcome(status, out.getvalue(), err.getvalue())

    def as_client(self, client: ClientCredentials) -> Connection:
        return Connection(client_id=client.client_id, client_secret=client.client_secret)


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return decoded


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)
