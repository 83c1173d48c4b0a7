"""Fixtures for the command-line client's tests: one assembled Strata per module, served on
a loop of its own thread, and the commands run with their own config and cache folders."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from commands.support import Assembled, Cli, assembled_strata
from strata.credentials import ClientCredentials


@pytest.fixture(scope="module")
def assembled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Assembled]:
    with assembled_strata(tmp_path_factory.mktemp("commands")) as running:
        yield running


@pytest.fixture
def cli(assembled: Assembled, tmp_path: Path) -> Cli:
    return Cli(tmp_path, assembled.transport())


@pytest.fixture
def reader(assembled: Assembled) -> ClientCredentials:
    """A client that may read and write the CRM."""
    return assembled.client("crm:read crm:write")
