"""The ``strata`` command: run Strata, migrate its database, export its OpenAPI documents."""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from strata.call import EXIT_USAGE, CallRequest, Streams, call, login
from strata.client_commands import add_client_commands
from strata.credentials import (
    ClientCredentials,
    Connection,
    TokenCache,
    save_client,
    token_cache_path,
)
from strata.errors import ConfigurationError
from strata.logs import configure_logging
from strata.settings import Settings, load_settings
from strata.user_commands import users_cli
from strata.user_login import DEFAULT_USER_SCOPE, login_user, signed_in_user

cli = typer.Typer(help="Strata: an API-led connectivity gateway.", no_args_is_help=True)
db_cli = typer.Typer(help="The database.", no_args_is_help=True)
openapi_cli = typer.Typer(help="The OpenAPI documents in openapi/.", no_args_is_help=True)
clients_cli = typer.Typer(help="OAuth2 client apps.", no_args_is_help=True)
apis_cli = typer.Typer(help="The registry of APIs behind the gateway.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(openapi_cli, name="openapi")
cli.add_typer(clients_cli, name="clients")
cli.add_typer(apis_cli, name="apis")
cli.add_typer(users_cli, name="users")


def _settings(**overrides: object) -> Settings:
    try:
        settings = load_settings(**overrides)
    except ConfigurationError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None
    # Logs go to stderr, so what a command prints (JSON) stays readable by scripts.
    configure_logging(settings.log_level, settings.log_format)
    return settings


add_client_commands(clients_cli, _settings)


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on")] = None,
) -> None:
    """Run every layer in one process (the embedded default) until stopped."""
    from strata.app import asgi_app
    from strata.server import run
    from strata.start_check import check_start

    overrides = {k: v for k, v in {"host": host, "port": port}.items() if v is not None}
    settings = _settings(**overrides)
    try:
        app = asgi_app(settings)
        # Before listening, so that a wrong secret is one line, not the server's traceback.
        asyncio.run(check_start(settings))
        run(app, settings.host, settings.port, settings.server, settings.forwarded_allow_ips)
    except ConfigurationError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None


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
    from strata.openapi import InvalidDocument

    try:
        if check:
            _check_documents(directory)
        else:
            _export_documents(directory)
    except InvalidDocument as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(1) from None


def _check_documents(directory: Path) -> None:
    from strata.openapi import changed_documents

    drifted = changed_documents(directory)
    if drifted:
        typer.echo("OpenAPI documents differ from the code: " + ", ".join(drifted), err=True)
        typer.echo("run `strata openapi export` and commit the result", err=True)
        raise typer.Exit(1)
    typer.echo("OpenAPI documents match the code")


def _export_documents(directory: Path) -> None:
    from strata.openapi import write_documents

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
    save: Annotated[
        bool, typer.Option("--save", help="Also save it as the client `strata call` uses")
    ] = False,
) -> None:
    """Register a client app; prints its client_id and client_secret (shown only once)."""
    from strata.admin import create_client_from_cli

    if save and public:
        typer.echo("strata: a public app has no secret, so --save cannot sign in with it", err=True)
        raise typer.Exit(2)
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
    if save:
        _save_created_client(created["client_id"], created["client_secret"])


