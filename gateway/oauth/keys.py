"""Signing keys: made, encrypted into the database, rotated, published as a JWKS.

A key signs from ``activates_at`` until ``retires_at``; it is published from creation until
``publish_until``, which rotation sets to the retirement time plus the longest life of a token
the key signed plus an overlap margin. So a rotated key keeps verifying its tokens, and a
new key can be published before it signs (``key_activation_delay_seconds``) for verifiers
that cache the JWKS.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from joserfc.jwk import ECKey, RSAKey
from sqlalchemy import delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from gateway.oauth.clock import Clock, as_datetime
from gateway.oauth.config import OAuthSettings, SigningAlgorithm
from gateway.oauth.crypto import KeyCipher
from gateway.oauth.models import SigningKey
from strata.db import Database

PrivateKey = RSAKey | ECKey


@dataclass(frozen=True)
class ActiveKey:
    kid: str
    alg: str
    key: PrivateKey


def generate_key(alg: SigningAlgorithm) -> PrivateKey:
    """A new private key whose kid is its RFC 7638 thumbprint."""
    parameters: dict[str, Any] = {"alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.generate_key("P-256", parameters=parameters, auto_kid=True)  # type: ignore[arg-type]
    return RSAKey.generate_key(2048, parameters=parameters, auto_kid=True)  # type: ignore[arg-type]


def _import_private(pem: bytes, kid: str, alg: str) -> PrivateKey:
    parameters: dict[str, Any] = {"kid": kid, "alg": alg, "use": "sig"}
    if alg == "ES256":
        return ECKey.import_key(pem, parameters=parameters)  # type: ignore[arg-type]
    return RSAKey.import_key(pem, parameters=parameters)  # type: ignore[arg-type]


class KeyStore:
    def __init__(
        self,
        database: Database,
        settings: OAuthSettings,
        cipher: KeyCipher,
        clock: Clock,
    ) -> None:
        self._database = database
        self._settings = settings
        self._cipher = cipher
        self._clock = clock
        self._decrypted: dict[str, ActiveKey] = {}

    def _now(self) -> datetime:
        return as_datetime(self._clock())

    async def signing_key(self) -> ActiveKey:
        """The key that signs now: the newest active one (made if there is none yet)."""
        async with self._database.session() as session:
            row = await self._current(session)
        if row is None:
            await self._insert_new_key(self._now())
            async with self._database.session() as session:
                row = await self._current(session)
            assert row is not None
        return self._decrypt(row)

    async def _current(self, session: AsyncSession) -> SigningKey | None:
        now = self._now()
        query = (
            select(SigningKey)
            .where(SigningKey.activates_at <= now)
            .where(or_(SigningKey.retires_at.is_(None), SigningKey.retires_at > now))
            .order_by(SigningKey.activates_at.desc(), SigningKey.created_at.desc())
            .limit(1)
        )
        return (await session.execute(query)).scalar_one_or_none()

    def _decrypt(self, row: SigningKey) -> ActiveKey:
        cached = self._decrypted.get(row.kid)
        if cached is None:
            pem = self._cipher.decrypt(row.private_key_encrypted, row.kid)
            cached = ActiveKey(row.kid, row.alg, _import_private(pem, row.kid, row.alg))
            self._decrypted[row.kid] = cached
        return cached

    async def check_secret(self) -> None:
        """Raises :class:`~strata.errors.ConfigurationError` when the newest stored key does
        not decrypt with the configured secret; nothing to check before the first key."""
        async with self._database.session() as session:
            newest = await session.execute(
                select(SigningKey.kid, SigningKey.private_key_encrypted)
                .order_by(SigningKey.created_at.desc())
                .limit(1)
            )
            row = newest.one_or_none()
        if row is not None:
            self._cipher.decrypt(row.private_key_encrypted, row.kid)

    async def ensure_signing_key(self) -> str:
        """At start: make the first key, or rotate one older than the configured maximum age.
        Also proves the secret decrypts the current key, so a wrong secret stops the start."""
        active = await self.signing_key()
        max_age_days = self._settings.signing_key_max_age_days
        if max_age_days is None:
            return active.kid
        async with self._database.session() as session:
            row = await session.get(SigningKey, active.kid)
        if row is not None and row.activates_at < self._now() - timedelta(days=max_age_days):
            return await self.rotate()
        return active.kid

    async def rotate(self, activation_delay_seconds: float | None = None) -> str:
        """Makes a new signing key; the current one retires when the new one activates and
        stays published until every token it signed has expired. Returns the new kid."""
        delay = self._settings.key_activation_delay_seconds
        if activation_delay_seconds is not None:
            delay = int(activation_delay_seconds)
        activates_at = self._now() + timedelta(seconds=delay)
        return await self._insert_new_key(activates_at, retire_others=True)

    async def _insert_new_key(self, activates_at: datetime, *, retire_others: bool = False) -> str:
        alg = self._settings.signing_alg
        key = await asyncio.to_thread(generate_key, alg)
        kid = str(key.kid)
        publish_until = activates_at + timedelta(
            seconds=self._settings.longest_token_ttl_seconds
            + self._settings.key_rotation_overlap_seconds
        )
        async with self._database.session() as session:
            if retire_others:
                await session.execute(
                    update(SigningKey)
                    .where(SigningKey.retires_at.is_(None))
                    .values(retires_at=activates_at, publish_until=publish_until)
                )
            session.add(
                SigningKey(
                    kid=kid,
                    alg=alg,
                    public_jwk=dict(key.as_dict(private=False)),
                    private_key_encrypted=self._cipher.encrypt(key.as_pem(private=True), kid),
                    created_at=self._now(),
                    activates_at=activates_at,
                )
            )
        return kid

    async def published(self) -> list[dict[str, Any]]:
        """The public JWKs verifiers must know now: active, retiring and about to activate."""
        now = self._now()
        query = (
            select(SigningKey.public_jwk)
            .where(or_(SigningKey.publish_until.is_(None), SigningKey.publish_until > now))
            .order_by(SigningKey.activates_at.desc())
        )
        async with self._database.session() as session:
            return [dict(jwk) for jwk in (await session.execute(query)).scalars()]

    async def purge(self) -> int:
        """Deletes keys no verifier needs any more (their private half included)."""
        async with self._database.session() as session:
            result = await session.execute(
                delete(SigningKey).where(SigningKey.publish_until <= self._now())
            )
        for kid in set(self._decrypted) - await self._kids():
            del self._decrypted[kid]
        return int(getattr(result, "rowcount", 0) or 0)

    async def _kids(self) -> set[str]:
        async with self._database.session() as session:
            return set((await session.execute(select(SigningKey.kid))).scalars())
