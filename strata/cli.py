"""The ``strata`` command: run Strata, migrate its database, export its OpenAPI documents."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Annotated

import typer

from strata.errors import ConfigurationError
from strata.settings import Settings, load_settings

cli = typer.Typer(help="Strata: an API-led connectivity gateway.", no_args_is_help=True)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI documents in openapi/.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(openapi_cli, name="openapi")


def _settings(**overrides: object) -> Settings:
    try:
        return load_settings(**overrides)
    except ConfigurationError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run every layer in one process (the embedded default) until stopped."""
    import uvicorn

    from strata.app import asgi_app
    from strata.logs import configure_logging

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = _settings(**overrides)
    configure_logging(settings.log_level, settings.log_format)
    uvicorn.run(
        asgi_app(settings),
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
        server_header=False,
    )


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade every table to the newest migration."""
    from strata.db import Database
    from strata.migrate import upgrade_database

    settings = _settings()

    async def run() -> None:
        database = Database(settings.async_database_url)
        try:
            await upgrade_database(database)
        finally:
            await database.dispose()

    asyncio.run(run())
    typer.echo("database is up to date")


@openapi_cli.command("export")
def openapi_export(
    directory: Annotated[Path, typer.Option("--dir", help="Where the documents go")] = Path(
        "openapi"
    ),
    check: Annotated[
        bool, typer.Option("--check", help="Only compare; exit 1 when a document drifted")
    ] = False,
) -> None:
    """Write every API's OpenAPI document to openapi/ (or check that they match the code)."""
    from strata.openapi import changed_documents, write_documents

    if check:
        drifted = changed_documents(directory)
        if drifted:
            typer.echo("OpenAPI documents differ from the code: " + ", ".join(drifted), err=True)
            typer.echo("run `strata openapi export` and commit the result", err=True)
            raise typer.Exit(1)
        typer.echo("OpenAPI documents match the code")
        return
    for name in write_documents(directory):
        typer.echo(f"wrote {directory / name}")


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