def _save_created_client(client_id: str, client_secret: str) -> None:
    try:
        path = save_client(os.environ, ClientCredentials(client_id, client_secret))
    except OSError as exc:
        typer.echo(f"strata: the client was made but not saved: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"saved client {client_id} to {path}", err=True)


class UpstreamAuthMode(StrEnum):
    """What a registered upstream receives instead of the caller's token."""

    none = "none"
    identity = "identity"
    api_key = "api_key"


@apis_cli.command("register")
def apis_register(
    name: Annotated[str, typer.Option(help="The API's name (a lowercase slug)")],
    target: Annotated[list[str], typer.Option(help="Upstream base URL; repeatable")],
    openapi: Annotated[str, typer.Option(help="OpenAPI document: a JSON file or an URL")],
    layer: Annotated[str, typer.Option(help="system, process or experience")] = "system",
    version: Annotated[int, typer.Option(help="Major version")] = 1,
    read_scope: Annotated[str | None, typer.Option(help="Scope for GET/HEAD")] = None,
    write_scope: Annotated[str | None, typer.Option(help="Scope for other methods")] = None,
    public: Annotated[
        bool, typer.Option("--public", help="Open to anyone without a token (then no scopes)")
    ] = False,
    rate_tier: Annotated[str | None, typer.Option(help="Rate-limit tier for this API")] = None,
    cors_origin: Annotated[
        list[str] | None,
        typer.Option(help="A browser origin (scheme://host[:port]) that may call it; repeatable"),
    ] = None,
    timeout: Annotated[float, typer.Option(help="Upstream timeout, seconds")] = 10.0,
    retries: Annotated[int, typer.Option(help="Retries for idempotent calls")] = 1,
    description: Annotated[str, typer.Option(help="One line for the catalog")] = "",
    upstream_auth: Annotated[
        UpstreamAuthMode,
        typer.Option(help="What the upstream receives instead of the caller's token"),
    ] = UpstreamAuthMode.none,
    upstream_header: Annotated[
        str, typer.Option(help="The header the upstream's key travels in (api_key)")
    ] = "X-API-Key",
    upstream_key: Annotated[
        str | None,
        typer.Option(
            envvar="STRATA_UPSTREAM_KEY",
            help="The upstream's own key (api_key); stored encrypted. Prefer the env var, "
            "which keeps it out of the shell history",
        ),
    ] = None,
) -> None:
    """Register an API; every running gateway routes to it within two seconds.

    It needs --read-scope or --write-scope (a method without a scope is refused), or
    --public to open it to anyone."""
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
                public=public,
                rate_tier=rate_tier,
                cors_origins=cors_origin or [],
                timeout_seconds=timeout,
                retries=retries,
                upstream_auth=upstream_auth.value,
                upstream_header=upstream_header,
                upstream_key=upstream_key,
            )
        )
    except ValueError as exc:
        typer.echo(f"strata: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(json.dumps(registered, indent=2))


GatewayOption = Annotated[
    str | None,
    typer.Option(
        help="The gateway's URL (or env STRATA_GATEWAY_URL; else the profile's, else http://127.0.0.1:8000)"
    ),
]


@cli.command("call")
def call_command(
    method: Annotated[str, typer.Argument(help="GET, POST, PUT, PATCH, DELETE, ...")],
    path: Annotated[
        str, typer.Argument(help="A path on the gateway, e.g. /system/crm/v1/customers")
    ],
    data: Annotated[
        str | None, typer.Option("-d", "--data", help="JSON body: the text, @file or @- (stdin)")
    ] = None,
    header: Annotated[
        list[str] | None, typer.Option("-H", "--header", help="'Name: value'; repeatable")
    ] = None,
    scope: Annotated[
        str | None, typer.Option(help="Scopes to ask for (default: all the client's)")
    ] = None,
    idempotency_key: Annotated[
        str | None, typer.Option(help="Idempotency-Key to send; 'auto' makes a new UUID")
    ] = None,
    include: Annotated[
        bool, typer.Option("-i", "--include", help="Print the status and headers to stderr")
    ] = False,
    gateway: GatewayOption = None,
    client_id: Annotated[str | None, typer.Option(help="Or env STRATA_CLIENT_ID")] = None,
    client_secret: Annotated[str | None, typer.Option(help="Or env STRATA_CLIENT_SECRET")] = None,
    user: Annotated[
        bool, typer.Option("--user", help="Call as the person `strata login --user` signed in")
    ] = False,
) -> None:
    """Call an API through the gateway as the configured client; prints the JSON answer.

    Exit status: 0 for 2xx/3xx, 1 for 4xx/5xx, 2 for a usage or configuration error,
    3 when the gateway cannot be reached."""
    request = CallRequest(
        method=method,
        path=path,
        data=data,
        headers=header or [],
        scope=scope,
        idempotency_key=idempotency_key,
        include=include,
    )
    connection = Connection(gateway=gateway, client_id=client_id, client_secret=client_secret)
    raise typer.Exit(
        call(
            request,
            connection,
            env=os.environ,
            streams=_streams(),
            cache_factory=_token_cache,
            open_client=signed_in_user(os.environ) if user else None,
        )
    )


@cli.command("login")
def login_command(
    client_id: Annotated[
        str | None, typer.Option(help="The client's id (`strata clients create`)")
    ] = None,
    user: Annotated[
        bool,
        typer.Option(
            "--user", help="Sign a person in with the browser instead (for the experience APIs)"
        ),
    ] = False,
    scope: Annotated[str, typer.Option(help="With --user: the scopes to ask for")] = (
        DEFAULT_USER_SCOPE
    ),
    browser: Annotated[
        bool, typer.Option(help="With --user: open the sign-in page in the browser")
    ] = True,
    client_secret_stdin: Annotated[
        bool, typer.Option(help="Read the secret from stdin instead of a hidden prompt")
    ] = False,
    gateway: GatewayOption = None,
    check: Annotated[
        bool, typer.Option(help="Get a token first, so a wrong secret is caught now")
    ] = True,
) -> None:
    """Save the client `strata call` signs in with (mode 0600 in $STRATA_CONFIG_DIR or
    ~/.config/strata/client.json); with --user, sign a person in instead (authorization code
    with PKCE through the browser) for `strata call --user`."""
    if user:
        raise typer.Exit(
            login_user(
                gateway,
                scope=scope,
                open_browser=browser,
                env=os.environ,
                announce=lambda line: typer.echo(line, err=True),
            )
        )
    if client_id is None:
        typer.echo("strata: give --client-id (a client app) or --user (a person)", err=True)
        raise typer.Exit(EXIT_USAGE)
    if client_secret_stdin:
        secret = sys.stdin.readline().strip()
    else:
        secret = typer.prompt("Client secret", hide_input=True, err=True).strip()
    if not secret:
        typer.echo("strata: the client secret is empty", err=True)
        raise typer.Exit(EXIT_USAGE)
    raise typer.Exit(
        login(
            ClientCredentials(client_id, secret),
            gateway,
            env=os.environ,
            streams=_streams(),
            cache_factory=_token_cache,
            check=check,
        )
    )


def _streams() -> Streams:
    return Streams(stdin=sys.stdin, stdout=sys.stdout, stderr=sys.stderr)


def _token_cache() -> TokenCache:
    return TokenCache(token_cache_path(os.environ), time.time)


def main() -> None:
    try:
        cli()
    except KeyboardInterrupt:
        sys.exit(130)
