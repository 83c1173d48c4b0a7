"""Settings: environment variables (``STRATA_*``) or a ``.env`` file, validated at start."""

from __future__ import annotations

from functools import cached_property
from ipaddress import ip_address
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    BaseModel,
    Field,
    IPvAnyNetwork,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from gateway.oauth.config import OAuthSettings
from gateway.proxy.cors import CorsSettings
from gateway.ratelimit.config import RateLimitSettings
from gateway.registry.config import RegistrySettings
from strata.errors import ConfigurationError, error_message
from strata.server_settings import ServerSettings

LogFormat = Literal["console", "json"]
LogLevel = Literal["debug", "info", "warning", "error"]
BACKEND_NAMES = ("crm", "erp", "inventory")


class FaultSettings(BaseModel):
    """Faults a backend injects from the start (tests and chaos drills; all off by default)."""

    latency_ms: Annotated[int, Field(ge=0, le=600_000)] = 0
    error_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    junk_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 0.0
    outage: bool = False


class BackendSettings(BaseModel):
    """Where one backend lives. Without a URL it runs inside this process."""

    url: AnyHttpUrl | None = None
    faults: FaultSettings = FaultSettings()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="STRATA_",
        env_file=".env",
        env_nested_delimiter="__",
        extra="ignore",
    )

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=1, le=65535)] = 8000
    database_url: str = "sqlite+aiosqlite:///./strata.db"
    database_echo: bool = False
    redis_url: str | None = None
    seed_demo_data: bool = True
    log_level: LogLevel = "info"
    log_format: LogFormat = "console"
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1_048_576
    backend_timeout_seconds: Annotated[float, Field(gt=0, le=300)] = 5.0
    backend_retries: Annotated[int, Field(ge=0, le=10)] = 2

    oauth: OAuthSettings = OAuthSettings()
    rate_limits: RateLimitSettings = RateLimitSettings()
    server: ServerSettings = ServerSettings()
    # The reverse proxies whose X-Forwarded-For names the client (addresses or CIDRs, comma
    # separated); none by default, so a client cannot pick the address it is limited by.
    forwarded_allow_ips: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = ()
    registry_poll_seconds: Annotated[float, Field(gt=0, le=60)] = 0.5
    registry: RegistrySettings = RegistrySettings()
    cors: CorsSettings = CorsSettings()

    crm: BackendSettings = BackendSettings()
    erp: BackendSettings = BackendSettings()
    inventory: BackendSettings = BackendSettings()

    @field_validator("database_url")
    @classmethod
    def _database_url_is_supported(cls, value: str) -> str:
        try:
            url = make_url(value)
        except ArgumentError as exc:
            raise ValueError(f"not a database URL ({exc})") from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only sqlite and postgresql databases are supported")
        return value

    @field_validator("forwarded_allow_ips", mode="before")
    @classmethod
    def _addresses_from_a_list(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(item.strip() for item in value.split(",") if item.strip())
        return value

    @model_validator(mode="after")
    def _issuer_follows_host_and_port(self) -> Settings:
        # Sign-in returns to the issuer, so unless it is set it is where this server listens.
        if "issuer" not in self.oauth.model_fields_set:
            issuer = local_url(self.host, self.port)
            self.oauth = self.oauth.model_copy(update={"issuer": issuer})
        return self

    @cached_property
    def async_database_url(self) -> str:
        """The URL with an async driver, so ``postgresql://`` works as users expect."""
        url = make_url(self.database_url)
        async_driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+psycopg"}
        url = url.set(drivername=async_driver[url.get_backend_name()])
        return url.render_as_string(hide_password=False)

    def backend(self, name: str) -> BackendSettings:
        backend: BackendSettings = getattr(self, name)
        return backend


def local_url(host: str, port: int) -> str:
    """The URL of a server bound to ``host`` and ``port``: an unspecified address (0.0.0.0,
    ::) is reached on 127.0.0.1, an IPv6 address is bracketed, and port 80 goes unsaid (as
    browsers write the origin, so redirect URIs match it)."""
    try:
        address = ip_address(host.strip("[]"))
    except ValueError:
        return _http_url(host, port)  # a host name
    if address.is_unspecified:
        return _http_url("127.0.0.1", port)
    return _http_url(f"[{address}]" if address.version == 6 else str(address), port)


def _http_url(name: str, port: int) -> str:
    return f"http://{name}" if port == 80 else f"http://{name}:{port}"


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings; a bad value raises one clear line naming the setting."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "STRATA_" + "__".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"invalid setting {name}: {error_message(first)}") from None
