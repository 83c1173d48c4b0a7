"""What a registered API's upstream receives, as stored and as routed.

The ``gw_apis.upstream_auth`` column holds the plain part (``{"mode": "api_key", "header":
"X-API-Key"}``); the secret part (the key's value) is AES-GCM encrypted into
``upstream_secret_encrypted`` under a key derived from the OAuth secret key, as the signing
keys are, and bound to the API's name, so a ciphertext copied onto another row does not open.
Routes get the decrypted secret when the route table is built, once per registry revision.
"""

from __future__ import annotations

from typing import Any

import structlog

from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import KeyCipher, load_secret
from gateway.registry.schemas import ApiKeyUpstreamAuth, UpstreamAuthOut, UpstreamAuthSetting
from gateway.routes import IDENTITY_HEADER, NO_UPSTREAM_AUTH, UpstreamAuth
from strata.errors import ConfigurationError

log = structlog.get_logger(__name__)

UPSTREAM_SECRET_PURPOSE = b"strata/registry/upstream-secrets/v1"
StoredAuth = dict[str, Any]


class UpstreamSecrets:
    """Seals and opens the upstream credentials of registered APIs."""

    def __init__(self, cipher: KeyCipher) -> None:
        self._cipher = cipher

    @classmethod
    def from_secret(cls, secret: bytes) -> UpstreamSecrets:
        return cls(KeyCipher(secret, purpose=UPSTREAM_SECRET_PURPOSE, holds="upstream secret"))

    @classmethod
    def from_settings(cls, settings: OAuthSettings) -> UpstreamSecrets:
        return cls.from_secret(load_secret(settings))

    def seal(self, api: str, secret: str) -> bytes:
        return self._cipher.encrypt(secret.encode("utf-8"), _bound_to(api))

    def open(self, api: str, blob: bytes) -> str:
        """The secret; raises :class:`~strata.errors.ConfigurationError` when it does not
        decrypt (another secret key, or a row tampered with)."""
        return self._cipher.decrypt(blob, _bound_to(api)).decode("utf-8")


def _bound_to(api: str) -> str:
    return f"gw_apis/{api}"


def stored(setting: UpstreamAuthSetting) -> tuple[StoredAuth, str | None]:
    """The column's JSON (no secret in it) and the secret to encrypt, if any."""
    if isinstance(setting, ApiKeyUpstreamAuth):
        return {"mode": setting.mode, "header": setting.header}, setting.value.get_secret_value()
    return {"mode": setting.mode}, None


def described(value: StoredAuth | None) -> UpstreamAuth:
    """The stored setting without its secret (what the admin API may show)."""
    if not value or value.get("mode", "none") == "none":
        return NO_UPSTREAM_AUTH
    header = value.get("header")
    return UpstreamAuth(mode=str(value["mode"]), header=header if isinstance(header, str) else None)


def shown(auth: UpstreamAuth) -> UpstreamAuthOut:
    """The admin API's view: the mode and the header, never a secret."""
    if auth.mode == "identity":
        return UpstreamAuthOut(mode="identity", header=IDENTITY_HEADER)
    if auth.mode == "api_key":
        return UpstreamAuthOut(mode="api_key", header=auth.header)
    return UpstreamAuthOut(mode="none")


def routed(
    api: str, value: StoredAuth | None, blob: bytes | None, secrets: UpstreamSecrets | None
) -> UpstreamAuth:
    """The setting as a route carries it: with the secret decrypted, or marked unreadable
    (the route then refuses to forward rather than call the upstream without it)."""
    auth = described(value)
    if blob is None:
        return auth if auth.mode != "api_key" else _unreadable(auth)
    if secrets is None:
        log.error("no key to decrypt an API's upstream secret with; it is refused", api=api)
        return _unreadable(auth)
    try:
        secret = secrets.open(api, blob)
    except (ConfigurationError, UnicodeDecodeError) as exc:
        log.error(
            "an API's upstream secret cannot be decrypted; it is refused", api=api, error=str(exc)
        )
        return _unreadable(auth)
    return UpstreamAuth(mode=auth.mode, header=auth.header, secret=secret)


def _unreadable(auth: UpstreamAuth) -> UpstreamAuth:
    return UpstreamAuth(mode=auth.mode, header=auth.header, unreadable=True)
