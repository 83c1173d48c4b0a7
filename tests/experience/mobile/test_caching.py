"""ETag and If-None-Match end to end: an unchanged answer is 304, a changed one a new tag."""

from __future__ import annotations

import hashlib

import httpx

from experience.mobile.helpers import Phone, place, signed_in
from experience.support import ExperienceStack

READS = ["/me", "/me/orders", "/me/invoices", "/products?limit=3", "/products/FUR-001-SIL"]


async def revalidate(phone: Phone, path: str, tag: str) -> httpx.Response:
    return await phone.api.get(path, headers={**phone.headers, "If-None-Match": tag})


async def test_an_unchanged_answer_is_304_without_a_body(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")

    for path in READS:
        first = await dana.api.get(path, headers=dana.headers)
        tag = first.headers["etag"]
        again = await revalidate(dana, path, tag)
        listed = await revalidate(dana, path, f'"stale", W/{tag}')

        assert first.status_code == 200, path
        assert tag == '"' + hashlib.sha256(first.content).hexdigest()[:32] + '"'
        assert first.headers["cache-control"] == "private, no-cache"
        assert first.headers["vary"] == "Authorization"
        for not_modified in (again, listed):
            assert not_modified.status_code == 304, path
            assert not_modified.content == b""
            assert not_modified.headers["etag"] == tag
            assert not_modified.headers["vary"] == "Authorization"


async def test_a_new_order_changes_the_tag(stack: ExperienceStack) -> None:
    dana = await signed_in(stack, "dana")
    before = {path: (await dana.api.get(path, headers=dana.headers)) for path in READS}

    order = await place(dana, "etag-1", "FUR-001-SIL", 2)
    after = {
        path: await revalidate(dana, path, answer.headers["etag"])
        for path, answer in before.items()
    }

    for path in READS:
        assert after[path].status_code == 200, path
        assert after[path].headers["etag"] != before[path].headers["etag"]
    assert after["/me/orders"].json()["items"][0]["id"] == order["id"]
    assert after["/me"].json()["open_invoices"] == before["/me"].json()["open_invoices"] + 1
    was = before["/products/FUR-001-SIL"].json()["available"]
    assert after["/products/FUR-001-SIL"].json()["available"] == was - 2


async def test_tags_are_per_answer_not_per_path(stack: ExperienceStack) -> None:
    dana, eli = await signed_in(stack, "dana"), await signed_in(stack, "eli")
    danas = await dana.api.get("/me", headers=dana.headers)
    trimmed = await revalidate(dana, "/me?fields=name", danas.headers["etag"])
    elis = await revalidate(eli, "/me", danas.headers["etag"])
    unknown = await revalidate(dana, "/me/orders/ord_nope", danas.headers["etag"])

    assert trimmed.status_code == 200 and trimmed.json().keys() == {"id", "name"}
    assert elis.status_code == 200 and elis.json()["id"] == eli.customer_id
    assert elis.headers["etag"] != danas.headers["etag"]
    assert unknown.status_code == 404 and "etag" not in unknown.headers
