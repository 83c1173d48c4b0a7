"""The ``strata`` command: run Strata, migrate its database, export its OpenAPI documents."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from strata.errors import ConfigurationError
from strata.logs import configure_logging
from strata.settings import Settings, load_settings

cli = typer.Typer(help="Strata: an API-led connectivity gateway.", no_args_is_help=True)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI documents in openapi/.", no_args_is_help=True)
clients_cli = typer.Typer(help="OAuth2 client apps.", no_args_is_help=True)
apis_cli = typer.Typer(help="The registry of APIs behind the gateway.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(openapi_cli, name="openapi")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(apis_cli, name="apis")


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**overrides)
    except ConfigurationError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None
    # Logs go to stderr, so what a command prints (JSON) stays readable by scripts.
    configure_logging(settings.log_level, settings.log_format)
    return settings


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run every layer in one process (the embedded default) until stopped."""
    import uvicorn

    from strata.app import asgi_app

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = _settings(**overrides)
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


@clients_cli.command("create")
def clients_create(
    name: Annotated[str, typer.Option(help="A name people recognise")],
    scopes: Annotated[str, typer.Option(help='Space-separated scopes, e.g. "crm:read"')],
    tier: Annotated[str, typer.Option(help="Rate-limit tier")] = "standard",
    redirect_uri: Annotated[
        list[str] | None, typer.Option(help="Redirect URI (authorization code); repeatable")
    ] = None,
    public: Annotated[
        bool, typer.Option(help="A public app (PKCE, no secret), e.g. a mobile app")
    ] = False,
) -> None:
    """Register a client app; prints its client_id and client_secret (shown only once)."""
    from strata.admin import create_client_from_cli

    settings = _settings()
    try:
        created = asyncio.run(
            create_client_from_cli(
                settings,
                name=name,
                scopes=scopes,
                tier=tier,
                redirect_uris=redirect_uri or [],
                public=public,
            )
        )
    except ValueError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(created, indent=2))


@apis_cli.command("register")
def apis_register(
    name: Annotated[str, typer.Option(help="The API's name (a lowercase slug)")],
    target: Annotated[list[str], typer.Option(help="Upstream base URL; repeatable")],
    openapi: Annotated[str, typer.Option(help="OpenAPI document: a JSON file or an URL")],
    layer: Annotated[str, typer.Option(help="system, process or experience")] = "system",
    version: Annotated[int, typer.Option(help="Major version")] = 1,
    read_scope: Annotated[str | None, typer.Option(help="Scope for GET/HEAD")] = None,
    write_scope: Annotated[str | None, typer.Option(help="Scope for other methods")] = None,
    rate_tier: Annotated[str | None, typer.Option(help="Rate-limit tier for this API")] = None,
    timeout: Annotated[float, typer.Option(help="Upstream timeout, seconds")] = 10.0,
    retries: Annotated[int, typer.Option(help="Retries for idempotent calls")] = 1,
    description: Annotated[str, typer.Option(help="One line for the catalog")] = "",
) -> None:
    """Register an API; every running gateway routes to it within two seconds."""
    from strata.admin import register_api_from_cli

    settings = _settings()
    try:
        registered = asyncio.run(
            register_api_from_cli(
                settings,
                name=name,
                layer=layer,
                version=version,
                targets=target,
                openapi=openapi,
                description=description,
                read_scope=read_scope,
                write_scope=write_scope,
                rate_tier=rate_tier,
                timeout_seconds=timeout,
                retries=retries,
            )
        )
    except ValueError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(registered, indent=2))


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
