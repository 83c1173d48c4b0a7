"""Auto-generated document numbers (``CUST-00042``, ``SO-10001``, ``INV-10001``, ``PYMT-10001``).

One counter row per record type, advanced by a single upsert that returns the new value, so
two transactions can never be handed the same number.
"""

from __future__ import annotations

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from system_apis.backends.erp.models import ErpNumbering

FORMATS = {
    "customer": ("CUST-", 5, 0),
    "salesOrder": ("SO-", 5, 10000),
    "invoice": ("INV-", 5, 10000),
    "customerPayment": ("PYMT-", 5, 10000),
}


def document_number(record_type: str, number: int) -> str:
    prefix, width, offset = FORMATS[record_type]
    return f"{prefix}{number + offset:0{width}d}"


def _insert_for(session: AsyncSession) -> type[Insert]:
    dialect = session.get_bind().dialect.name
    return sqlite.Insert if dialect == "sqlite" else postgresql.Insert


async def next_document_number(session: AsyncSession, record_type: str) -> str:
    statement = (
        _insert_for(session)(ErpNumbering)
        .values(record_type=record_type, last_number=1)
        .on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[ErpNumbering.record_type],
            set_={"last_number": ErpNumbering.last_number + 1},
        )
        .returning(ErpNumbering.last_number)
    )
    number = (await session.execute(statement)).scalar_one()
    return document_number(record_type, number)


async def continue_numbering_after(
    session: AsyncSession,
    record_type: str,
    last_number: int,
) -> None:
    """Makes the next number follow ``last_number`` (after records were loaded in bulk)."""
    statement = (
        _insert_for(session)(ErpNumbering)
        .values(record_type=record_type, last_number=last_number)
        .on_conflict_do_update(  # type: ignore[attr-defined]
            index_elements=[ErpNumbering.record_type],
            set_={"last_number": last_number},
        )
    )
    await session.execute(statement)
