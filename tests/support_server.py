"""Running `strata serve` as a user does, for tests: a real process on a loopback port.

``start_server(directory, env)`` starts one (SQLite in ``directory`` unless ``env`` names
another database) and waits until it answers ``/healthz``; ``stop(server)`` ends it. The
``strata`` command-line tools run with the same environment through ``server.cli(...)``.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

STRATA = str(Path(sys.executable).with_name("strata"))
START_TIMEOUT_SECONDS = 60.0
CLI_TIMEOUT_SECONDS = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(
        self,
        process: subprocess.Popen[str],
        base_url: str,
        log: Path,
        env: dict[str, str],
    ) -> None:
        self.process = process
        self.base_url = base_url
        self.log = log
        self.env = env

    def logs(self) -> str:
        return self.log.read_text()

    def cli(self, *args: str) -> Any:
        """Runs ``strata <args>`` on this server's settings; returns its JSON output."""
        done = subprocess.run(
            [STRATA, *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_SECONDS,
        )
        if done.returncode != 0:
            raise AssertionError(
                f"strata {' '.join(args)} exited with {done.returncode}:\n{done.stderr}"
            )
        return json.loads(done.stdout)

    def create_client(self, scopes: str, name: str = "serve-test") -> dict[str, Any]:
        """A confidential client made with `strata clients create`: its id and secret."""
        created: dict[str, Any] = self.cli("clients", "create", "--name", name, "--scopes", scopes)
        return created

    def token(self, scopes: str) -> str:
        """A client-credentials token, for a client made with `strata clients create`."""
        client = self.create_client(scopes)
        response = httpx.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials", "scope": scopes},
            auth=(client["client_id"], client["client_secret"]),
        )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def get(self, path: str, token: str, **params: str | int) -> httpx.Response:
        return httpx.get(
            self.base_url + path,
            params=params,
            headers={"Authorization": f"Bearer {token}"},
        )


def start_server(
    directory: Path,
    env: dict[str, str] | None = None,
    *,
    name: str = "serve",
    port: int | None = None,
) -> Server:
    """Starts `strata serve` in ``directory`` (its log is ``<name>.log`` there), on ``port``
    when given (to name the server's own URL in ``env`` beforehand), else on a free one."""
    port = port or free_port()
    log = directory / f"{name}.log"
    environment = {
        **os.environ,
        "STRATA_DATABASE_URL": f"sqlite:///{directory / 'strata.db'}",
        "STRATA_LOG_FORMAT": "json",
        **(env or {}),
    }
    with log.open("w") as output:
        process = subprocess.Popen(
            [STRATA, "serve", "--port", str(port)],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            cwd=directory,
        )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"strata serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return Server(process, base_url, log, environment)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    process.kill()
    process.wait()
    raise AssertionError(f"strata serve did not become ready:\n{log.read_text()}")


def stop(server: Server) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
