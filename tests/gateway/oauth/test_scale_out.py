"""Several gateway processes on one database: a revocation made by one reaches the others
within the poll interval, cached verifications included."""

import asyncio
import time
from typing import Any

import pytest

from gateway.oauth import InvalidToken, OAuthServer, OAuthSettings, build_oauth
from strata.db import Database
from tests.gateway.oauth.conftest import CRM, WEB

Flows = Any
Registered = Any


@pytest.fixture
async def second_process(database: Database, settings: OAuthSettings) -> Any:
    """Another gateway process: its own memory, the same database, the real clock."""
    fast = OAuthSettings.model_validate({**settings.model_dump(), "revocation_poll_seconds": 0.1})
    other = build_oauth(database, fast)
    await other.start()
    try:
        yield other
    finally:
        await other.stop()


async def test_revocation_reaches_another_process_within_two_seconds(
    oauth: OAuthServer,
    second_process: OAuthServer,
    flows: Flows,
    partner: Registered,
) -> None:
    token = (await flows.client_credentials(partner))["access_token"]
    # Verified and cached there.
    await second_process.verifier.verify(f"Bearer {token}", audience=CRM)

    async with flows.client(client_id=partner.id, client_secret=partner.secret) as session:
        await session.revoke_token(f"{flows.issuer}/oauth/revoke", token=token)

    started = time.monotonic()
    while True:
        try:
            await second_process.verifier.verify(f"Bearer {token}", audience=CRM)
        except InvalidToken as refused:
            assert "revoked" in refused.description
            break
        assert time.monotonic() - started < 2.0, "the revocation did not arrive in time"
        await asyncio.sleep(0.05)


async def test_a_process_that_starts_later_knows_earlier_revocations(
    oauth: OAuthServer,
    flows: Flows,
    partner: Registered,
    database: Database,
    settings: OAuthSettings,
) -> None:
    token = (await flows.client_credentials(partner))["access_token"]
    async with flows.client(client_id=partner.id, client_secret=partner.secret) as session:
        await session.revoke_token(f"{flows.issuer}/oauth/revoke", token=token)
    late = build_oauth(database, settings)
    await late.start(background=False)
    with pytest.raises(InvalidToken, match="revoked"):
        await late.verifier.verify(f"Bearer {token}", audience=CRM)


async def test_refresh_reuse_detected_by_one_process_revokes_everywhere(
    oauth: OAuthServer,
    second_process: OAuthServer,
    flows: Flows,
    web_app: Any,
    user: Any,
) -> None:
    first = await flows.user_tokens(web_app)
    await second_process.verifier.verify(f"Bearer {first['access_token']}", audience=WEB)
    async with flows.public_client(web_app) as session:
        await session.refresh_token(flows.token_url, refresh_token=first["refresh_token"])
        with pytest.raises(Exception, match="invalid_grant"):
            await session.refresh_token(flows.token_url, refresh_token=first["refresh_token"])
    await second_process.revocations.poll()
    with pytest.raises(InvalidToken, match="revoked"):
        await second_process.verifier.verify(f"Bearer {first['access_token']}", audience=WEB)


async def test_concurrent_refreshes_with_one_token_cannot_both_win(
    oauth: OAuthServer,
    flows: Flows,
    web_app: Any,
    user: Any,
    http: Any,
) -> None:
    tokens = await flows.user_tokens(web_app)
    form = {
        "grant_type": "refresh_token",
        "client_id": web_app.id,
        "refresh_token": tokens["refresh_token"],
    }
    answers = await asyncio.gather(*(http.post("/oauth/token", data=form) for _ in range(4)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses.count(200) <= 1 and all(s in (200, 400) for s in statuses)
    # However the race went, the reuse killed the family: no refresh token of it works.
    for answer in answers:
        if answer.status_code == 200:
            again = await http.post(
                "/oauth/token", data={**form, "refresh_token": answer.json()["refresh_token"]}
            )
            assert again.status_code == 400
