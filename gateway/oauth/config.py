"""Settings of the OAuth2 authorization server and of the token checks.

Nested into Strata's settings as ``oauth`` (``STRATA_OAUTH__ISSUER`` and so on).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from gateway.oauth.crypto import decode_secret
from gateway.oauth.throttle import ThrottleSettings

SigningAlgorithm = Literal["RS256", "ES256"]


class OAuthSettings(BaseModel):
    """How tokens are issued, signed and checked.

    ``signing_alg`` defaults to RS256: verification sits on the hot path of every request in
    every layer and RSA verification is several times faster than ECDSA's (signing, which is
    slower, happens once per token), and RS256 is the one algorithm every JWT library and API
    product accepts. ES256 is available for smaller tokens.
    """

    # Also the audience of the gateway's own endpoints; each API's is ``{issuer}{prefix}``.
    issuer: str = "http://127.0.0.1:8000"
    access_token_ttl_seconds: Annotated[int, Field(ge=30, le=86_400)] = 900
    refresh_token_ttl_seconds: Annotated[int, Field(ge=60, le=365 * 86_400)] = 30 * 86_400
    authorization_code_ttl_seconds: Annotated[int, Field(ge=10, le=600)] = 60
    authorization_request_ttl_seconds: Annotated[int, Field(ge=60, le=3_600)] = 600
    login_max_attempts: Annotated[int, Field(ge=1, le=20)] = 5
    # Failed passwords and client secrets, per account and address and per address.
    throttle: ThrottleSettings = ThrottleSettings()

    signing_alg: SigningAlgorithm = "RS256"
    # Encrypts signing keys at rest. Without it, one is generated once into ``secret_file``.
    secret_key: SecretStr | None = None
    secret_file: Path = Path(".strata/oauth-secret.key")
    # A retired key stays in the JWKS for the longest token lifetime plus this margin.
    key_rotation_overlap_seconds: Annotated[int, Field(ge=0, le=7 * 86_400)] = 300
    # A new key is published this long before it signs, so verifiers that cache the JWKS
    # (remote layers) know it before they see a token it signed. 0 suits one process.
    key_activation_delay_seconds: Annotated[int, Field(ge=0, le=86_400)] = 0
    # At start, a signing key older than this is rotated; None turns automatic rotation off.
    signing_key_max_age_days: Annotated[int, Field(ge=1, le=3_650)] | None = 90

    leeway_seconds: Annotated[int, Field(ge=0, le=300)] = 30
    verified_token_cache_size: Annotated[int, Field(ge=0, le=1_000_000)] = 10_000
    revocation_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 1.0
    key_min_refresh_seconds: Annotated[float, Field(ge=0, le=3_600)] = 1.0
    key_max_age_seconds: Annotated[float, Field(gt=0, le=86_400)] = 300.0
    purge_interval_seconds: Annotated[float, Field(gt=0, le=86_400)] = 3_600.0

    # argon2id cost for client secrets and user passwords (RFC 9106 low-memory profile).
    password_hash_time_cost: Annotated[int, Field(ge=1, le=20)] = 3
    password_hash_memory_kib: Annotated[int, Field(ge=64, le=4_194_304)] = 65_536

    @model_validator(mode="before")
    @classmethod
    def _no_single_audience(cls, values: Any) -> Any:
        # An old config naming one audience for every token would otherwise be ignored.
        if isinstance(values, dict) and "audience" in values:
            raise ValueError(
                "audience is no longer a setting: each API's tokens are for its URL at the "
                "gateway (issuer + prefix), the gateway's own endpoints' for the issuer"
            )
        return values

    @field_validator("secret_key")
    @classmethod
    def _secret_key_is_base64url(cls, value: SecretStr | None) -> SecretStr | None:
        # The same encoding as the secret file, so either can be copied into the other.
        if value is not None:
            decode_secret(value.get_secret_value())
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_plain_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("the issuer must be an http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError("the issuer must not have a query or a fragment")
        return value.rstrip("/")

    @property
    def issuer_is_secure(self) -> bool:
        return self.issuer.startswith("https://")

    @property
    def longest_token_ttl_seconds(self) -> int:
        """How long a token signed now may stay valid, leeway included."""
        return self.access_token_ttl_seconds + self.leeway_seconds
