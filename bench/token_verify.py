"""How many access tokens per second the verifier checks, cold (signature and claims) and
cached (the LRU hit every request after the first one pays).

    python bench/token_verify.py [--tokens 2000] [--rounds 20]

Issues tokens with RS256 and with ES256 keys into a throw-away SQLite database, then verifies
``Authorization`` header values through ``TokenVerifier.verify``, the gateway's hot path.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

# Python puts this script's folder first on the path, and it holds a ``gateway.py`` script
# that would hide the ``gateway`` package.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != _HERE]

from gateway.oauth import OAuthServer, OAuthSettings, TokenVerifier, build_oauth  # noqa: E402
from gateway.oauth.audiences import api_audience  # noqa: E402
from strata.db import Database  # noqa: E402
from strata.migrate import upgrade_database  # noqa: E402


async def issue_tokens(oauth: OAuthServer, count: int) -> list[str]:
    client, _ = await oauth.create_client("bench", "crm:read orders:read", tier="standard")
    signer = await oauth.tokens.signer()
    tokens = []
    async with oauth.database.session() as session:
        for _ in range(count):
            issued = await oauth.tokens.issue(
                session,
                signer=signer,
                client=client,
                scopes=("crm:read",),
                audience=(crm_audience(oauth),),
            )
            tokens.append(issued.access_token)
    return tokens


def crm_audience(oauth: OAuthServer) -> str:
    return api_audience(oauth.settings.issuer, "/system/crm/v1")


def verifier_for(oauth: OAuthServer, cache_size: int) -> TokenVerifier:
    return TokenVerifier(
        oauth.key_set,
        issuer=oauth.settings.issuer,
        algorithms=(oauth.settings.signing_alg,),
        cache_size=cache_size,
        revocations=oauth.revocations,
    )


async def rate(
    verifier: TokenVerifier, headers: Sequence[str], rounds: int, audience: str
) -> float:
    started = time.perf_counter()
    for _ in range(rounds):
        for header in headers:
            await verifier.verify(header, ("crm:read",), audience=audience)
    return rounds * len(headers) / (time.perf_counter() - started)


async def bench(alg: str, directory: Path, count: int, rounds: int) -> tuple[float, float, int]:
    database = Database(f"sqlite+aiosqlite:///{directory / alg}.db")
    await upgrade_database(database)
    settings = OAuthSettings(
        signing_alg=alg,
        secret_key="benchmark secret, not for production",
        password_hash_time_cost=1,
        password_hash_memory_kib=64,
    )
    oauth = build_oauth(database, settings)
    await oauth.start(background=False)
    try:
        headers = [f"Bearer {token}" for token in await issue_tokens(oauth, count)]
        audience = crm_audience(oauth)
        await verifier_for(oauth, 0).verify(headers[0], audience=audience)  # load the keys once
        cold = await rate(verifier_for(oauth, 0), headers, 1, audience)
        cached_verifier = verifier_for(oauth, count)
        await rate(cached_verifier, headers, 1, audience)  # fill the cache
        cached = await rate(cached_verifier, headers, rounds, audience)
        return cold, cached, len(headers[0])
    finally:
        await oauth.stop()
        await database.dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2_000)
    parser.add_argument("--rounds", type=int, default=20)
    options = parser.parse_args()
    print(f"{'alg':<6} {'token bytes':>11} {'cold /s':>10} {'cached /s':>11} {'speed-up':>9}")
    with tempfile.TemporaryDirectory() as directory:
        for alg in ("RS256", "ES256"):
            cold, cached, size = await bench(alg, Path(directory), options.tokens, options.rounds)
            print(f"{alg:<6} {size:>11} {cold:>10,.0f} {cached:>11,.0f} {cached / cold:>8.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
