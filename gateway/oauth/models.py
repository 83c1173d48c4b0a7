"""Tables of the authorization server: clients, users, signing keys, codes and tokens.

Secrets never sit in plain text: client secrets and passwords are argon2 hashes, refresh
tokens and authorization codes are stored as SHA-256 digests, private keys are AES-GCM
encrypted. Access tokens are JWTs; each one issued has a row so that it can be revoked and
every gateway process can learn of the revocation (``revoked_at`` is polled).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from strata.db import Base, UTCDateTime, utcnow


class OAuthClient(Base):
    __tablename__ = "oauth_clients"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(255))
    is_public: Mapped[bool] = mapped_column(Boolean)
    scopes: Mapped[str] = mapped_column(Text)
    tier: Mapped[str] = mapped_column(String(32))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The developer who registered it on the portal; None for operator-made and seeded ones.
    owner_user_id: Mapped[str | None] = mapped_column(String(64), index=True)
    # "active", or "pending" while a self-service app with back-office scopes waits for an
    # operator's approval (a pending app gets no token).
    status: Mapped[str] = mapped_column(String(16), default="active", server_default="active")
    # Strata's own apps (seeded); the consent page names every other app's maker.
    first_party: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")

    @property
    def scope_list(self) -> tuple[str, ...]:
        return tuple(self.scopes.split())

    @property
    def grant_types(self) -> tuple[str, ...]:
        if self.is_public:
            return ("authorization_code", "refresh_token")
        if self.redirect_uris:
            return ("client_credentials", "authorization_code", "refresh_token")
        return ("client_credentials",)


class OAuthUser(Base):
    __tablename__ = "oauth_users"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(200))
    customer_id: Mapped[str | None] = mapped_column(String(64))
    # Space-separated, from gateway.oauth.roles.ROLES.
    roles: Mapped[str] = mapped_column(String(200), default="customer", server_default="customer")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def role_list(self) -> tuple[str, ...]:
        return tuple(self.roles.split())


class SigningKey(Base):
    """One signing key. It signs from ``activates_at`` until ``retires_at`` and is published
    in the JWKS from creation until ``publish_until`` (set when it retires)."""

    __tablename__ = "oauth_signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    alg: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    activates_at: Mapped[datetime] = mapped_column(UTCDateTime())
    retires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    publish_until: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorizationRequest(Base):
    """A pending authorization (the login and consent form). Its id is the form's one-time
    value; ``browser_binding_hash`` ties it to the browser that opened it (a cookie)."""

    __tablename__ = "oauth_authorization_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    redirect_uri_given: Mapped[bool] = mapped_column(Boolean)
    scope: Mapped[str] = mapped_column(Text)
    state: Mapped[str | None] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    # Space-separated RFC 8707 resource indicators asked for; None: by the scopes.
    resource: Mapped[str | None] = mapped_column(Text)
    browser_binding_hash: Mapped[str] = mapped_column(String(64))
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AuthorizationCode(Base):
    __tablename__ = "oauth_authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("oauth_users.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(Text)
    redirect_uri_given: Mapped[bool] = mapped_column(Boolean)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    # Space-separated RFC 8707 resource indicators asked for; None: by the scopes.
    resource: Mapped[str | None] = mapped_column(Text)
    # The token family the exchange creates, known up front so that a replayed code can
    # revoke every token issued from it.
    family_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TokenFamily(Base):
    """Every refresh token (and access token) descending from one authorization. Rotation
    and revocation both update this row, so they cannot interleave."""

    __tablename__ = "oauth_token_families"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("oauth_users.id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    # Space-separated RFC 8707 resource indicators asked for; None: by the scopes.
    resource: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rotated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_reason: Mapped[str | None] = mapped_column(String(64))


class RefreshToken(Base):
    __tablename__ = "oauth_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(ForeignKey("oauth_token_families.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AccessToken(Base):
    __tablename__ = "oauth_access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(ForeignKey("oauth_users.id"), index=True)
    family_id: Mapped[str | None] = mapped_column(ForeignKey("oauth_token_families.id"), index=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
