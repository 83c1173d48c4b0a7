"""Secrets at rest: the key that encrypts signing keys, password hashing, token digests."""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import os
import re
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from strata.errors import ConfigurationError

if TYPE_CHECKING:
    from gateway.oauth.config import OAuthSettings

_NONCE_BYTES = 12
_KEY_INFO = b"strata/oauth/signing-keys/v1"
SECRET_MIN_BYTES = 32
# The URL-safe alphabet only: base64's own decoder would drop any other character silently.
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+={0,2}")
_HOW_TO_MAKE = 'make one with: python3 -c "import secrets; print(secrets.token_urlsafe(32))"'


def new_token(nbytes: int = 32) -> str:
    """An unguessable URL-safe value (refresh tokens, codes, ids of one-time forms)."""
    return secrets.token_urlsafe(nbytes)


def digest(value: str) -> str:
    """SHA-256 hex digest: how refresh tokens, codes and browser bindings are stored. Their
    entropy makes a slow hash pointless; the digest keeps a database dump from being usable."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


class KeyCipher:
    """AES-256-GCM under a key derived (HKDF) from the configured secret. Each ciphertext
    carries its nonce and is bound to its key id, so a row cannot be swapped for another.

    ``purpose`` (the HKDF info) gives each kind of secret a key of its own, so a ciphertext
    of one kind never decrypts as another; ``holds`` names that kind in error messages."""

    def __init__(
        self, secret: bytes, *, purpose: bytes = _KEY_INFO, holds: str = "signing key"
    ) -> None:
        if len(secret) < 16:
            raise ConfigurationError("the OAuth secret key must be at least 16 bytes long")
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret)
        self._aead = AESGCM(key)
        self._holds = holds

    def encrypt(self, plaintext: bytes, kid: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, plaintext, kid.encode("utf-8"))

    def decrypt(self, blob: bytes, kid: str) -> bytes:
        try:
            return self._aead.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], kid.encode())
        except InvalidTag:
            raise ConfigurationError(
                f"{self._holds} {kid!r} cannot be decrypted: the OAuth secret key "
                "(STRATA_OAUTH__SECRET_KEY or its secret file) is not the one it was stored with"
            ) from None


def decode_secret(text: str) -> bytes:
    """The bytes of a secret written as base64url (padding optional), as the secret file and
    ``STRATA_OAUTH__SECRET_KEY`` both hold it; ValueError saying what is wrong."""
    value = text.strip()
    if not _BASE64URL.fullmatch(value):
        raise ValueError("must be base64url (letters, digits, '-' and '_'); " + _HOW_TO_MAKE)
    unpadded = value.rstrip("=")
    try:
        decoded = base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except binascii.Error:
        raise ValueError("is not valid base64url (wrong length); " + _HOW_TO_MAKE) from None
    if len(decoded) < SECRET_MIN_BYTES:
        raise ValueError(
            f"decodes to {len(decoded)} bytes, fewer than {SECRET_MIN_BYTES}; " + _HOW_TO_MAKE
        )
    return decoded


def load_secret(settings: OAuthSettings) -> bytes:
    """The configured secret, or the one kept in ``secret_file`` (made on first use): the
    bytes both encode as base64url."""
    if settings.secret_key is not None:
        try:
            return decode_secret(settings.secret_key.get_secret_value())
        except ValueError as exc:
            raise ConfigurationError(f"invalid setting STRATA_OAUTH__SECRET_KEY: {exc}") from None
    return _secret_from_file(settings.secret_file)


def _secret_from_file(path: Path) -> bytes:
    if not path.exists():
        _create_secret_file(path)
    try:
        return decode_secret(path.read_text(encoding="ascii"))
    except (OSError, UnicodeError, ValueError) as exc:
        raise ConfigurationError(f"cannot read the OAuth secret file {path}: {exc}") from None


def _create_secret_file(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    content = base64.urlsafe_b64encode(os.urandom(SECRET_MIN_BYTES))
    try:
        # O_EXCL: when several processes start at once, exactly one writes the file.
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(descriptor, "wb") as file:
        file.write(content + b"\n")


class Passwords:
    """argon2id hashing for client secrets and user passwords, off the event loop."""

    def __init__(self, time_cost: int = 3, memory_kib: int = 65_536) -> None:
        self._hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
        # Verified against when the account does not exist, so that the answer takes as long.
        self._decoy = self._hasher.hash(secrets.token_urlsafe(16))

    @classmethod
    def from_settings(cls, settings: OAuthSettings) -> Passwords:
        return cls(settings.password_hash_time_cost, settings.password_hash_memory_kib)

    def hash(self, plain: str) -> str:
        return self._hasher.hash(plain)

    async def hash_async(self, plain: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, plain)

    async def verify(self, hashed: str | None, plain: str) -> bool:
        return await asyncio.to_thread(self._verify, hashed, plain)

    def _verify(self, hashed: str | None, plain: str) -> bool:
        try:
            return self._hasher.verify(hashed or self._decoy, plain) and hashed is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, hashed: str) -> bool:
        return self._hasher.check_needs_rehash(hashed)
