"""The registry of APIs: register, change, list and delete them; built-in APIs at start.

Documents are fetched and validated before the transaction opens (a slow upstream never
holds the registry lock); every change then runs in one transaction that takes the registry
lock, re-checks, writes and bumps the registry revision. Listeners (the watcher) hear of each
committed change so this process and, through Redis, the others reload their route tables.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import structlog
from sqlalchemy.exc import IntegrityError

from gateway.registry import store, upstream_auth
from gateway.registry.addresses import AddressPolicy
from gateway.registry.documents import DocumentLoader
from gateway.registry.errors import (
    builtin_is_read_only,
    duplicate_name,
    invalid,
    revision_mismatch,
)
from gateway.registry.models import ApiRecord
from gateway.registry.schemas import ApiRegistration, ApiUpdate, UpstreamAuthSetting
from gateway.registry.store import RegisteredApi
from gateway.registry.upstream_auth import UpstreamSecrets
from gateway.registry.validation import access_problem
from gateway.routes import INPROC_SCHEME, RouteTable
from strata.db import Database, utcnow
from strata.errors import NotFound

log = structlog.get_logger(__name__)

ChangeListener = Callable[[int], Awaitable[None]]
# The fields a registration sets on the row, besides its document.
_PLAIN_FIELDS = (
    "layer",
    "version",
    "description",
    "targets",
    "timeout_seconds",
    "retries",
    "read_scope",
    "write_scope",
    "public",
    "rate_tier",
    "cors_origins",
    "openapi_url",
)

# JSON columns: written as fresh lists, so the row sees a change and never shares the value.
_LIST_COLUMNS = frozenset({"targets", "cors_origins"})


class RegistryService:
    def __init__(
        self,
        database: Database,
        documents: DocumentLoader | None = None,
        *,
        addresses: AddressPolicy | None = None,
        secrets: UpstreamSecrets | None = None,
    ) -> None:
        self._database = database
        self._documents = documents or DocumentLoader()
        # Targets and document fetches both go through this one policy.
        self._addresses = addresses or AddressPolicy()
        # Seals the upstream credentials of the APIs it registers; without it they are refused.
        self._secrets = secrets
        self._listeners: list[ChangeListener] = []

    def add_change_listener(self, listener: ChangeListener) -> None:
        """``listener(revision)`` is awaited after every committed change made here."""
        self._listeners.append(listener)

    def remove_change_listener(self, listener: ChangeListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    async def register(self, registration: ApiRegistration) -> RegisteredApi:
        """A new API; 409 when the name is taken, 422 for a bad document, for access that
        is neither public nor scoped, or for a target the address policy refuses."""
        _check_access(registration.public, registration.read_scope, registration.write_scope)
        if await self._exists(registration.name):
            raise duplicate_name(registration.name)
        await self._check_targets(registration.targets)
        document = await self._document_of(registration)
        upstream = self._upstream_values(registration.name, registration.upstream_auth)
        try:
            async with self._database.session() as session:
                await store.lock_registry(session)
                if await store.find(session, registration.name) is not None:
                    raise duplicate_name(registration.name)
                revision = await store.bump_revision(session)
                record = _new_record(registration, document, revision, builtin=False)
                _apply_columns(record, upstream)
                session.add(record)
                await session.flush()
                api = store.to_domain(record)
        except IntegrityError:
            raise duplicate_name(registration.name) from None
        await self._notify(revision)
        log.info("api registered", api=api.name, prefix=api.prefix, revision=revision)
        return api

    async def update(
        self, name: str, changes: ApiUpdate, *, expected_revision: int | None = None
    ) -> RegisteredApi:
        """Changes the fields given; 412 when ``expected_revision`` is stale."""
        current = await self.get(name)
        if current.builtin:
            raise builtin_is_read_only(name)
        _check_merged_access(current, changes.changes())
        if changes.targets is not None:
            await self._check_targets(changes.targets)
        values = await self._values_of(changes)
        if changes.upstream_auth is not None:
            values.update(self._upstream_values(name, changes.upstream_auth))
        async with self._database.session() as session:
            await store.lock_registry(session)
            record = await store.find(session, name)
            if record is None:
                raise NotFound("API", name)
            if record.builtin:
                raise builtin_is_read_only(name)
            if expected_revision is not None and record.revision != expected_revision:
                raise revision_mismatch(name, expected_revision, record.revision)
            _check_merged_access(record, values)
            if not _differs(record, values):
                return store.to_domain(record)
            revision = await store.bump_revision(session)
            _apply(record, values, revision)
            api = store.to_domain(record)
        await self._notify(revision)
        log.info("api updated", api=name, fields=sorted(values), revision=revision)
        return api

    async def delete(self, name: str, *, expected_revision: int | None = None) -> None:
        async with self._database.session() as session:
            await store.lock_registry(session)
            record = await store.find(session, name)
            if record is None:
                raise NotFound("API", name)
            if record.builtin:
                raise builtin_is_read_only(name)
            if expected_revision is not None and record.revision != expected_revision:
                raise revision_mismatch(name, expected_revision, record.revision)
            revision = await store.bump_revision(session)
            await session.delete(record)
        await self._notify(revision)
        log.info("api deleted", api=name, revision=revision)

    async def get(self, name: str) -> RegisteredApi:
        async with self._database.session() as session:
            record = await store.find(session, name)
            if record is None:
                raise NotFound("API", name)
            return store.to_domain(record)

    async def list(self, layer: str | None = None) -> list[RegisteredApi]:
        """Every API (or those of one layer), system first, then process, then experience."""
        async with self._database.session() as session:
            records = await store.all_records(session, layer)
            return store.in_catalog_order([store.to_domain(record) for record in records])

    async def revision(self) -> int:
        """The registry-wide revision: one indexed read of one row."""
        async with self._database.sessions() as session:
            return await store.read_revision(session)

    async def route_table(self) -> RouteTable:
        async with self._database.sessions() as session:
            return await store.route_table(session, self._secrets)

    async def ensure_builtin(self, registration: ApiRegistration) -> RegisteredApi:
        """Registers a built-in API, or brings it up to date in place.

        Idempotent: an unchanged API is not written (no revision bump), and several processes
        starting at once take turns on the registry lock, so none fails on the unique name.
        """
        _check_access(registration.public, registration.read_scope, registration.write_scope)
        document = _plain(registration.openapi) if registration.openapi is not None else None
        existing = await self._find(registration.name)
        if existing is not None and _same_builtin(existing, registration, document):
            return existing
        if document is None:
            document = await self._document_of(registration)
        # Otherwise the document is Strata's own, made by its code and validated in CI
        # (`strata openapi export --check`); validating it again costs about 1 s per API at
        # every start on an empty registry.
        async with self._database.session() as session:
            await store.lock_registry(session)
            record = await store.find(session, registration.name)
            if record is not None and _same_builtin(
                store.to_domain(record), registration, document
            ):
                return store.to_domain(record)
            revision = await store.bump_revision(session)
            if record is None:
                record = _new_record(registration, document, revision, builtin=True)
                session.add(record)
                await session.flush()
            else:
                if not record.builtin:
                    log.warning("built-in API replaces a registered one", api=record.name)
                values = _registration_values(registration, document)
                _apply(record, {**values, "builtin": True}, revision)
            api = store.to_domain(record)
        await self._notify(revision)
        log.info("built-in api registered", api=api.name, revision=revision)
        return api

    async def _find(self, name: str) -> RegisteredApi | None:
        async with self._database.session() as session:
            record = await store.find(session, name)
            return store.to_domain(record) if record else None

    async def _exists(self, name: str) -> bool:
        return await self._find(name) is not None

    async def _document_of(self, registration: ApiRegistration) -> dict[str, Any]:
        if registration.openapi is not None and registration.openapi_url is not None:
            raise invalid("openapi", "give either openapi (the document) or openapi_url, not both")
        if registration.openapi is not None:
            return await self._documents.check(registration.openapi, "openapi")
        if registration.openapi_url is not None:
            return await self._documents.fetch(registration.openapi_url, self._addresses)
        raise invalid("openapi", "give the OpenAPI document (openapi) or where to fetch it")

    async def _values_of(self, changes: ApiUpdate) -> dict[str, Any]:
        """The column values a PATCH sets, with its document fetched or validated."""
        values = changes.changes()
        if changes.openapi is not None and changes.openapi_url is not None:
            raise invalid("openapi", "give either openapi (the document) or openapi_url, not both")
        if changes.openapi is not None:
            values["openapi"] = await self._documents.check(changes.openapi, "openapi")
            values["openapi_url"] = None
        elif changes.openapi_url is not None:
            values["openapi"] = await self._documents.fetch(changes.openapi_url, self._addresses)
        return values

    async def _check_targets(self, targets: Sequence[str]) -> None:
        """A 422 naming the first target that is not an http(s) URL at an allowed address."""
        refusals = await asyncio.gather(*(self._target_refusal(target) for target in targets))
        for index, refusal in enumerate(refusals):
            if refusal is not None:
                raise invalid(f"targets.{index}", refusal)

    async def _target_refusal(self, target: str) -> str | None:
        if target.startswith(INPROC_SCHEME):
            return (
                "inproc:// targets are for Strata's built-in APIs only; register the URL "
                "where the API is served (http or https)"
            )
        try:
            await self._addresses.addresses_of(target)
        except ValueError as exc:
            return str(exc)
        return None

    def _upstream_values(self, api: str, setting: UpstreamAuthSetting) -> dict[str, Any]:
        """The row's columns for what the upstream receives: the plain part, and the secret
        sealed (a change of setting replaces both)."""
        plain, secret = upstream_auth.stored(setting)
        sealed = None
        if secret is not None:
            if self._secrets is None:
                raise invalid(
                    "upstream_auth", "this registry has no key to encrypt upstream credentials"
                )
            sealed = self._secrets.seal(api, secret)
        return {"upstream_auth": plain, "upstream_secret_encrypted": sealed}

    async def _notify(self, revision: int) -> None:
        for listener in list(self._listeners):
            try:
                await listener(revision)
            except Exception:
                # The change is committed; a listener's trouble must not undo the answer.
                log.exception("registry change listener failed", revision=revision)


def _check_access(public: bool, read_scope: str | None, write_scope: str | None) -> None:
    problem = access_problem(public, read_scope, write_scope)
    if problem is not None:
        raise invalid(*problem)


def _check_merged_access(current: ApiRecord | RegisteredApi, changes: dict[str, Any]) -> None:
    """The access rule holds for the API as it will be once ``changes`` are applied."""
    merged = {
        name: changes.get(name, getattr(current, name))
        for name in ("public", "read_scope", "write_scope")
    }
    _check_access(**merged)


def _plain(document: dict[str, Any]) -> dict[str, Any] | None:
    """The document as it reads back from a JSON column (None if it is not plain JSON)."""
    try:
        plain: dict[str, Any] = json.loads(json.dumps(document, allow_nan=False))
    except (ValueError, TypeError, RecursionError):
        return None
    return plain


def _registration_values(
    registration: ApiRegistration, document: dict[str, Any] | None
) -> dict[str, Any]:
    values = {name: getattr(registration, name) for name in _PLAIN_FIELDS}
    values["targets"] = list(registration.targets)
    values["cors_origins"] = list(registration.cors_origins)
    values["openapi"] = document
    return values


def _new_record(
    registration: ApiRegistration, document: dict[str, Any], revision: int, *, builtin: bool
) -> ApiRecord:
    now = utcnow()
    return ApiRecord(
        name=registration.name,
        **_registration_values(registration, document),
        builtin=builtin,
        revision=revision,
        created_at=now,
        updated_at=now,
    )


def _same_builtin(
    api: RegisteredApi, registration: ApiRegistration, document: dict[str, Any] | None
) -> bool:
    if not api.builtin or document is None:
        return False
    wanted = _registration_values(registration, document)
    current = {name: getattr(api, name) for name in _PLAIN_FIELDS}
    current["targets"] = list(api.targets)
    current["cors_origins"] = list(api.cors_origins)
    current["openapi"] = api.document
    return current == wanted


def _apply_columns(record: ApiRecord, values: dict[str, Any]) -> None:
    for name, value in values.items():
        setattr(record, name, value)


def _differs(record: ApiRecord, values: dict[str, Any]) -> bool:
    return any(getattr(record, name) != value for name, value in values.items())


def _apply(record: ApiRecord, values: dict[str, Any], revision: int) -> None:
    for name, value in values.items():
        setattr(record, name, list(value) if name in _LIST_COLUMNS else value)
    record.revision = revision
    record.updated_at = utcnow()
