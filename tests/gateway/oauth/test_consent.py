"""What the consent page says about an app: who made it and where it returns the person."""

from __future__ import annotations

import pytest

from gateway.oauth.clients import redirect_destination
from gateway.oauth.consent import maker_of


@pytest.mark.parametrize(
    ("uri", "shown"),
    [
        ("https://app.example/callback", "app.example"),
        ("https://app.example:8443/cb?x=1", "app.example:8443"),
        ("https://user:secret@app.example/cb", "app.example"),  # never the credentials
        ("http://127.0.0.1:50123/callback", "127.0.0.1:50123"),
        ("http://[::1]:8080/callback", "[::1]:8080"),
        ("dev.strata.mobile:/oauth/callback", "dev.strata.mobile"),
        ("com.example.app://callback", "com.example.app"),
    ],
)
def test_the_return_host(uri: str, shown: str) -> None:
    assert redirect_destination(uri) == shown


def test_the_maker() -> None:
    assert maker_of(True, None, False) == "Strata's own app"
    # First party wins, even with an owner recorded.
    assert maker_of(True, ("Devi Developer", "devi"), True) == "Strata's own app"
    assert (
        maker_of(False, ("Devi Developer", "devi"), True)
        == "a third-party app made by Devi Developer (devi)"
    )
    assert maker_of(False, None, False) == "registered by an operator"
    # An owner whose account is gone is not vouched for as an operator's.
    assert "no longer known" in maker_of(False, None, True)
