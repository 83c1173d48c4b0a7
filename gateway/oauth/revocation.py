"""How a revocation reaches every gateway process within about two seconds.

Revoking an access token sets ``revoked_at`` on its row in ``oauth_access_tokens`` (shared
PostgreSQL in a scale-out deployment). Each process keeps the set of revoked, not yet expired
token ids in memory and polls the table every ``revocation_poll_seconds`` (1 s by default) for
rows revoked since the newest one it has seen, minus a window that covers clock skew between
processes and transactions that commit late. The poll is one indexed range query per process
per second. The verifier checks this set on every request, cache hits included, so a cached
verification never outlives a revocation. The process that revokes adds the id at once.

If the database cannot be reached the set is kept and the next poll catches up; tokens stay
usable meanwhile (fail open) rather than the whole API going down with the database.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from gateway.oauth.clock import Clock, as_datetime
from gateway.oauth.models import AccessToken
from strata.db import Database

log = structlog.get_logger(__name__)

SKEW_WINDOW = timedelta(seconds=30)


@dataclass(frozen=True)
class Revoked:
    jti: str
    expires_at: datetime
    revoked_at: datetime


class DatabaseRevocations:
    """Reads revocations from the shared ``oauth_access_tokens`` table."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def revoked_since(self, since: datetime | None, now: datetime) -> list[Revoked]:
        query = select(AccessToken.jti, AccessToken.expires_at, AccessToken.revoked_at).where(
            AccessToken.revoked_at.is_not(None),
            AccessToken.expires_at > now,
        )
        if since is not None:
            query = query.where(AccessToken.revoked_at >= since)
        async with self._database.session() as session:
            rows = (await session.execute(query)).all()
        return [
            Revoked(jti, expires_at, revoked_at)
            for jti, expires_at, revoked_at in rows
            if revoked_at is not None
        ]


class RevocationList:
    """The revoked token ids this process knows, refreshed by polling (see module docstring)."""

    def __init__(self, source: DatabaseRevocations, clock: Clock, poll_seconds: float = 1.0):
        self._source = source
        self._clock = clock
        self._poll_seconds = poll_seconds
        self._revoked: dict[str, float] = {}
        self._newest_seen: datetime | None = None
        self._task: asyncio.Task[None] | None = None
        self.last_poll_ok: float | None = None

    def is_revoked(self, jti: str) -> bool:
        return jti in self._revoked

    def add(self, revoked: Iterable[tuple[str, datetime]]) -> None:
        """Records revocations this process made itself, effective before the next poll."""
        for jti, expires_at in revoked:
            self._revoked[jti] = expires_at.timestamp()

    def __len__(self) -> int:
        return len(self._revoked)

    async def poll(self) -> int:
        """Fetches revocations since the last poll; returns how many were new."""
        now = as_datetime(self._clock())
        since = None if self._newest_seen is None else self._newest_seen - SKEW_WINDOW
        rows = await self._source.revoked_since(since, now)
        new = 0
        for row in rows:
            if row.jti not in self._revoked:
                new += 1
            self._revoked[row.jti] = row.expires_at.timestamp()
            if self._newest_seen is None or row.revoked_at > self._newest_seen:
                self._newest_seen = row.revoked_at
        if self._newest_seen is None:
            # Nothing revoked yet: later polls only need to look back from here.
            self._newest_seen = now
        self._forget_expired(now.timestamp())
        self.last_poll_ok = self._clock()
        return new

    def _forget_expired(self, now: float) -> None:
        for jti in [jti for jti, expires in self._revoked.items() if expires <= now]:
            del self._revoked[jti]

    async def start(self) -> None:
        """Loads every current revocation, then keeps polling in the background."""
        await self.poll()
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="oauth-revocation-poll")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_seconds)
            try:
                await self.poll()
            except (SQLAlchemyError, OSError) as exc:
                log.warning("revocation poll failed; keeping the known set", error=str(exc))
