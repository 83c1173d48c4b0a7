"""Every layer up to the experience APIs in this process, over a seeded database, with the
real authorization server for tokens: the experience APIs' tests call them directly (no
gateway in between; they check tokens themselves)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from gateway.oauth import OAuthServer, build_oauth
from gateway.oauth.models import OAuthClient, OAuthUser
from gateway.oauth.users import DEMO_USERS, WEB_CLIENT_ID
from strata.db import Database
from strata.http import in_process, layer_client
from strata.layers import BACKEND_MODULES, Layers, build_layers
from strata.migrate import upgrade_database
from strata.settings import Settings, load_settings
from system_apis.demo import DemoWorld, build_world

ISSUER = "http://127.0.0.1:8000"
WEB = f"{ISSUER}/experience/web/v1"
MOBILE = f"{ISSUER}/experience/mobile/v1"
PASSWORDS = {user.username: user.password for user in DEMO_USERS}


def experience_settings() -> Settings:
    return load_settings(
        redis_url=None,
        seed_demo_data=True,
        oauth={
            "issuer": ISSUER,
            "secret_key": "experience-tests-key-long-enough-x-x-x-x-x-x",
            "password_hash_time_cost": 1,
            "password_hash_memory_kib": 64,
        },
    )


@dataclass
class ExperienceStack:
    database: Database
    world: DemoWorld
    layers: Layers
    oauth: OAuthServer

    def api(self, name: str) -> httpx.AsyncClient:
        """A client of the experience API ``name`` ("web" or "mobile"), paths from its root."""
        app = self.layers.apis[("experience", name)]
        return layer_client(f"http://{name}.experience", in_process(app))

    def below(self, layer: str, name: str) -> httpx.AsyncClient:
        """A client of an API under the experience layer, to check what a call did."""
        return layer_client(f"http://{name}.{layer}", in_process(self.layers.apis[(layer, name)]))

    async def user_token(
        self,
        username: str,
        scopes: Sequence[str] = ("me:read", "me:write"),
        client_id: str = WEB_CLIENT_ID,
        audience: Sequence[str] = (WEB, MOBILE),
    ) -> str:
        """A real access token the authorization server issues when ``username`` approves
        ``client_id`` (as at the end of authorization code with PKCE); by default for both
        experience APIs, as the ``me`` scopes are."""
        signer = await self.oauth.tokens.signer()
        async with self.database.session() as session:
            user = (
                await session.execute(select(OAuthUser).where(OAuthUser.username == username))
            ).scalar_one()
            client = await session.get(OAuthClient, client_id)
            assert client is not None
            issued = await self.oauth.tokens.issue(
                session,
                signer=signer,
                client=client,
                scopes=list(scopes),
                audience=audience,
                user=user,
            )
        return issued.access_token

    async def client_token(self, scopes: str = "me:read me:write") -> str:
        """A client-credentials token (a partner's server acting for itself, no user)."""
        client, _ = await self.oauth.create_client("experience-test-partner", scopes)
        signer = await self.oauth.tokens.signer()
        async with self.database.session() as session:
            issued = await self.oauth.tokens.issue(
                session, signer=signer, client=client, scopes=scopes.split(), audience=(WEB, MOBILE)
            )
        return issued.access_token

    async def customer_id(self, username: str) -> str:
        async with self.database.session() as session:
            customer = await session.scalar(
                select(OAuthUser.customer_id).where(OAuthUser.username == username)
            )
        assert customer is not None
        return customer

    async def aclose(self) -> None:
        if self.layers.orders is not None:
            await self.layers.orders.aclose()
        await self.oauth.stop()
        await self.layers.aclose()


async def build_experience_stack(database: Database) -> ExperienceStack:
    settings = experience_settings()
    oauth = build_oauth(database, settings.oauth)
    layers = build_layers(settings, database, oauth.verifier)
    await upgrade_database(database)
    world = build_world()
    for name in layers.backend_apps:
        await BACKEND_MODULES[name].seed(database, world)
    await oauth.start(background=False)
    await oauth.seed_demo_users(world)
    if layers.orders is not None:
        await layers.orders.start()
    return ExperienceStack(database, world, layers, oauth)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
