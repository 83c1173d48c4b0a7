"""Operator tasks run from a shell (``strata clients create``, ``strata apis register``):
the same services the admin API uses, on the configured database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gateway.oauth import InvalidClientRegistration, ScopeVocabulary, create_client
from gateway.registry.addresses import AddressPolicy
from gateway.registry.cli import describe_problem, register_from_cli
from gateway.registry.service import RegistryService
from gateway.registry.upstream_auth import UpstreamSecrets
from strata.db import Database
from strata.errors import Problem
from strata.migrate import migrated_database
from strata.settings import Settings


async def scope_vocabulary(database: Database) -> ScopeVocabulary:
    """The built-in scopes plus every scope a registered API asks for."""
    vocabulary = ScopeVocabulary()
    vocabulary.learn_api_scopes(await RegistryService(database).list())
    return vocabulary


async def create_client_from_cli(
    settings: Settings,
    *,
    name: str,
    scopes: str,
    tier: str,
    redirect_uris: Sequence[str],
    public: bool,
) -> dict[str, Any]:
    async with migrated_database(settings.async_database_url) as database:
        try:
            client, secret = await create_client(
                database,
                name,
                scopes,
                tier,
                redirect_uris,
                public,
                vocabulary=await scope_vocabulary(database),
            )
        except InvalidClientRegistration as exc:
            raise ValueError(exc.detail or exc.title) from None
    created: dict[str, Any] = {
        "client_id": client.id,
        "name": name,
        "scope": " ".join(client.scope_list),
        "tier": tier,
    }
    if secret is not None:
        created["client_secret"] = secret
    return created


async def register_api_from_cli(settings: Settings, **registration: Any) -> dict[str, Any]:
    async with migrated_database(settings.async_database_url) as database:
        try:
            api = await register_from_cli(
                database,
                redis_url=settings.redis_url,
                secrets=UpstreamSecrets.from_settings(settings.oauth),
                addresses=AddressPolicy.allowing(settings.registry.allowed_networks),
                **registration,
            )
        except Problem as problem:
            raise ValueError(describe_problem(problem)) from None
    return {
        "name": api.name,
        "layer": api.layer,
        "version": api.version,
        "targets": list(api.targets),
        "revision": api.revision,
    }
