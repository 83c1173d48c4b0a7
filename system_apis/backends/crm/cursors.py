"""The ``query`` resource: runs SOQL and pages through long results in batches.

The first batch comes with the query; when more rows remain, a query locator is stored and
``nextRecordsUrl`` (``.../query/<locator>-<rows read so far>``) reads the next batch. Locators
live in the database, so any process serving the CRM can continue a query, and expire after
15 minutes without use, as in Salesforce. A later batch runs the query again from where the
last one ended, so rows saved in between may shift it, unlike Salesforce's snapshot.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete

from strata.db import Database
from system_apis.backends.crm.errors import SalesforceError
from system_apis.backends.crm.ids import QUERY_LOCATOR_PREFIX, normalize_id
from system_apis.backends.crm.models import CrmQueryLocator
from system_apis.backends.crm.query import CompiledQuery, Compiler
from system_apis.backends.crm.records import DATA_PATH, to_wire
from system_apis.backends.crm.soql import SoqlError, parse
from system_apis.backends.crm.store import next_id, now

DEFAULT_BATCH_SIZE = 2000
MAX_BATCH_SIZE = 2000
SALESFORCE_MIN_BATCH_SIZE = 200
LOCATOR_LIFETIME = timedelta(minutes=15)


def invalid_locator() -> SalesforceError:
    return SalesforceError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")


def batch_size_from(header: str | None, minimum: int) -> int:
    """The batch size a ``Sforce-Query-Options: batchSize=N`` header asks for, kept within
    the limits (Salesforce treats it as a hint between 200 and 2000)."""
    if not header:
        return DEFAULT_BATCH_SIZE
    for option in header.split(","):
        name, _, value = option.partition("=")
        if name.strip().lower() != "batchsize":
            continue
        value = value.strip()
        if not value.isdigit():
            raise SalesforceError(
                400,
                "INVALID_HEADER_TYPE",
                f"Sforce-Query-Options: batchSize must be a whole number, not '{value}'",
            )
        return max(minimum, min(MAX_BATCH_SIZE, int(value)))
    return DEFAULT_BATCH_SIZE


class QueryRunner:
    def __init__(self, database: Database, *, min_batch_size: int) -> None:
        self.database = database
        self.min_batch_size = min_batch_size
        self.compiler = Compiler(postgres=not database.is_sqlite)

    def compile(self, soql: str, *, include_deleted: bool) -> CompiledQuery:
        try:
            return self.compiler.compile(parse(soql), include_deleted=include_deleted)
        except SoqlError as exc:
            raise SalesforceError(400, exc.code, exc.message(soql)) from None

    async def start(
        self,
        soql: str,
        *,
        include_deleted: bool,
        batch_size: int,
        root: str,
    ) -> dict[str, Any]:
        compiled = self.compile(soql, include_deleted=include_deleted)
        async with self.database.session() as session:
            matching = int(await session.scalar(compiled.count_statement()) or 0)
            total = compiled.size(matching)
            if compiled.count_only:
                return {"totalSize": total, "done": True, "records": []}
            result = await session.execute(compiled.rows_statement(0, min(batch_size, total)))
            records = [_record(compiled, row, root) for row in result]
            locator = None
            if len(records) < total:
                locator = await self._new_locator(session, soql, include_deleted, batch_size, total)
        return _answer(total, records, _next_url(root, include_deleted, locator, len(records)))

    async def more(self, token: str, *, include_deleted: bool, root: str) -> dict[str, Any]:
        locator_id, position = _parse_token(token)
        async with self.database.session() as session:
            locator = await session.get(CrmQueryLocator, locator_id, with_for_update=True)
            if (
                locator is None
                or locator.expires_at <= now()
                or locator.include_deleted != include_deleted
                or position >= locator.total_size
            ):
                raise invalid_locator()
            compiled = self.compile(locator.soql, include_deleted=include_deleted)
            take = min(locator.batch_size, locator.total_size - position)
            result = await session.execute(compiled.rows_statement(position, take))
            records = [_record(compiled, row, root) for row in result]
            locator.expires_at = now() + LOCATOR_LIFETIME
            total = locator.total_size
        read = position + len(records)
        next_id_ = locator_id if records and read < total else None
        return _answer(total, records, _next_url(root, include_deleted, next_id_, read))

    async def _new_locator(
        self,
        session: Any,
        soql: str,
        include_deleted: bool,
        batch_size: int,
        total: int,
    ) -> str:
        stamp = now()
        await session.execute(delete(CrmQueryLocator).where(CrmQueryLocator.expires_at <= stamp))
        locator_id = await next_id(session, QUERY_LOCATOR_PREFIX)
        session.add(
            CrmQueryLocator(
                id=locator_id,
                soql=soql,
                include_deleted=include_deleted,
                batch_size=batch_size,
                total_size=total,
                expires_at=stamp + LOCATOR_LIFETIME,
            )
        )
        return locator_id


def _parse_token(token: str) -> tuple[str, int]:
    locator_id, _, position = token.rpartition("-")
    full = normalize_id(locator_id, QUERY_LOCATOR_PREFIX)
    if full is None or not position.isdigit() or len(position) > 9 or int(position) == 0:
        raise invalid_locator()
    return full, int(position)


def _record(compiled: CompiledQuery, row: Any, root: str) -> dict[str, Any]:
    mapping = row._mapping
    return to_wire(compiled.spec, compiled.fields, lambda field: mapping[field.name], root)


def _next_url(root: str, include_deleted: bool, locator: str | None, read: int) -> str | None:
    if locator is None:
        return None
    resource = "queryAll" if include_deleted else "query"
    return f"{root}{DATA_PATH}/{resource}/{locator}-{read}"


def _answer(total: int, records: list[dict[str, Any]], next_url: str | None) -> dict[str, Any]:
    answer: dict[str, Any] = {"totalSize": total, "done": next_url is None}
    if next_url is not None:
        answer["nextRecordsUrl"] = next_url
    answer["records"] = records
    return answer
