"""An upstream that answers with what it received: the request's method, path and headers.

Run as its own process (``uvicorn tests.echo_upstream:create_echo_app --factory``) so the
gateway reaches it over a real socket, as it reaches any registered API.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.acceptance_support import REPO, ServiceProcess, wait_until_serving
from tests.support_server import free_port


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "method": request.method,
            "path": request.url.path,
            "headers": [
                [name.decode(), value.decode()] for name, value in request.scope["headers"]
            ],
        }
    )


async def _document(request: Request) -> JSONResponse:
    return JSONResponse(
        {
            "openapi": "3.1.0",
            "info": {"title": "Echo", "version": "1.0.0"},
            "paths": {"/echo": {"get": {"responses": {"200": {"description": "What it got"}}}}},
        }
    )


def create_echo_app() -> Starlette:
    return Starlette(
        routes=[
            Route("/openapi.json", _document),
            Route("/{path:path}", _echo, methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
        ]
    )


def start_echo(directory: Path) -> ServiceProcess:
    port = free_port()
    log = directory / "echo.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "tests.echo_upstream:create_echo_app",
                "--factory",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=REPO,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    echo = ServiceProcess("echo", port, process, log)
    try:
        wait_until_serving(echo)
    except BaseException:
        echo.kill()
        raise
    return echo


def received(answer: httpx.Response) -> dict[str, str]:
    """The headers the echo upstream received (the last of each name)."""
    assert answer.status_code == 200, answer.text
    return {name: value for name, value in answer.json()["headers"]}
