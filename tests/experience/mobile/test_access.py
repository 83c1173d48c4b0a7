"""Only a signed-in customer gets anything from the mobile API: no token is 401, a partner's
client-credentials token is 403, a read-only token cannot place or pay."""

from __future__ import annotations

from experience.mobile.helpers import PROBLEM_JSON
from experience.support import ExperienceStack, bearer

READS = ["/me", "/me/orders", "/me/orders/ord_x", "/me/invoices", "/products", "/products/X-1"]
WRITES = ["/me/orders", "/me/orders/ord_x/payments"]
ORDER = {"location_id": "71043000001", "items": [{"sku": "FUR-001-GRA", "qty": 1}]}


async def test_no_token_is_401_everywhere(stack: ExperienceStack) -> None:
    api = stack.api("mobile")
    answers = [await api.get(path) for path in READS]
    answers += [
        await api.post(path, json=ORDER, headers={"Idempotency-Key": "k"}) for path in WRITES
    ]

    for answer in answers:
        assert answer.status_code == 401, answer.request.url
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.headers["www-authenticate"].startswith("Bearer")
        assert "etag" not in answer.headers


async def test_a_client_credentials_token_is_403_everywhere(stack: ExperienceStack) -> None:
    api = stack.api("mobile")
    partner = bearer(await stack.client_token())
    answers = [await api.get(path, headers=partner) for path in READS]
    answers += [
        await api.post(path, json=ORDER, headers={**partner, "Idempotency-Key": "k"})
        for path in WRITES
    ]

    for answer in answers:
        assert answer.status_code == 403, answer.request.url
        assert answer.headers["content-type"] == PROBLEM_JSON
        assert answer.json()["type"].endswith("/not-a-customer")


async def test_a_read_only_token_reads_but_cannot_order_or_pay(stack: ExperienceStack) -> None:
    api = stack.api("mobile")
    read_only = bearer(await stack.user_token("dana", scopes=("me:read",)))

    me = await api.get("/me", headers=read_only)
    writes = [
        await api.post(path, json=ORDER, headers={**read_only, "Idempotency-Key": "k"})
        for path in WRITES
    ]
    orders = await api.get("/me/orders", headers=read_only)

    assert me.status_code == 200
    for answer in writes:
        assert answer.status_code == 403
        assert 'scope="me:write"' in answer.headers["www-authenticate"]
    assert orders.json()["items"] == []  # nothing was placed
