"""Many calls below at once, but never more than a bound in flight: a catalog page asks the
availability API once per product, and a page of 50 must not become 50 calls at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from experience_apis.common.clients import DownstreamError

T = TypeVar("T")


async def gather_bounded(
    calls: Sequence[Callable[[], Awaitable[T]]], limit: int
) -> list[T | DownstreamError]:
    """Each call's answer, or its :class:`DownstreamError`, in order; at most ``limit`` run
    at a time. Every call runs to its end, so none is left behind when another fails."""
    gate = asyncio.Semaphore(limit)

    async def run(call: Callable[[], Awaitable[T]]) -> T | DownstreamError:
        async with gate:
            try:
                return await call()
            except DownstreamError as error:
                return error

    return list(await asyncio.gather(*(run(call) for call in calls)))
