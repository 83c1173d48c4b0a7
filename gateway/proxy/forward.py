"""Forwarding an admitted request to one of its route's targets, with retries and breakers.

Retries go to another target, for idempotent methods only, only before anything was sent to
the client, and only after a connect error, a timeout or a 502/503/504 answer — at most
``route.retries`` times. Remote responses are streamed to the client chunk by chunk.

Before the first remote attempt the credentials hook says what the upstream receives in
place of the caller's token; in-process targets get the request as the client sent it.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

import structlog
from starlette.types import Message, Receive

from gateway.proxy.client import UpstreamClient, UpstreamError, UpstreamResponse
from gateway.proxy.exchange import Exchange
from gateway.proxy.headers import downstream_headers
from gateway.proxy.hooks import UpstreamCredentials, no_upstream_credentials
from gateway.proxy.inproc import call_inproc
from gateway.proxy.problems import send_problem, send_refusal
from gateway.proxy.upstream import Target
from strata.errors import Problem

log = structlog.get_logger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({502, 503, 504})


@dataclass(slots=True)
class Failure:
    """Why an attempt failed; ``response`` holds an upstream 502, 503 or 504 answer kept unsent in
    case no retry can be made."""

    reason: str
    target: Target
    response: UpstreamResponse | None = None

    def discard(self) -> None:
        if self.response is not None:
            self.response.close()
            self.response = None


class Forwarder:
    def __init__(
        self, client: UpstreamClient, credentials: UpstreamCredentials = no_upstream_credentials
    ) -> None:
        self._client = client
        self._credentials = credentials

    async def forward(self, exchange: Exchange) -> int:
        """Sends the exchange to a target and the answer to the client; returns its status."""
        runtime = exchange.runtime
        pool = runtime.pool
        attempts = 1 + runtime.route.retries if exchange.method in IDEMPOTENT else 1
        tried: list[Target] = []
        failure: Failure | None = None
        try:
            for attempt in range(attempts):
                target = pool.choose(tried)
                if target is None and failure is not None and failure.reason == "disconnected":
                    # A kept-alive connection the upstream closed under us: the target is
                    # fine, a new connection to it is the natural retry.
                    target = pool.choose()
                if target is None:
                    break
                if failure is not None:
                    runtime.metrics.retries.inc()
                    failure.discard()
                    failure = None
                tried.append(target)
                if target.app is not None:
                    return await call_inproc(target, exchange)
                if exchange.credentials is None:
                    try:
                        exchange.credentials = await self._credentials(
                            exchange.identity, runtime.route
                        )
                    except Problem as refusal:
                        return await send_refusal(
                            exchange.send, refusal, exchange.scope["path"], exchange.extra_headers
                        )
                outcome = await self._attempt(target, exchange, last=attempt + 1 == attempts)
                if isinstance(outcome, int):
                    return outcome
                failure = outcome
            return await self._give_up(exchange, failure)
        finally:
            if failure is not None:
                failure.discard()

    async def _attempt(self, target: Target, exchange: Exchange, *, last: bool) -> int | Failure:
        runtime = exchange.runtime
        breaker = target.breaker
        remote = target.remote
        assert remote is not None
        started = time.perf_counter()
        try:
            response = await self._client.send(
                remote,
                exchange.method,
                remote.path(exchange.raw_rest),
                exchange.upstream_headers(),
                exchange.body,
                runtime.timeout,
            )
        except asyncio.CancelledError:
            breaker.abandoned()
            raise
        except UpstreamError as exc:
            breaker.failed()
            runtime.metrics.upstream_error(exc.reason)
            log.warning(
                "upstream attempt failed",
                api=runtime.route.name,
                target=target.url,
                reason=exc.reason,
                error=str(exc),
            )
            return Failure(exc.reason, target)
        runtime.metrics.upstream_latency.observe(time.perf_counter() - started)
        status = response.status
        if status >= 500:
            breaker.failed()
            runtime.metrics.upstream_error("status")
        else:
            breaker.succeeded()
        if status in RETRY_STATUSES and not last:
            return Failure("status", target, response)
        return await self._relay(response, target, exchange)

    async def _relay(self, response: UpstreamResponse, target: Target, exchange: Exchange) -> int:
        send = exchange.send
        status = response.status
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": status,
                    "headers": downstream_headers(response.headers, exchange.extra_headers),
                }
            )
            chunk = await response.read()
            if not chunk or response.at_eof():
                await send({"type": "http.response.body", "body": chunk, "more_body": False})
            else:
                await _stream(response, chunk, exchange)
        except UpstreamError as exc:
            # Too late for an error response: the client gets a cut connection, which it
            # cannot mistake for a complete answer.
            target.breaker.failed()
            exchange.runtime.metrics.upstream_error("stream")
            log.warning(
                "upstream failed in the middle of a response",
                api=exchange.runtime.route.name,
                target=target.url,
                error=str(exc),
            )
            response.close()
        finally:
            response.release()
        return status

    async def _give_up(self, exchange: Exchange, failure: Failure | None) -> int:
        runtime = exchange.runtime
        api = runtime.route.name
        instance = exchange.scope.get("path")
        extra = exchange.extra_headers
        if failure is None:
            retry_after = max(1, math.ceil(runtime.pool.retry_after()))
            return await send_problem(
                exchange.send,
                503,
                "Service unavailable",
                f"The {api} API has no healthy target right now; try again shortly.",
                kind="upstream-unavailable",
                instance=instance,
                headers=[(b"retry-after", str(retry_after).encode()), *extra],
                api=api,
            )
        if failure.response is not None:
            response, failure.response = failure.response, None
            return await self._relay(response, failure.target, exchange)
        if failure.reason == "timeout":
            return await send_problem(
                exchange.send,
                504,
                "Gateway timeout",
                f"The {api} API did not answer within {runtime.route.timeout_seconds:g} s.",
                kind="upstream-timeout",
                instance=instance,
                headers=extra,
                api=api,
            )
        unreadable = failure.reason == "protocol"
        return await send_problem(
            exchange.send,
            502,
            "Bad gateway",
            f"The {api} API sent an answer the gateway could not read."
            if unreadable
            else f"The {api} API could not be reached.",
            kind="bad-upstream-response" if unreadable else "upstream-unreachable",
            instance=instance,
            headers=extra,
            api=api,
        )


async def _stream(response: UpstreamResponse, first: bytes, exchange: Exchange) -> None:
    """Sends a body that did not arrive in one piece, chunk by chunk as it comes; stops
    reading from the upstream as soon as the client leaves."""
    send = exchange.send
    watcher = asyncio.create_task(_close_on_disconnect(exchange.receive, response))
    try:
        await send({"type": "http.response.body", "body": first, "more_body": True})
        while True:
            chunk = await response.read()
            if not chunk:
                break
            done = response.at_eof()
            await send({"type": "http.response.body", "body": chunk, "more_body": not done})
            if done:
                return
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    except UpstreamError:
        if watcher.done() and not watcher.cancelled() and watcher.result():
            return  # the client left and the upstream connection was closed for it
        raise
    finally:
        watcher.cancel()


async def _close_on_disconnect(receive: Receive, response: UpstreamResponse) -> bool:
    while True:
        message: Message = await receive()
        if message["type"] == "http.disconnect":
            response.close()
            return True
