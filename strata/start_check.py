"""What `strata serve` checks before it listens: a wrong setting found there stops the start
with one line, where the server's own start-up would end in a traceback."""

from __future__ import annotations

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from gateway.oauth.clock import system_clock
from gateway.oauth.crypto import KeyCipher, load_secret
from gateway.oauth.keys import KeyStore
from gateway.oauth.models import SigningKey
from strata.db import Database
from strata.errors import ConfigurationError
from strata.settings import Settings


async def check_start(settings: Settings) -> None:
    """Raises :class:`ConfigurationError` when the database cannot be opened or the OAuth
    secret is not the one the stored signing keys were encrypted with."""
    database = Database(settings.async_database_url)
    try:
        if await _has_signing_keys_table(database):
            cipher = KeyCipher(load_secret(settings.oauth))
            await KeyStore(database, settings.oauth, cipher, system_clock).check_secret()
    except (SQLAlchemyError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigurationError(
            f"cannot open the database (STRATA_DATABASE_URL): {reason}"
        ) from None
    finally:
        await database.dispose()


async def _has_signing_keys_table(database: Database) -> bool:
    """False on a database not migrated yet (the start makes the tables and the first key)."""
    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: inspect(sync).has_table(SigningKey.__tablename__)
        )
