"""Where a verifier gets the public keys: the database directly, or a JWKS URL.

Both cache the key set, reload it when it is older than ``max_age`` and, when a token names
a kid they do not know, reload at once, but at most once per ``min_refresh_interval``: a flood
of tokens with made-up kids cannot turn into a flood of key fetches.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import structlog
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, JWKRegistry, RSAKey
from sqlalchemy.exc import SQLAlchemyError

PublicKey = RSAKey | ECKey
Loader = Callable[[], Awaitable[list[dict[str, Any]]]]

log = structlog.get_logger(__name__)


class KeySourceError(Exception):
    """The key set could not be fetched (and none was cached)."""


def import_public_keys(jwks: list[dict[str, Any]]) -> dict[str, PublicKey]:
    """The usable signature keys of a JWKS, by kid; anything else is skipped."""
    keys: dict[str, PublicKey] = {}
    for entry in jwks:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str):
            continue
        if entry.get("use", "sig") != "sig" or entry.get("kty") not in ("RSA", "EC"):
            continue
        public = {
            name: value
            for name, value in entry.items()
            if name not in ("d", "p", "q", "dp", "dq", "qi")
        }
        try:
            key = JWKRegistry.import_key(public)
        except (JoseError, ValueError, TypeError):
            log.warning("skipping an unreadable key in the key set", kid=entry.get("kid"))
            continue
        if isinstance(key, RSAKey | ECKey):
            keys[entry["kid"]] = key
    return keys


class CachedKeySet:
    """Keys by kid, loaded by ``loader`` and cached (see the module docstring)."""

    def __init__(
        self,
        loader: Loader,
        *,
        max_age: float = 300.0,
        min_refresh_interval: float = 5.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._loader = loader
        self._max_age = max_age
        self._min_refresh_interval = min_refresh_interval
        self._monotonic = monotonic
        self._keys: dict[str, PublicKey] = {}
        self._loaded_at: float | None = None
        self._attempted_at: float | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    async def get(self, kid: str) -> PublicKey | None:
        if self._is_stale():
            await self._refresh(reason="max age")
        key = self._keys.get(kid)
        if key is None:
            if self._may_refresh():
                await self._refresh(reason="unknown kid")
            elif self._lock.locked():
                # Another task is loading the keys (the first requests after a start all
                # arrive here at once): the key may be among them, so wait for it.
                async with self._lock:
                    pass
            key = self._keys.get(kid)
        return key

    def invalidate(self) -> None:
        """Forget the cache so the next look-up reloads (after this process rotated keys)."""
        self._loaded_at = None
        self._attempted_at = None

    def _is_stale(self) -> bool:
        if self._loaded_at is None:
            return self._may_refresh()
        return self._monotonic() - self._loaded_at > self._max_age and self._may_refresh()

    def _may_refresh(self) -> bool:
        if self._attempted_at is None:
            return True
        return self._monotonic() - self._attempted_at >= self._min_refresh_interval

    async def _refresh(self, *, reason: str) -> None:
        attempted_before = self._attempted_at
        async with self._lock:
            if self._attempted_at != attempted_before:
                return  # another task refreshed while this one waited
            self._attempted_at = self._monotonic()
            self.fetches += 1
            try:
                jwks = await self._loader()
            except (KeySourceError, httpx.HTTPError, SQLAlchemyError, OSError) as exc:
                # Keep verifying with the keys we have; the next refresh may succeed.
                log.warning("could not refresh the signing keys", reason=reason, error=str(exc))
                return
            self._keys = import_public_keys(jwks)
            self._loaded_at = self._monotonic()


def jwks_url_loader(url: str, http: httpx.AsyncClient) -> Loader:
    """Fetches ``{"keys": [...]}`` from a JWKS URL (the gateway's ``/.well-known/jwks.json``)."""

    async def load() -> list[dict[str, Any]]:
        response = await http.get(url, headers={"Accept": "application/json"})
        if response.status_code != 200:
            raise KeySourceError(f"{url} answered {response.status_code}")
        try:
            document = response.json()
        except ValueError:
            raise KeySourceError(f"{url} did not answer JSON") from None
        keys = document.get("keys") if isinstance(document, dict) else None
        if not isinstance(keys, list):
            raise KeySourceError(f"{url} did not answer a JWK set")
        return keys

    return load
