"""Settings: environment variables, nested backends, and one clear line for a bad value."""

from __future__ import annotations

import pytest

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
