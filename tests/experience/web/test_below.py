"""The web API over APIs below that misbehave: transports in front of the real ones fail some
calls, answer junk, or count how many calls are in flight."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from experience.support import WEB, ExperienceStack
from experience.web.shop import assert_problem, cart, check_out, placed_order, signed_in
from experience_apis.common.clients import BELOW, ExperienceClients
from experience_apis.web.app import create_api
from strata.http import in_process, layer_client

Rule = Callable[[httpx.Request], httpx.Response | None]


class Interposed(httpx.AsyncBaseTransport):
    """Answers a request itself when ``rule`` says so; otherwise the real API does, and the
    most requests in flight at once is counted."""

    def __init__(self, inner: httpx.AsyncBaseTransport, rule: Rule, delay: float = 0) -> None:
        self.inner = inner
        self.rule = rule
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        answer = self.rule(request)
        if answer is not None:
            return answer
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return await self.inner.handle_async_request(request)
        finally:
            self.in_flight -= 1


def passes(_: httpx.Request) -> httpx.Response | None:
    return None


@asynccontextmanager
async def web_over(
    stack: ExperienceStack, name: str, transport: Interposed
) -> AsyncIterator[httpx.AsyncClient]:
    """A web API whose calls to the API ``name`` below go through ``transport``."""
    transports: dict[str, httpx.AsyncBaseTransport | None] = {
        below: in_process(stack.layers.apis[key]) for below, key in BELOW.items()
    }
    transports[name] = transport
    clients = ExperienceClients.connect(
        {below: f"http://{below}.{layer}" for below, (layer, _) in BELOW.items()}, transports
    )
    app = create_api(clients, stack.oauth.verifier.for_audience(WEB))
    try:
        async with layer_client("http://web.experience", in_process(app)) as web:
            yield web
    finally:
        await clients.aclose()


def orders_transport(stack: ExperienceStack, rule: Rule) -> Interposed:
    return Interposed(in_process(stack.layers.apis[("process", "orders")]), rule)


def trace_down(request: httpx.Request) -> httpx.Response | None:
    if request.url.path.endswith("/trace"):
        return httpx.Response(503, json={"title": "Unavailable", "status": 503})
    return None


async def test_an_order_without_its_trace_is_still_the_answer(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with web_over(stack, "orders", orders_transport(stack, trace_down)) as web:
        placed = await check_out(web, dana, cart(("FUR-001-GRA", 1)))
        order_id = placed.json()["id"]
        shown = await web.get(f"/orders/{order_id}", headers=dana)
        paid = await web.post(f"/orders/{order_id}/payments", json={}, headers=dana)

    assert placed.status_code == 201, placed.text
    assert shown.status_code == paid.status_code == 200
    for answer, status in ((placed, "confirmed"), (shown, "confirmed"), (paid, "paid")):
        assert answer.json()["status"] == status
        assert answer.json()["trace"] == []
        assert answer.json()["degraded"] == ["trace"]


async def test_junk_from_below_is_502_never_500(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    async with stack.api("web") as healthy:
        order_id = await placed_order(healthy, dana, "FUR-001-GRA", 1)

    def junk(request: httpx.Request) -> httpx.Response | None:
        return httpx.Response(200, content=b"<html>oops</html>")

    async with web_over(stack, "orders", orders_transport(stack, junk)) as web:
        answers = [
            await web.get("/orders", headers=dana),
            await web.get(f"/orders/{order_id}", headers=dana),
            await check_out(web, dana, cart(("FUR-001-GRA", 1))),
        ]
        board = await web.get("/dashboard", headers=dana)

    for answer in answers:
        problem = assert_problem(answer, 502, "upstream-error")
        assert problem["system"] == "orders"
    assert board.status_code == 200
    assert board.json()["degraded"] == ["recent_orders"]


async def test_unreachable_below_is_503(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")

    def unreachable(request: httpx.Request) -> httpx.Response | None:
        raise httpx.ConnectError("connection refused", request=request)

    transport = Interposed(in_process(stack.layers.apis[("system", "inventory")]), unreachable)
    async with web_over(stack, "inventory", transport) as web:
        answer = await web.get("/products", headers=dana)

    assert assert_problem(answer, 503, "upstream-unavailable")["system"] == "inventory"


async def test_stock_is_read_concurrently_within_a_bound(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    paths: list[str] = []

    def counted(request: httpx.Request) -> httpx.Response | None:
        paths.append(request.url.path)
        return None

    inventory = Interposed(
        in_process(stack.layers.apis[("system", "inventory")]), counted, delay=0.02
    )
    async with web_over(stack, "inventory", inventory) as web:
        answer = await web.get("/products", params={"limit": 30}, headers=dana)

    assert answer.status_code == 200, answer.text
    assert len(answer.json()["items"]) == 30
    # One call per SKU, at most 8 at once, beside the page and the locations read once.
    assert paths.count("/stock") == 30 and paths.count("/locations") == 1
    assert 2 < inventory.most_in_flight <= 9
