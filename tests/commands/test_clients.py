"""`strata clients list` and `strata clients approve`: an operator sees the apps waiting for
approval and approves one, straight on the database."""

from __future__ import annotations

import json

from gateway.oauth import create_client
from gateway.oauth.clients import ACTIVE, PENDING
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import OAuthClient
from strata.db import Database
from tests.commands.strata_command import run_strata_command


async def test_list_and_approve_the_pending_apps(database: Database) -> None:
    passwords = Passwords(time_cost=1, memory_kib=64)
    waiting, _ = await create_client(
        database, "Order robot", "orders:write", passwords=passwords, status=PENDING
    )
    active, _ = await create_client(database, "Shop window", "me:read", passwords=passwords)

    everyone = await run_strata_command(database.url, "clients", "list")
    assert everyone.exit_code == 0, everyone.stderr
    listed = {item["client_id"]: item for item in json.loads(everyone.stdout)}
    assert listed.keys() == {waiting.id, active.id}
    assert listed[active.id]["status"] == ACTIVE
    assert all("client_secret" not in item for item in listed.values())

    pending = await run_strata_command(database.url, "clients", "list", "--pending")
    assert pending.exit_code == 0, pending.stderr
    [shown] = json.loads(pending.stdout)
    assert shown["client_id"] == waiting.id and shown["status"] == PENDING
    assert "orders:write" in shown["status_reason"]

    approved = await run_strata_command(database.url, "clients", "approve", waiting.id)
    assert approved.exit_code == 0, approved.stderr
    assert json.loads(approved.stdout)["status"] == ACTIVE
    async with database.session() as session:
        stored = await session.get(OAuthClient, waiting.id)
    assert stored is not None and stored.status == ACTIVE
    after = await run_strata_command(database.url, "clients", "list", "--pending")
    assert json.loads(after.stdout) == []

    # Approving again changes nothing and is no error.
    again = await run_strata_command(database.url, "clients", "approve", waiting.id)
    assert again.exit_code == 0 and json.loads(again.stdout)["status"] == ACTIVE


async def test_approving_an_unknown_client_says_so(database: Database) -> None:
    answer = await run_strata_command(database.url, "clients", "approve", "c_nothing")
    assert answer.exit_code == 1
    assert answer.stdout == ""
    assert answer.stderr.strip() == "strata: client 'c_nothing' does not exist"
