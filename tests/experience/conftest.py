"""Fixtures for the experience APIs: every layer in process over a seeded database."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from experience.support import ExperienceStack, build_experience_stack
from strata.db import Database


@pytest.fixture
async def stack(database: Database) -> AsyncIterator[ExperienceStack]:
    built = await build_experience_stack(database)
    try:
        yield built
    finally:
        await built.aclose()
