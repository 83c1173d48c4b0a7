"""`strata login` and where `strata call` takes its client and gateway from: options, then
the environment, then the saved profile."""

from __future__ import annotations

import json
from pathlib import Path

from commands.support import Assembled, Cli, mode_of
from strata.credentials import ClientCredentials, Connection, Profile, save_profile

CUSTOMERS = "/system/crm/v1/customers?limit=2"
TOKEN_PATH = "/oauth/token"


def test_without_a_client_it_says_how_to_configure_one(cli: Cli) -> None:
    outcome = cli.call("GET", CUSTOMERS)
    assert outcome.status == 2
    assert "strata login --client-id" in outcome.stderr
    assert "STRATA_CLIENT_ID" in outcome.stderr
    assert cli.transport is not None and cli.transport.requests == []


def cache_keys(cli: Cli) -> set[str]:
    return set(cli.cached())


def test_options_win_over_the_environment_which_wins_over_the_profile(
    assembled: Assembled, tmp_path: Path
) -> None:
    saved, from_env, given = (assembled.client("crm:read") for _ in range(3))
    transport = assembled.transport()
    home = tmp_path / "home"
    profile_cli = Cli(home, transport, env={"STRATA_GATEWAY_URL": ""})
    save_profile(profile_cli.home / "config" / "client.json", Profile(saved, "http://saved.test"))

    assert profile_cli.call("GET", CUSTOMERS).status == 0
    assert cache_keys(profile_cli) == {f"http://saved.test {saved.client_id} "}

    env_cli = Cli(
        home,
        transport,
        env={
            "STRATA_GATEWAY_URL": "http://env.test/",
            "STRATA_CLIENT_ID": from_env.client_id,
            "STRATA_CLIENT_SECRET": from_env.client_secret,
        },
    )
    assert env_cli.call("GET", CUSTOMERS).status == 0
    assert f"http://env.test {from_env.client_id} " in cache_keys(env_cli)

    options = Connection(
        gateway="http://option.test",
        client_id=given.client_id,
        client_secret=given.client_secret,
    )
    assert env_cli.call("GET", CUSTOMERS, connection=options).status == 0
    assert f"http://option.test {given.client_id} " in cache_keys(env_cli)


def test_half_a_client_or_a_bad_gateway_is_a_usage_error(
    cli: Cli, reader: ClientCredentials
) -> None:
    half = cli.call("GET", CUSTOMERS, connection=Connection(client_id=reader.client_id))
    assert half.status == 2
    assert "--client-id and --client-secret go together" in half.stderr
    bad_gateway = Connection(
        gateway="ftp://gateway.test",
        client_id=reader.client_id,
        client_secret=reader.client_secret,
    )
    bad = cli.call("GET", CUSTOMERS, connection=bad_gateway)
    assert bad.status == 2
    assert "--gateway must be an http(s) URL" in bad.stderr


def test_a_broken_profile_is_named(cli: Cli) -> None:
    profile = cli.home / "config" / "client.json"
    profile.parent.mkdir(parents=True)
    profile.write_text("[]")
    outcome = cli.call("GET", CUSTOMERS)
    assert outcome.status == 2
    assert str(profile) in outcome.stderr


def test_login_checks_the_secret_then_saves_a_private_profile(
    cli: Cli, reader: ClientCredentials
) -> None:
    profile = cli.home / "config" / "client.json"
    wrong = cli.login(ClientCredentials(reader.client_id, "wrong-secret"))
    assert wrong.status == 1
    assert "not saved" in wrong.stderr
    assert not profile.exists()

    saved = cli.login(reader, gateway="https://gateway.test/")
    assert saved.status == 0, saved.stderr
    assert reader.client_secret not in saved.stdout + saved.stderr
    assert mode_of(profile) == 0o600
    assert json.loads(profile.read_text()) == {
        "client_id": reader.client_id,
        "client_secret": reader.client_secret,
        "gateway_url": "https://gateway.test",
    }
    # The token login got is the one the next call uses.
    assert cli.call("GET", CUSTOMERS).status == 0
    assert cli.transport is not None and cli.transport.paths(TOKEN_PATH) == 2
