"""Headers across the proxy: hop-by-hop dropped both ways, forwarding and tracing set."""

from __future__ import annotations

from gateway.proxy.headers import downstream_headers, upstream_headers


async def test_hop_by_hop_request_headers_are_dropped_and_forwarding_ones_set(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        "/system/crm/v1/customers",
        headers={
            **tokens.read,
            "Connection": "keep-alive, X-Private",
            "X-Private": "secret",
            "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic Zm9vOmJhcg==",
            "TE": "trailers",
            "Upgrade": "websocket",
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Host": "spoofed.example",
            "X-Custom": "kept",
            "traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        },
    )

    assert answer.status_code == 200
    seen = dict(answer.json()["headers"])
    for dropped in ("x-private", "keep-alive", "proxy-authorization", "te", "upgrade"):
        assert dropped not in seen
    assert seen.get("connection", "keep-alive") == "keep-alive"  # the client's own hop
    assert seen["x-custom"] == "kept"
    assert "authorization" not in seen  # the caller's token stays at the gateway
    assert seen["x-forwarded-for"] == "203.0.113.9, 127.0.0.1"
    assert seen["x-forwarded-proto"] == "http"
    assert seen["x-forwarded-host"] == "gateway.test"
    assert seen["x-forwarded-prefix"] == "/system/crm/v1"
    assert seen["host"] == f"127.0.0.1:{a.port}"
    assert seen["x-request-id"] == answer.headers["x-request-id"]
    trace = seen["traceparent"].split("-")
    assert trace[1] == "0af7651916cd43dd8448eb211c80319c"
    assert trace[2] != "b7ad6b7169203331"  # the gateway's own span
    assert seen["user-agent"] == answer.request.headers["user-agent"]


async def test_the_proxy_adds_no_headers_of_its_own(upstreams, gateway, make_route, raw_request):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url], public=True)])

    answer = await raw_request(gw.data_path, "GET", "/system/crm/v1/x", headers=[])

    seen = dict(answer.json()["headers"])
    for added in ("user-agent", "accept", "accept-encoding", "content-type", "cookie"):
        assert added not in seen


async def test_the_request_id_sent_by_the_client_reaches_the_upstream(
    upstreams, gateway, make_route, tokens
):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get(
        "/system/crm/v1/x", headers={**tokens.read, "X-Request-ID": "req-42"}
    )

    assert dict(answer.json()["headers"])["x-request-id"] == "req-42"
    assert answer.headers["x-request-id"] == "req-42"


async def test_hop_by_hop_response_headers_are_dropped(upstreams, gateway, make_route, tokens):
    (a,) = await upstreams("a")
    gw = gateway([make_route(targets=[a.url])])

    answer = await gw.client.get("/system/crm/v1/hop", headers=tokens.read)

    assert answer.status_code == 200
    assert answer.content == b"hop"
    assert answer.headers["x-kept"] == "yes"
    for dropped in ("x-secret", "keep-alive", "proxy-authenticate", "connection", "server"):
        assert dropped not in answer.headers


def test_upstream_headers_in_isolation():
    headers = upstream_headers(
        [
            (b"host", b"api.example"),
            (b"connection", b"x-a, X-B"),
            (b"x-a", b"1"),
            (b"x-b", b"2"),
            (b"proxy-connection", b"keep-alive"),
            (b"content-length", b"5"),
            (b"transfer-encoding", b"chunked"),
            (b"x-forwarded-for", b"198.51.100.1"),
            (b"x-forwarded-for", b"198.51.100.2"),
            (b"x-request-id", b"forged"),
            (b"authorization", b"Bearer the-callers-token"),
            (b"strata-identity", b"forged.identity.jwt"),
            (b"cookie", b"theme=dark; strata_oauth_browser=abc; lang=en"),
            (b"x-api-key", b"the-clients-guess"),
            (b"accept", b"application/json"),
        ],
        client_ip="192.0.2.7",
        scheme="https",
        prefix="/system/crm/v1",
        request_id="rid",
        traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01",
        credentials=[(b"x-api-key", b"the-upstreams-key")],
    )

    assert headers == [
        (b"cookie", b"theme=dark; lang=en"),
        (b"accept", b"application/json"),
        (b"x-api-key", b"the-upstreams-key"),
        (b"x-forwarded-for", b"198.51.100.1, 198.51.100.2, 192.0.2.7"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"api.example"),
        (b"x-forwarded-prefix", b"/system/crm/v1"),
        (b"x-request-id", b"rid"),
        (b"traceparent", b"00-" + b"1" * 32 + b"-" + b"2" * 16 + b"-01"),
    ]


def test_downstream_headers_in_isolation():
    headers = downstream_headers(
        (
            (b"Content-Type", b"text/plain"),
            (b"Transfer-Encoding", b"chunked"),
            (b"Connection", b"X-Hop"),
            (b"X-Hop", b"1"),
            (b"Date", b"Mon, 01 Jan 2024 00:00:00 GMT"),
            (b"Set-Cookie", b"a=1"),
            (b"Set-Cookie", b"b=2"),
        ),
        [(b"ratelimit-remaining", b"9")],
    )

    assert headers == [
        (b"content-type", b"text/plain"),
        (b"set-cookie", b"a=1"),
        (b"set-cookie", b"b=2"),
        (b"ratelimit-remaining", b"9"),
    ]
