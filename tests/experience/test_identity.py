"""The experience layer's own token check: only a signed-in customer gets through."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from experience.support import MOBILE, WEB, ExperienceStack, bearer
from experience_apis.common.identity import CurrentCustomer
from strata.errors import install_problem_handlers
from strata.http import in_process


def whoami_app(stack: ExperienceStack) -> httpx.AsyncClient:
    app = FastAPI()
    app.state.token_check = stack.oauth.verifier.for_audience(WEB)
    install_problem_handlers(app)

    @app.get("/who")
    async def who(customer: CurrentCustomer) -> dict[str, str | None]:
        return {"customer_id": customer.customer_id, "username": customer.username}

    @app.post("/who")
    async def change(customer: CurrentCustomer) -> dict[str, str]:
        return {"customer_id": customer.customer_id}

    return httpx.AsyncClient(transport=in_process(app), base_url="http://probe")


async def test_a_users_token_resolves_to_their_customer(stack: ExperienceStack) -> None:
    async with whoami_app(stack) as probe:
        answer = await probe.get("/who", headers=bearer(await stack.user_token("eli")))

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"customer_id": await stack.customer_id("eli"), "username": "eli"}


async def test_tokens_that_are_not_a_customers_are_refused(stack: ExperienceStack) -> None:
    user = await stack.user_token("dana")
    read_only = await stack.user_token("dana", scopes=("me:read",))
    partner = await stack.client_token()
    forged = user[:-6] + ("AAAAAA" if not user.endswith("AAAAAA") else "BBBBBB")
    async with whoami_app(stack) as probe:
        missing = await probe.get("/who")
        tampered = await probe.get("/who", headers=bearer(forged))
        not_a_user = await probe.get("/who", headers=bearer(partner))
        cannot_write = await probe.post("/who", headers=bearer(read_only))
        can_read = await probe.get("/who", headers=bearer(read_only))

    assert missing.status_code == tampered.status_code == 401
    assert missing.headers["www-authenticate"].startswith("Bearer")
    assert 'error="invalid_token"' in tampered.headers["www-authenticate"]
    assert not_a_user.status_code == 403
    assert not_a_user.json()["type"].endswith("/not-a-customer")
    assert cannot_write.status_code == 403
    assert 'scope="me:write"' in cannot_write.headers["www-authenticate"]
    assert can_read.status_code == 200
    for refused in (missing, tampered, not_a_user, cannot_write):
        assert refused.headers["content-type"] == "application/problem+json"


async def test_each_experience_api_refuses_a_token_for_the_other_only(
    stack: ExperienceStack,
) -> None:
    for_mobile = bearer(await stack.user_token("eli", audience=(MOBILE,)))
    for_web = bearer(await stack.user_token("eli", audience=(WEB,)))
    for_crm = bearer(
        await stack.user_token("eli", audience=("http://127.0.0.1:8000/system/crm/v1",))
    )
    async with stack.api("web") as web, stack.api("mobile") as mobile:
        web_refused = await web.get("/dashboard", headers=for_mobile)
        mobile_refused = await mobile.get("/me", headers=for_web)
        below_refused = await mobile.get("/me", headers=for_crm)
        web_served = await web.get("/dashboard", headers=for_web)
        mobile_served = await mobile.get("/me", headers=for_mobile)

    for refused in (web_refused, mobile_refused, below_refused):
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
        assert "another audience" in refused.headers["www-authenticate"]
    assert (web_served.status_code, mobile_served.status_code) == (200, 200)


async def test_the_process_apis_take_tokens_for_themselves_and_the_experience_apis(
    stack: ExperienceStack,
) -> None:
    # Until calls below carry tokens of their own, the experience APIs pass their user's on.
    base = "http://127.0.0.1:8000"
    tokens = {
        audience: bearer(await stack.user_token("eli", audience=(f"{base}{audience}",)))
        for audience in ("/process/orders/v1", "/experience/web/v1", "/system/crm/v1")
    }
    async with stack.below("process", "orders") as orders:
        answers = {
            audience: await orders.get("/orders", headers=token)
            for audience, token in tokens.items()
        }

    assert answers["/process/orders/v1"].status_code == 200, answers["/process/orders/v1"].text
    assert answers["/experience/web/v1"].status_code == 200
    refused = answers["/system/crm/v1"]
    assert refused.status_code == 401
    assert "another audience" in refused.headers["www-authenticate"]
