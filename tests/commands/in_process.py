"""Runs a `strata` command in this process, on a given database, from an async test: in a
thread of its own, since the command runs an event loop of its own."""

from __future__ import annotations

import asyncio

from click.testing import Result
from typer.testing import CliRunner

from strata.cli import cli


async def run_strata_command(database_url: str, *args: str) -> Result:
    env = {"STRATA_DATABASE_URL": database_url, "STRATA_LOG_LEVEL": "warning"}
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args), env=env)
