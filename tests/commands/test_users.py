"""`strata users list | create | roles` on the configured database: people as JSON without
passwords, exit 1 for an unknown or taken name, 2 for bad input, and a removed role revoking
every token the person holds."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from typing import Any

from click.testing import Result
from sqlalchemy import select
from typer.testing import CliRunner

from gateway.oauth.clients import create_client
from gateway.oauth.crypto import Passwords
from gateway.oauth.models import AccessToken, OAuthUser, RefreshToken, TokenFamily
from gateway.oauth.users import authenticate_user, create_user
from strata.cli import cli
from strata.db import Database, utcnow

PASSWORD = "a long enough password"
FAST_HASHING = Passwords(time_cost=1, memory_kib=64)


def _env(database: Database) -> dict[str, str]:
    return {
        "STRATA_DATABASE_URL": database.url,
        "STRATA_OAUTH__SECRET_KEY": "users-command-tests-key-long-enough-x-x-x-x-",
        "STRATA_OAUTH__PASSWORD_HASH_TIME_COST": "1",
        "STRATA_OAUTH__PASSWORD_HASH_MEMORY_KIB": "64",
        "STRATA_LOG_LEVEL": "warning",
    }


async def strata(database: Database, *args: str, stdin: str | None = None) -> Result:
    """Runs `strata <args>` against ``database`` (on a thread: the command runs its own loop)."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke, cli, list(args), input=stdin, env=_env(database), catch_exceptions=False
    )


async def _person(database: Database, username: str, *roles: str) -> OAuthUser:
    async with database.session() as session:
        return await create_user(
            session, username, PASSWORD, username.title(), None, FAST_HASHING, roles=roles
        )


async def _tokens_for(database: Database, user: OAuthUser) -> None:
    """A refresh-token family with an access token in it, and an access token outside any."""
    client, _ = await create_client(
        database, "Console", "me:read crm:read", redirect_uris=["https://c.example/cb"], public=True
    )
    now = utcnow()
    later = now + timedelta(hours=1)
    async with database.session() as session:
        session.add(
            TokenFamily(
                id="fam1", client_id=client.id, user_id=user.id, scope="crm:read", created_at=now
            )
        )
        await session.flush()
        session.add(
            RefreshToken(token_hash="r" * 64, family_id="fam1", issued_at=now, expires_at=later)
        )
        for jti, family in (("in-family", "fam1"), ("exchanged", None)):
            session.add(
                AccessToken(
                    jti=jti,
                    client_id=client.id,
                    user_id=user.id,
                    family_id=family,
                    scope="crm:read",
                    issued_at=now,
                    expires_at=later,
                )
            )


async def _revoked(database: Database) -> list[bool]:
    async with database.session() as session:
        rows: list[Any] = [
            *(await session.execute(select(TokenFamily))).scalars(),
            *(await session.execute(select(RefreshToken))).scalars(),
            *(await session.execute(select(AccessToken))).scalars(),
        ]
    return [row.revoked_at is not None for row in rows]


async def test_create_reads_the_password_from_stdin_and_prints_the_person(
    database: Database,
) -> None:
    made = await strata(
        database,
        "users",
        "create",
        "Otto2",
        "--role",
        "operator",
        "--role",
        "developer",
        "--display-name",
        "Otto Two",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )

    assert made.exit_code == 0, made.stderr
    person = json.loads(made.stdout)
    assert person["username"] == "otto2" and person["display_name"] == "Otto Two"
    assert person["roles"] == ["developer", "operator"] and person["customer_id"] is None
    assert "password" not in made.stdout and PASSWORD not in made.stdout
    async with database.session() as session:
        user = await authenticate_user(session, "otto2", PASSWORD, FAST_HASHING)
    assert user is not None and user.id == person["user_id"]


async def test_create_asks_for_the_password_twice_and_defaults_to_customer(
    database: Database,
) -> None:
    made = await strata(
        database,
        "users",
        "create",
        "shopper",
        "--customer-id",
        "001Dn0000009",
        stdin=f"{PASSWORD}\n{PASSWORD}\n",
    )

    assert made.exit_code == 0, made.stderr
    person = json.loads(made.stdout)
    assert person["roles"] == ["customer"] and person["customer_id"] == "001Dn0000009"
    assert person["display_name"] == "shopper"


async def test_create_refuses_bad_input_and_a_taken_name(database: Database) -> None:
    await _person(database, "taken", "customer")

    unknown_role = await strata(
        database,
        "users",
        "create",
        "x1",
        "--role",
        "boss",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    short = await strata(database, "users", "create", "x2", "--password-stdin", stdin="short\n")
    empty = await strata(database, "users", "create", "x3", "--password-stdin", stdin="\n")
    taken = await strata(
        database, "users", "create", "Taken", "--password-stdin", stdin=PASSWORD + "\n"
    )

    assert unknown_role.exit_code == 2 and "roles: unknown role 'boss'" in unknown_role.stderr
    assert short.exit_code == 2 and "password" in short.stderr
    assert empty.exit_code == 2 and "the password is empty" in empty.stderr
    assert taken.exit_code == 1 and "'taken' already exists" in taken.stderr
    async with database.session() as session:
        names = (await session.execute(select(OAuthUser.username))).scalars().all()
    assert names == ["taken"]


async def test_list_prints_everyone_without_passwords(database: Database) -> None:
    await _person(database, "ann", "customer")
    await _person(database, "otto", "operator")

    listed = await strata(database, "users", "list")

    assert listed.exit_code == 0, listed.stderr
    people = json.loads(listed.stdout)
    assert {p["username"]: p["roles"] for p in people} == {
        "ann": ["customer"],
        "otto": ["operator"],
    }
    assert all("password" not in key for person in people for key in person)
    assert "argon2" not in listed.stdout


async def test_removing_a_role_revokes_every_token_the_person_holds(database: Database) -> None:
    cora = await _person(database, "cora", "customer")
    await _tokens_for(database, cora)

    made_operator = await strata(database, "users", "roles", "cora", "--add", "operator")
    revoked_after_adding = await _revoked(database)
    swapped = await strata(
        database, "users", "roles", "CORA", "--add", "developer", "--remove", "customer"
    )

    assert made_operator.exit_code == 0, made_operator.stderr
    assert json.loads(made_operator.stdout)["roles"] == ["customer", "operator"]
    assert not any(revoked_after_adding)
    assert swapped.exit_code == 0, swapped.stderr
    assert json.loads(swapped.stdout)["roles"] == ["developer", "operator"]
    assert "revoked 2 tokens of cora" in swapped.stderr
    assert all(await _revoked(database))


async def test_roles_refuses_an_unknown_person_or_role(database: Database) -> None:
    await _person(database, "ann", "customer")

    nobody = await strata(database, "users", "roles", "nobody", "--add", "operator")
    bad_role = await strata(database, "users", "roles", "ann", "--add", "wizard")
    both = await strata(database, "users", "roles", "ann", "--add", "admin", "--remove", "admin")

    assert nobody.exit_code == 1 and "user 'nobody' does not exist" in nobody.stderr
    assert bad_role.exit_code == 2 and "roles: unknown role 'wizard'" in bad_role.stderr
    assert both.exit_code == 2 and "cannot both add and remove admin" in both.stderr
    async with database.session() as session:
        ann = (await session.execute(select(OAuthUser))).scalar_one()
    assert ann.role_list == ("customer",)
