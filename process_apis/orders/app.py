"""The orders process API (order to invoice), mounted at ``/process/orders/v1``.

``create_orders(clients, database, ...)`` builds the API and its background runner;
``create_api(...)`` is the same, returning the FastAPI app with the runner on
``app.state.runner`` (``await runner.start()`` at startup, ``await runner.aclose()`` at
shutdown: at start it resumes every unfinished flow).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from fastapi import FastAPI

from process_apis.clients import SystemClients
from process_apis.flows import FlowEngine, FlowRunner, RetryPolicy
from process_apis.flows.engine import AuthorizationProvider
from process_apis.identity import CallerResolver, claims_caller
from process_apis.orders.config import OrdersConfig
from process_apis.orders.flow import OrderFlow
from process_apis.orders.idempotency import IdempotencyKeys
from process_apis.orders.router import router
from process_apis.orders.service import OrdersService
from strata.db import Database
from strata.errors import install_problem_handlers

DESCRIPTION = """
Order to invoice across the CRM, the ERP and the inventory system: one request checks the
customer, holds the stock, makes the sales order and its invoice, commits the stock and
records the order on the customer's account.

Every step is durable: a server that stops half-way leaves the order to another one, which
finishes it or undoes it; nothing is held, ordered or invoiced by half. Each order's trace
shows every step with its times, attempts, errors and what undid it.

Send an `Idempotency-Key` with every order. Errors are `application/problem+json`.
"""


@dataclass
class OrdersProcess:
    api: FastAPI
    service: OrdersService
    engine: FlowEngine
    runner: FlowRunner

    async def start(self) -> None:
        await self.runner.start()

    async def aclose(self) -> None:
        await self.runner.aclose()


def create_orders(
    clients: SystemClients,
    database: Database,
    *,
    config: OrdersConfig | None = None,
    caller: CallerResolver | None = None,
    background_authorization: AuthorizationProvider | None = None,
    retry_policy: RetryPolicy | None = None,
) -> OrdersProcess:
    """The orders API with its engine and background runner.

    ``caller`` turns the Authorization header into the caller: the key that scopes its
    Idempotency-Keys and whose orders it may see (default: read from the token's claims
    unverified, see :mod:`process_apis.identity`); ``background_authorization`` gives the
    credentials a resumed flow calls the system APIs with (the original caller's token is
    never stored).
    """
    config = config or OrdersConfig()
    flow = OrderFlow(clients, config)
    engine = FlowEngine(
        database,
        [flow.definition()],
        lease_seconds=config.lease_seconds,
        policy=retry_policy,
        background_authorization=background_authorization,
    )
    keys = IdempotencyKeys(database, ttl=timedelta(hours=config.idempotency_ttl_hours))
    runner = FlowRunner(
        engine,
        poll_interval=config.poll_interval_seconds,
        concurrency=config.runner_concurrency,
        housekeeping=[(config.purge_interval_seconds, keys.purge_expired)],
    )
    service = OrdersService(
        database=database,
        engine=engine,
        runner=runner,
        clients=clients,
        keys=keys,
    )
    api = FastAPI(
        title="Orders process API",
        version="1.0.0",
        description=DESCRIPTION,
        servers=[{"url": "/process/orders/v1"}],
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )
    api.state.orders = service
    api.state.callers = caller or claims_caller
    api.state.runner = runner
    install_problem_handlers(api)
    api.include_router(router)
    return OrdersProcess(api=api, service=service, engine=engine, runner=runner)


def create_api(
    clients: SystemClients,
    database: Database,
    *,
    config: OrdersConfig | None = None,
    caller: CallerResolver | None = None,
    background_authorization: AuthorizationProvider | None = None,
) -> FastAPI:
    return create_orders(
        clients,
        database,
        config=config,
        caller=caller,
        background_authorization=background_authorization,
    ).api
