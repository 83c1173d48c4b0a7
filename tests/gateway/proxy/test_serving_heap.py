"""Once startup completes, the collector is tuned for serving: the startup heap is frozen and
young collections run less often. Restored afterwards, since the test process is shared."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


async def test_startup_completion_freezes_the_heap(gateway, make_route, collector_restored):
    gw = gateway([make_route(targets=["http://127.0.0.1:9"])])
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    seen_at_complete: list[tuple[int, int]] = []

    async def receive() -> dict[str, str]:
        return messages.pop(0)

    async def send(message: dict[str, str]) -> None:
        if message["type"] == "lifespan.startup.complete":
            seen_at_complete.append((gc.get_freeze_count(), gc.get_threshold()[0]))

    await gw.data_path({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)

    [(frozen, young_threshold)] = seen_at_complete
    assert frozen > 0
    assert young_threshold >= 10_000
    assert gc.get_threshold()[1:] == (10, 10)


async def test_a_switched_off_collector_stays_off(gateway, make_route, collector_restored):
    gw = gateway([make_route(targets=["http://127.0.0.1:9"])])
    gc.set_threshold(0)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict[str, str]:
        return messages.pop(0)

    async def send(message: dict[str, str]) -> None:
        pass

    await gw.data_path({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)

    assert gc.get_threshold()[0] == 0
