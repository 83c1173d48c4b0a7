"""SQL for the registry: the registry-wide lock and revision, and the rows as domain values.

Every change takes the registry lock first (the one ``gw_registry_state`` row, ``FOR UPDATE``
on PostgreSQL; SQLite's ``BEGIN IMMEDIATE`` already serializes writers), then bumps the
revision in the same transaction. Writers therefore take turns, and a reader that sees
revision N also sees every change up to N.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.registry.models import REGISTRY_STATE_ID, ApiRecord, RegistryState
from gateway.registry.upstream_auth import UpstreamSecrets, described, routed
from gateway.routes import LAYERS, NO_UPSTREAM_AUTH, ApiRoute, RouteTable, UpstreamAuth

_LAYER_ORDER = {layer: position for position, layer in enumerate(LAYERS)}


@dataclass(frozen=True)
class RegisteredApi:
    """One API as the registry holds it, with its OpenAPI document."""

    name: str
    layer: str
    version: int
    description: str
    targets: tuple[str, ...]
    timeout_seconds: float
    retries: int
    read_scope: str | None
    write_scope: str | None
    rate_tier: str | None
    openapi_url: str | None
    builtin: bool
    revision: int
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any] = field(repr=False, compare=False)
    # What its upstream receives, without the secret (which stays encrypted in the row).
    upstream_auth: UpstreamAuth = NO_UPSTREAM_AUTH
    public: bool = False
    cors_origins: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        return f"/{self.layer}/{self.name}/v{self.version}"

    @property
    def title(self) -> str:
        info = self.document.get("info")
        title = info.get("title") if isinstance(info, dict) else None
        return title if isinstance(title, str) and title else self.name

    def route(self) -> ApiRoute:
        return ApiRoute(
            name=self.name,
            layer=self.layer,
            version=self.version,
            targets=self.targets,
            timeout_seconds=self.timeout_seconds,
            retries=self.retries,
            read_scope=self.read_scope,
            write_scope=self.write_scope,
            public=self.public,
            rate_tier=self.rate_tier,
            revision=self.revision,
            # Without the secret: the route table (store.route_table) is what decrypts it.
            upstream_auth=self.upstream_auth,
            cors_origins=self.cors_origins,
        )


def to_domain(record: ApiRecord) -> RegisteredApi:
    return RegisteredApi(
        name=record.name,
        layer=record.layer,
        version=record.version,
        description=record.description,
        targets=tuple(record.targets),
        timeout_seconds=record.timeout_seconds,
        retries=record.retries,
        read_scope=record.read_scope,
        write_scope=record.write_scope,
        rate_tier=record.rate_tier,
        openapi_url=record.openapi_url,
        builtin=record.builtin,
        revision=record.revision,
        created_at=record.created_at,
        updated_at=record.updated_at,
        document=record.openapi,
        upstream_auth=described(record.upstream_auth),
        public=record.public,
        cors_origins=tuple(record.cors_origins or ()),
    )


def in_catalog_order(apis: list[RegisteredApi]) -> list[RegisteredApi]:
    return sorted(apis, key=lambda api: (_LAYER_ORDER.get(api.layer, 99), api.name))


async def lock_registry(session: AsyncSession) -> int:
    """Takes the registry lock until the transaction ends; returns the current revision."""
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # The row is made by the migration; this only restores it if someone emptied the table.
    await session.execute(
        insert(RegistryState)
        .values(id=REGISTRY_STATE_ID, revision=0)
        .on_conflict_do_nothing(index_elements=[RegistryState.id])
    )
    revision = await session.scalar(
        select(RegistryState.revision)
        .where(RegistryState.id == REGISTRY_STATE_ID)
        .with_for_update()
    )
    return int(revision or 0)


async def bump_revision(session: AsyncSession) -> int:
    """The registry's next revision, written in the caller's transaction."""
    revision = await session.scalar(
        update(RegistryState)
        .where(RegistryState.id == REGISTRY_STATE_ID)
        .values(revision=RegistryState.revision + 1)
        .returning(RegistryState.revision)
    )
    if revision is None:
        raise RuntimeError("bump_revision needs lock_registry first, in the same transaction")
    return int(revision)


async def read_revision(session: AsyncSession) -> int:
    revision = await session.scalar(
        select(RegistryState.revision).where(RegistryState.id == REGISTRY_STATE_ID)
    )
    return int(revision or 0)


async def find(session: AsyncSession, name: str) -> ApiRecord | None:
    record: ApiRecord | None = await session.scalar(select(ApiRecord).where(ApiRecord.name == name))
    return record


async def all_records(session: AsyncSession, layer: str | None = None) -> list[ApiRecord]:
    query = select(ApiRecord)
    if layer is not None:
        query = query.where(ApiRecord.layer == layer)
    return list(await session.scalars(query))


_ROUTE_COLUMNS = (
    ApiRecord.name,
    ApiRecord.layer,
    ApiRecord.version,
    ApiRecord.targets,
    ApiRecord.timeout_seconds,
    ApiRecord.retries,
    ApiRecord.read_scope,
    ApiRecord.write_scope,
    ApiRecord.public,
    ApiRecord.rate_tier,
    ApiRecord.revision,
    ApiRecord.upstream_auth,
    ApiRecord.upstream_secret_encrypted,
    ApiRecord.cors_origins,
)


async def route_table(session: AsyncSession, secrets: UpstreamSecrets | None = None) -> RouteTable:
    """The route table at the current revision, without loading any OpenAPI document; the
    upstream secrets decrypted with ``secrets``."""
    # Revision first: rows read after it are at least as new, so a table is never older
    # than the revision it is labelled with (at worst, the next poll rebuilds it once more).
    revision = await read_revision(session)
    rows = await session.execute(select(*_ROUTE_COLUMNS).order_by(ApiRecord.name))
    routes = [
        ApiRoute(
            name=row.name,
            layer=row.layer,
            version=row.version,
            targets=tuple(row.targets),
            timeout_seconds=row.timeout_seconds,
            retries=row.retries,
            read_scope=row.read_scope,
            write_scope=row.write_scope,
            public=row.public,
            rate_tier=row.rate_tier,
            revision=row.revision,
            upstream_auth=routed(
                row.name, row.upstream_auth, row.upstream_secret_encrypted, secrets
            ),
            cors_origins=tuple(row.cors_origins or ()),
        )
        for row in rows
    ]
    return RouteTable.of(routes, revision)
