"""The data path as an app: metrics, lifespan, and requests it does not handle."""

from __future__ import annotations

from typing import Any

import httpx
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families

from gateway.proxy import GatewayDataPath, ProxyMetrics, StaticTokens, Verdict
from gateway.routes import ApiRoute, RouteTable, RouteTableHolder


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_are_rendered_with_bounded_labels(upstreams, gateway, make_route, tokens):
    a, b = await upstreams("a", "b")

    async def refuse_posts(caller: Any, route: ApiRoute, method: str) -> Verdict:
        return Verdict(method != "POST")

    gw = gateway([make_route(targets=[a.url, b.url])], limit=refuse_posts)
    await b.stop()
    for n in range(4):
        await gw.client.get(f"/system/crm/v1/customers/{n}", headers=tokens.read)
    await gw.client.get("/system/crm/v1/customers/9")
    await gw.client.post("/system/crm/v1/customers", json={}, headers=tokens.write)

    body, content_type = gw.metrics.render()
    found = samples(body.decode())

    api = (("api", "crm"), ("prefix", "/system/crm/v1"))
    assert content_type.startswith("text/plain")
    assert found[("strata_gateway_requests_total", (*api, ("status", "200")))] == 4
    assert found[("strata_gateway_requests_total", (*api, ("status", "401")))] == 1
    assert found[("strata_gateway_requests_total", (*api, ("status", "429")))] == 1
    assert found[("strata_gateway_request_duration_seconds_count", (*api, ("status", "200")))] == 4
    assert found[("strata_gateway_rate_limited_total", api)] == 1
    assert found[("strata_gateway_upstream_duration_seconds_count", (("api", "crm"),))] == 4
    assert (
        found[("strata_gateway_upstream_errors_total", (("api", "crm"), ("reason", "connect")))]
        >= 1
    )
    assert found[("strata_gateway_retries_total", (("api", "crm"),))] >= 1
    assert found[("strata_gateway_breaker_state", (("target", a.url),))] == 0
    assert found[("strata_gateway_breaker_state", (("target", b.url),))] == 2
    assert "/customers/1" not in body.decode()


async def test_metrics_are_served_by_an_asgi_app(gateway, make_route):
    gw = gateway([make_route(targets=["http://127.0.0.1:9"])])

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=gw.metrics.asgi_app()), base_url="http://m"
    ) as client:
        answer = await client.get("/")

    assert answer.status_code == 200
    assert "strata_gateway_breaker_state" in answer.text


async def test_lifespan_events_open_and_close_the_upstream_pool(gateway, make_route):
    gw = gateway([make_route(targets=["http://127.0.0.1:9"])])
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[str] = []
    open_at_shutdown: list[bool] = []

    async def receive() -> dict[str, str]:
        message = messages.pop(0)
        if message["type"] == "lifespan.shutdown":
            open_at_shutdown.append(gw.data_path.client.is_open)
        return message

    async def send(message: dict[str, str]) -> None:
        sent.append(message["type"])

    await gw.data_path({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)

    assert sent == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert open_at_shutdown == [True]
    assert not gw.data_path.client.is_open


async def test_websockets_go_to_the_fallback(make_route):
    seen: list[str] = []

    async def fallback(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    data_path = GatewayDataPath(
        RouteTableHolder(RouteTable.of([make_route(targets=["http://127.0.0.1:9"])])),
        fallback,
        authenticate=StaticTokens(),
        metrics=ProxyMetrics(CollectorRegistry()),
    )

    async def receive() -> dict[str, str]:
        return {"type": "websocket.connect"}

    async def send(message: Any) -> None:
        return None

    await data_path({"type": "websocket", "path": "/system/crm/v1/ws"}, receive, send)

    assert seen == ["websocket"]


def test_latency_buckets_are_cumulative_and_inclusive():
    metrics = ProxyMetrics(CollectorRegistry())
    series = metrics.request_series("crm", "/system/crm/v1", 200)
    for seconds in (0.0005, 0.0007, 0.3, 31.0):
        series.observe(seconds)

    found = samples(metrics.render()[0].decode())

    labels = (("api", "crm"), ("prefix", "/system/crm/v1"), ("status", "200"))

    def bucket(le: str) -> float:
        key = tuple(sorted((*labels, ("le", le))))
        return found[("strata_gateway_request_duration_seconds_bucket", key)]

    assert [bucket(le) for le in ("0.0005", "0.001", "0.5", "30.0", "+Inf")] == [1, 2, 3, 3, 4]
    assert found[("strata_gateway_request_duration_seconds_sum", labels)] == 31.3012
    assert found[("strata_gateway_requests_total", labels)] == 4
