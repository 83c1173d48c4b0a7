"""Acceptance: two `strata serve` processes on one PostgreSQL and one Redis act as one gateway
(tokens, revocations, registry changes and rate limits are shared)."""

from __future__ import annotations

import secrets
import time
import warnings
from collections.abc import Callable, Iterator

import pytest

from tests.acceptance_support import (
    REDIS_URL,
    GatewayClient,
    ServiceProcess,
    admin_gateway,
    create_postgres_database,
    delete_redis_keys,
    drop_postgres_database,
    ping_redis,
    served_by,
    unavailable,
)
from tests.support_server import Server, start_server, stop

with warnings.catch_warnings():
    # authlib warns that plain httpx (rather than httpx2) is deprecated; httpx is what we use.
    warnings.simplefilter("ignore")

# A small tier of our own, so the limit is reached in a few dozen calls: 30 reads at once,
# then one a second.
TRIAL_READ_BURST = 30
SERVER_ENV = {
    "STRATA_RATE_LIMITS__TIERS__TRIAL__READ": f"60/min burst {TRIAL_READ_BURST}",
    "STRATA_RATE_LIMITS__TIERS__TRIAL__WRITE": "20/min burst 5",
    # Cheap hashing keeps the many client secrets of these tests quick to check.
    "STRATA_OAUTH__PASSWORD_HASH_TIME_COST": "1",
    "STRATA_OAUTH__PASSWORD_HASH_MEMORY_KIB": "64",
}
ROUTING_DEADLINE_SECONDS = 2.0


# --- 6. two gateway processes on one PostgreSQL and one Redis ----------------------------------


SHARED_READ_BURST = 10


def scale_out(test: Callable[..., None]) -> Callable[..., None]:
    """Marks a test that needs the PostgreSQL server and Redis (skipped without them,
    unless services are required)."""
    marked: Callable[..., None] = pytest.mark.postgres(pytest.mark.redis(test))
    return marked


@pytest.fixture(scope="module")
def postgres_database() -> Iterator[str]:
    try:
        url = create_postgres_database()
    except Exception as exc:
        unavailable(f"PostgreSQL is not reachable: {exc}")
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(scope="module")
def redis_prefix() -> Iterator[str]:
    try:
        ping_redis()
    except Exception as exc:
        unavailable(f"Redis is not reachable: {exc}")
    prefix = f"strata:rl:acceptance-{secrets.token_hex(4)}:"
    try:
        yield prefix
    finally:
        delete_redis_keys(prefix)


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory, postgres_database: str, redis_prefix: str
) -> Iterator[tuple[Server, Server]]:
    """Two `strata serve` processes behind one issuer, on one database and one Redis."""
    directory = tmp_path_factory.mktemp("scale-out")
    env = {
        **SERVER_ENV,
        "STRATA_DATABASE_URL": postgres_database,
        "STRATA_REDIS_URL": REDIS_URL,
        "STRATA_RATE_LIMITS__KEY_PREFIX": redis_prefix,
        "STRATA_RATE_LIMITS__TIERS__TRIAL__READ": f"10/min burst {SHARED_READ_BURST}",
        "STRATA_OAUTH__SECRET_KEY": secrets.token_urlsafe(32),
        # Behind one load balancer: set, the issuer is the same for both ports.
        "STRATA_OAUTH__ISSUER": "http://127.0.0.1:8000",
    }
    first = start_server(directory, env, name="first")
    try:
        # Started once the first has migrated and seeded the shared database.
        second = start_server(directory, env, name="second")
        try:
            yield first, second
        finally:
            stop(second)
    finally:
        stop(first)


@pytest.fixture(scope="module")
def both(pair: tuple[Server, Server]) -> Iterator[tuple[GatewayClient, GatewayClient]]:
    """An admin's gateway client for each of the two processes."""
    one = admin_gateway(pair[0])
    try:
        two = GatewayClient(pair[1].base_url, one.admin_token)
        try:
            yield one, two
        finally:
            two.close()
    finally:
        one.close()


INVENTORY = "/system/inventory/v1/products?limit=1"


@scale_out
def test_a_token_issued_by_one_process_is_accepted_by_the_other(
    both: tuple[GatewayClient, GatewayClient],
) -> None:
    one, two = both
    client = one.create_client("inventory:read")
    from_one = one.token(client, "inventory:read")
    from_two = two.token(client, "inventory:read")
    assert two.call("GET", INVENTORY, from_one).status_code == 200
    assert one.call("GET", INVENTORY, from_two).status_code == 200


@scale_out
def test_a_token_revoked_at_one_process_is_refused_by_the_other_within_two_seconds(
    both: tuple[GatewayClient, GatewayClient],
) -> None:
    one, two = both
    client = two.create_client("inventory:read")
    token = one.token(client, "inventory:read")
    assert two.call("GET", INVENTORY, token).status_code == 200  # verified, and cached there

    one.revoke(client, token)
    revoked_at = time.monotonic()
    assert one.call("GET", INVENTORY, token).status_code == 401
    while (answer := two.call("GET", INVENTORY, token)).status_code == 200:
        assert time.monotonic() - revoked_at < ROUTING_DEADLINE_SECONDS + 0.5, (
            "the other process still accepts the revoked token"
        )
        time.sleep(0.05)
    assert answer.status_code == 401, answer.text
    assert "revoked" in answer.headers["www-authenticate"]


@scale_out
def test_an_api_registered_at_one_process_is_routed_and_granted_by_the_other(
    both: tuple[GatewayClient, GatewayClient], east: ServiceProcess
) -> None:
    one, two = both
    one.register_api(
        name="parcels",
        layer="system",
        version=1,
        targets=[east.url],
        openapi_url=f"{east.url}/openapi.json",
        read_scope="parcels:read",
        write_scope="parcels:write",
    )
    registered_at = time.monotonic()
    while two.call("GET", "/system/parcels/v1/shipments").status_code == 404:
        assert time.monotonic() - registered_at < ROUTING_DEADLINE_SECONDS
        time.sleep(0.02)
    # The other process learnt the new scopes too: it grants them and honours them.
    client = two.create_client("parcels:read")
    answer = two.call("GET", "/system/parcels/v1/shipments", two.token(client, "parcels:read"))
    assert served_by(answer) == "east"


@scale_out
def test_two_processes_together_allow_the_rate_limit_not_twice_it(
    both: tuple[GatewayClient, GatewayClient],
) -> None:
    one, two = both
    client = one.create_client("inventory:read", tier="trial")
    token = one.token(client, "inventory:read")

    answers = [
        (gateway.call("GET", INVENTORY, token), name)
        for _ in range(SHARED_READ_BURST)
        for gateway, name in ((one, "one"), (two, "two"))
    ]

    allowed = [answer for answer, _ in answers if answer.status_code == 200]
    refused_by = {name for answer, name in answers if answer.status_code == 429}
    assert SHARED_READ_BURST <= len(allowed) <= SHARED_READ_BURST + 1
    assert refused_by == {"one", "two"}
    # One bucket: each answer counts down from the other process's last one.
    remaining = [int(answer.headers["ratelimit-remaining"]) for answer in allowed[:4]]
    assert remaining == [SHARED_READ_BURST - 1 - n for n in range(4)]
