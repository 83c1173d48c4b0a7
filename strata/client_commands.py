"""``strata clients list`` and ``strata clients approve``: an operator sees the client apps and
approves the portal's pending ones, straight on the configured database (as ``strata clients
create`` does), with the admin API's client model.

Exit status: 0 when done, 1 when the client does not exist, 2 for a bad setting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Annotated, Any

import typer

from strata.errors import Problem
from strata.migrate import migrated_database
from strata.settings import Settings

PAGE_SIZE = 200
# The gateway's modules are imported when a command runs, as in strata/cli.py, so that
# `strata --help` stays quick.


async def list_clients_from_cli(settings: Settings, *, pending: bool) -> list[dict[str, Any]]:
    """Every live client (only the pending ones with ``pending``), by id, as JSON values."""
    from gateway.oauth.admin import ClientOut
    from gateway.oauth.clients import PENDING, list_clients
    from strata.admin import scope_vocabulary

    shown: list[dict[str, Any]] = []
    async with migrated_database(settings.async_database_url) as database:
        vocabulary = await scope_vocabulary(database)
        after = None
        while True:
            async with database.session() as session:
                page = await list_clients(
                    session, limit=PAGE_SIZE, after=after, status=PENDING if pending else None
                )
            shown += [ClientOut.of(client, vocabulary).model_dump(mode="json") for client in page]
            if len(page) < PAGE_SIZE:
                return shown
            after = page[-1].id


async def approve_client_from_cli(settings: Settings, client_id: str) -> dict[str, Any]:
    """The approved client as JSON values; raises :class:`~strata.errors.NotFound`."""
    from gateway.oauth.admin import ClientOut
    from gateway.oauth.clients import approve_client
    from strata.admin import scope_vocabulary

    async with migrated_database(settings.async_database_url) as database:
        vocabulary = await scope_vocabulary(database)
        async with database.session() as session:
            client = await approve_client(session, client_id)
            return ClientOut.of(client, vocabulary).model_dump(mode="json")


def add_client_commands(clients: typer.Typer, load_settings: Callable[[], Settings]) -> None:
    """Adds ``list`` and ``approve`` to the ``strata clients`` group; ``load_settings``
    reads the settings as every command does (a bad one exits 2 with one line)."""

    @clients.command("list")
    def clients_list(
        pending: Annotated[
            bool, typer.Option("--pending", help="Only the apps waiting for an operator")
        ] = False,
    ) -> None:
        """List the client apps (never their secrets) as JSON."""
        listed = asyncio.run(list_clients_from_cli(load_settings(), pending=pending))
        typer.echo(json.dumps(listed, indent=2))

    @clients.command("approve")
    def clients_approve(
        client_id: Annotated[str, typer.Argument(help="The pending app's client_id")],
    ) -> None:
        """Approve a pending app so that it gets tokens; an active one stays as it is."""
        try:
            approved = asyncio.run(approve_client_from_cli(load_settings(), client_id))
        except Problem as problem:
            typer.echo(f"strata: {problem.detail or problem.title}", err=True)
            raise typer.Exit(1) from None
        typer.echo(json.dumps(approved, indent=2))
