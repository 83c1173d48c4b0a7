"""Runs the `strata` command on a given database from an async test, as an operator would: a
process of its own (in this one, the command's logging set-up would outlive it)."""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass

from tests.support_server import STRATA


@dataclass(frozen=True)
class Ran:
    exit_code: int
    stdout: str
    stderr: str


async def run_strata_command(database_url: str, *args: str) -> Ran:
    env = {
        **os.environ,
        "STRATA_DATABASE_URL": database_url,
        "STRATA_LOG_LEVEL": "warning",
    }
    process = await asyncio.create_subprocess_exec(
        STRATA,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return Ran(process.returncode, stdout.decode(), stderr.decode())
