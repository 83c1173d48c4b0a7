"""Idempotency-Keys (as in the IETF draft "The Idempotency-Key HTTP Header Field").

A key belongs to one caller (see :mod:`process_apis.identity`) and names one order. It is
written in the same transaction as the order, under a unique constraint on (caller, key):
of any number of requests racing with one key, exactly one places the order. The others
get the first request's response once it is stored (replayed, ``Idempotent-Replayed:
true``), a 409 while the first is still being processed, or a 422 when their body differs.
Keys are kept for at least a day (``expires_at``) and purged after.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.engine import CursorResult

from process_apis.orders.models import IdempotencyKeyRecord
from process_apis.orders.problems import IdempotencyKeyInvalid, IdempotencyKeyMissing
from strata.db import Database, utcnow

_KEY = re.compile(r"^[\x20-\x7e]{1,255}$")


def parse_key(header: str | None) -> str:
    """The key from the header (a bare token or, as the draft writes it, a quoted string)."""
    if header is None or not header.strip():
        raise IdempotencyKeyMissing()
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not key.strip() or not _KEY.match(key):
        raise IdempotencyKeyInvalid()
    return key


def fingerprint(body: dict[str, Any]) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


class IdempotencyKeys:
    def __init__(
        self,
        database: Database,
        *,
        ttl: timedelta,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.database = database
        self.ttl = ttl
        self.clock = clock

    def new(self, client: str, key: str, request_hash: str, order_id: str) -> IdempotencyKeyRecord:
        now = self.clock()
        return IdempotencyKeyRecord(
            client=client,
            key=key,
            request_hash=request_hash,
            order_id=order_id,
            created_at=now,
            expires_at=now + self.ttl,
        )

    async def find(self, client: str, key: str) -> IdempotencyKeyRecord | None:
        async with self.database.session() as session:
            return await session.scalar(
                select(IdempotencyKeyRecord).where(
                    IdempotencyKeyRecord.client == client, IdempotencyKeyRecord.key == key
                )
            )

    async def remember(self, record_id: int, status: int, body: dict[str, Any]) -> None:
        """Keeps the first response to replay; never overwrites one already kept."""
        statement = (
            update(IdempotencyKeyRecord)
            .where(
                IdempotencyKeyRecord.id == record_id,
                IdempotencyKeyRecord.response_status.is_(None),
            )
            .values(response_status=status, response_body=body)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            await session.execute(statement)

    async def forget_if_expired(self, client: str, key: str) -> bool:
        statement = delete(IdempotencyKeyRecord).where(
            IdempotencyKeyRecord.client == client,
            IdempotencyKeyRecord.key == key,
            IdempotencyKeyRecord.expires_at < self.clock(),
        )
        async with self.database.session() as session:
            result = await session.execute(statement)
            assert isinstance(result, CursorResult)
            return result.rowcount > 0

    async def purge_expired(self) -> int:
        statement = delete(IdempotencyKeyRecord).where(
            IdempotencyKeyRecord.expires_at < self.clock()
        )
        async with self.database.session() as session:
            result = await session.execute(statement)
            assert isinstance(result, CursorResult)
            return int(result.rowcount)
