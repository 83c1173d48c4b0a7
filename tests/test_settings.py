"""Settings: environment variables, nested backends, and one clear line for a bad value."""

from __future__ import annotations

import secrets

import pytest

from gateway.oauth.audiences import api_audience
from gateway.oauth.config import OAuthSettings
from strata.errors import ConfigurationError
from strata.settings import load_settings


def test_defaults_are_the_embedded_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("STRATA_DATABASE_URL", "STRATA_PORT", "STRATA_REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    settings = load_settings()
    assert settings.port == 8000
    assert settings.async_database_url.startswith("sqlite+aiosqlite:///")
    assert settings.redis_url is None
    assert settings.crm.url is None


def test_environment_overrides_and_nested_backend_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRATA_DATABASE_URL", "postgresql://u@db:5432/strata")
    monkeypatch.setenv("STRATA_ERP__URL", "http://erp.internal:9000")
    monkeypatch.setenv("STRATA_CRM__FAULTS__ERROR_RATE", "0.25")
    settings = load_settings()
    assert settings.async_database_url == "postgresql+psycopg://u@db:5432/strata"
    assert str(settings.erp.url) == "http://erp.internal:9000/"
    assert settings.crm.faults.error_rate == 0.25


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("STRATA_PORT", "eighty", "STRATA_PORT"),
        ("STRATA_DATABASE_URL", "mysql://x/y", "STRATA_DATABASE_URL"),
        ("STRATA_DATABASE_URL", "not a url", "STRATA_DATABASE_URL"),
        ("STRATA_CRM__FAULTS__ERROR_RATE", "2", "STRATA_CRM__FAULTS__ERROR_RATE"),
        ("STRATA_LOG_LEVEL", "loud", "STRATA_LOG_LEVEL"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    expected: str,
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message


def test_trusted_proxies_are_addresses_or_networks_and_none_by_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert load_settings().forwarded_allow_ips == ()
    monkeypatch.setenv("STRATA_FORWARDED_ALLOW_IPS", "10.0.0.7, 192.168.0.0/16,fd00::/8")

    trusted = [str(network) for network in load_settings().forwarded_allow_ips]

    assert trusted == ["10.0.0.7/32", "192.168.0.0/16", "fd00::/8"]


@pytest.mark.parametrize("value", ["*", "10.0.0.1/8", "proxy.example"])
def test_a_wildcard_or_a_name_is_not_a_trusted_proxy(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    # uvicorn's "*" would take the left-most X-Forwarded-For address: the client's own claim.
    monkeypatch.setenv("STRATA_FORWARDED_ALLOW_IPS", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert "STRATA_FORWARDED_ALLOW_IPS" in str(caught.value)


@pytest.mark.parametrize(
    ("host", "port", "issuer"),
    [
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("127.0.0.1", 8123, "http://127.0.0.1:8123"),
        ("0.0.0.0", 9000, "http://127.0.0.1:9000"),
        ("::", 9000, "http://127.0.0.1:9000"),
        ("::1", 8123, "http://[::1]:8123"),
        ("localhost", 80, "http://localhost"),
        ("gateway.internal", 8443, "http://gateway.internal:8443"),
    ],
)
def test_the_issuer_follows_host_and_port_unless_set(
    monkeypatch: pytest.MonkeyPatch, host: str, port: int, issuer: str
) -> None:
    monkeypatch.delenv("STRATA_OAUTH__ISSUER", raising=False)
    monkeypatch.setenv("STRATA_OAUTH__LEEWAY_SECONDS", "10")  # other OAuth settings given
    settings = load_settings(host=host, port=port)
    assert settings.oauth.issuer == issuer
    assert settings.oauth.leeway_seconds == 10
    assert api_audience(settings.oauth.issuer, "/system/crm/v1") == f"{issuer}/system/crm/v1"


def test_a_set_issuer_stays_whatever_the_port(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATA_OAUTH__ISSUER", "https://api.example.com/")
    monkeypatch.setenv("STRATA_PORT", "8123")
    assert load_settings().oauth.issuer == "https://api.example.com"


def test_oauth_settings_alone_keep_their_default_issuer() -> None:
    assert OAuthSettings().issuer == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("my old passphrase, long enough", "must be base64url"),
        ("nVdSNXf2k1pJKelAR4NHug", "decodes to 16 bytes, fewer than 32"),  # fixed for xdist
    ],
)
def test_a_secret_key_not_in_the_files_encoding_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, value: str, reason: str
) -> None:
    monkeypatch.setenv("STRATA_OAUTH__SECRET_KEY", value)
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    message = str(caught.value)
    assert message.startswith(f"invalid setting STRATA_OAUTH__SECRET_KEY: {reason}")
    assert "Value error" not in message and "\n" not in message
    assert value not in message


def test_a_secret_key_in_the_files_encoding_is_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    value = secrets.token_urlsafe(32)
    monkeypatch.setenv("STRATA_OAUTH__SECRET_KEY", value)
    secret = load_settings().oauth.secret_key
    assert secret is not None and secret.get_secret_value() == value
