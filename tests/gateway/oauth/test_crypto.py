"""The OAuth secret has one encoding: base64url of at least 32 random bytes, whether it is
set in STRATA_OAUTH__SECRET_KEY or kept in the secret file."""

import base64
import os
import secrets
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from gateway.oauth.config import OAuthSettings
from gateway.oauth.crypto import decode_secret, load_secret
from strata.errors import ConfigurationError


def test_the_variable_holds_exactly_what_the_file_holds(tmp_path: Path) -> None:
    path = tmp_path / "oauth-secret.key"
    from_file = load_secret(OAuthSettings(secret_file=path))  # made on first use
    copied = OAuthSettings(secret_key=path.read_text().strip(), secret_file=tmp_path / "unused")

    assert load_secret(copied) == from_file
    assert len(from_file) == 32


def test_padding_is_optional() -> None:
    raw = os.urandom(32)
    padded = base64.urlsafe_b64encode(raw).decode()
    assert padded.endswith("=")
    assert decode_secret(padded) == decode_secret(padded.rstrip("=")) == raw


def test_the_value_is_decoded_not_used_as_text() -> None:
    value = secrets.token_urlsafe(48)
    settings = OAuthSettings(secret_key=value)
    assert load_secret(settings) == base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("test secret key, long enough to be sure", "must be base64url"),
        ("a+b/" * 12, "must be base64url"),  # standard base64, not the URL-safe alphabet
        ("sSumvnGeGXhHUWTaJRQNL19YdT5yj4-l", "fewer than 32"),  # 24 bytes; fixed, so workers agree
        ("a" * 45, "wrong length"),
        ("", "must be base64url"),
    ],
)
def test_a_bad_value_is_refused_saying_why(value: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as caught:
        decode_secret(value)
    assert "secrets.token_urlsafe(32)" in str(caught.value)
    with pytest.raises(ValidationError, match=reason):
        OAuthSettings(secret_key=value)


def test_load_secret_names_the_setting_for_a_value_built_without_validation() -> None:
    unchecked = OAuthSettings.model_construct(secret_key=SecretStr("not base64url!"))
    with pytest.raises(ConfigurationError, match="invalid setting STRATA_OAUTH__SECRET_KEY"):
        load_secret(unchecked)


def test_a_secret_file_with_a_short_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "oauth-secret.key"
    path.write_text(base64.urlsafe_b64encode(os.urandom(16)).decode() + "\n")
    with pytest.raises(ConfigurationError, match=r"secret file .*fewer than 32"):
        load_secret(OAuthSettings(secret_file=path))
