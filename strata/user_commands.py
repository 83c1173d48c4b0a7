"""``strata users``: people who sign in, and their roles, on the configured database.

Exit status: 0 on success, 1 when the user does not exist or the name is taken, 2 for bad
input or a bad setting.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, NoReturn, TypeVar

import typer

from strata.db import Database
from strata.errors import ConfigurationError, Problem
from strata.logs import configure_logging
from strata.migrate import migrated_database
from strata.settings import Settings, load_settings

T = TypeVar("T")
EXIT_NOT_FOUND = 1
EXIT_USAGE = 2

users_cli = typer.Typer(help="People who sign in, and their roles.", no_args_is_help=True)

RoleOption = Annotated[
    list[str] | None,
    typer.Option("--role", help="customer, developer, operator or admin; repeatable"),
]


@users_cli.command("list")
def users_list() -> None:
    """Print every person as JSON (no passwords)."""
    from gateway.oauth.users_cli import list_people

    people = _run(lambda database, _settings: list_people(database))
    typer.echo(json.dumps(people, indent=2))


@users_cli.command("create")
def users_create(
    username: Annotated[str, typer.Argument(help="The name they sign in with")],
    role: RoleOption = None,
    customer_id: Annotated[str | None, typer.Option(help="The CRM customer a shopper is")] = None,
    display_name: Annotated[str | None, typer.Option(help="Default: the username")] = None,
    password_stdin: Annotated[
        bool, typer.Option(help="Read the password from stdin instead of a hidden prompt")
    ] = False,
) -> None:
    """Make a person's account (role customer unless --role says otherwise); prints it."""
    from gateway.oauth.users_cli import create_person

    password = _password(password_stdin)
    created = _run(
        lambda database, settings: create_person(
            database,
            settings.oauth,
            username=username,
            password=password,
            display_name=display_name,
            customer_id=customer_id,
            roles=role or ["customer"],
        )
    )
    typer.echo(json.dumps(created, indent=2))


@users_cli.command("roles")
def users_roles(
    username: Annotated[str, typer.Argument(help="Whose roles to change")],
    add: Annotated[
        list[str] | None, typer.Option("--add", help="A role to give; repeatable")
    ] = None,
    remove: Annotated[
        list[str] | None, typer.Option("--remove", help="A role to take away; repeatable")
    ] = None,
) -> None:
    """Add and remove roles, then print the person; removing one revokes their tokens."""
    from gateway.oauth.users_cli import change_roles

    changed, revoked = _run(
        lambda database, settings: change_roles(
            database, settings.oauth, username, add=add or [], remove=remove or []
        )
    )
    typer.echo(json.dumps(changed, indent=2))
    if revoked:
        typer.echo(f"revoked {revoked} tokens of {changed['username']}", err=True)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
    if not password:
        _fail("the password is empty", EXIT_USAGE)
    return password


def _run(operation: Callable[[Database, Settings], Awaitable[T]]) -> T:
    settings = _settings()

    async def run() -> T:
        async with migrated_database(settings.async_database_url) as database:
            return await operation(database, settings)

    try:
        return asyncio.run(run())
    except Problem as problem:
        status = EXIT_USAGE if problem.status == 422 else EXIT_NOT_FOUND
        _fail(problem.detail or problem.title, status)
    except ConfigurationError as exc:
        _fail(str(exc), EXIT_USAGE)


def _settings() -> Settings:
    try:
        settings = load_settings()
    except ConfigurationError as exc:
        _fail(str(exc), EXIT_USAGE)
    # Logs go to stderr, so the JSON printed stays readable by scripts.
    configure_logging(settings.log_level, settings.log_format)
    return settings


def _fail(message: str, status: int) -> NoReturn:
    typer.echo(f"strata: {message}", err=True)
    raise typer.Exit(status)
