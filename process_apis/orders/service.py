"""Placing, reading, paying, cancelling and retrying orders.

Synchronous by default: the request drives the flow itself and answers 201 with the order
and its invoice (or the problem that stopped it, after what was done is undone). With
``Prefer: respond-async`` the flow runs in the background runner and the answer is 202 with
``Location``. Either way the flow is durable: if this process dies, another picks it up.

Every method that reads or acts on orders takes the caller's :class:`Restriction`: a caller
restricted to one customer finds another customer's order exactly as it finds an unknown
one (404), lists only its own customer's orders and places orders for that customer only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from process_apis.clients import DownstreamError, SystemClients
from process_apis.flows import FlowEngine, FlowRunner, FlowSnapshot, FlowTrace, build_trace
from process_apis.identity import Caller
from process_apis.orders.client import OrderCalls
from process_apis.orders.flow import ORDER_TO_INVOICE
from process_apis.orders.idempotency import IdempotencyKeys, fingerprint, parse_key
from process_apis.orders.models import IdempotencyKeyRecord, OrderRecord
from process_apis.orders.problems import (
    IdempotencyKeyReused,
    NotYourCustomer,
    OrderInProgress,
    from_dict,
)
from process_apis.orders.schemas import Order, OrderRequest, PaymentRequest
from process_apis.orders.views import build_order
from strata.cursors import decode_cursor, encode_cursor, invalid_cursor
from strata.db import Database, utcnow
from strata.errors import NotFound, Problem
from strata.ownership import Restriction
from system_apis.canonical import Money, Page

SETTLED = ("succeeded", "failed", "compensated", "cancelled")


class _KeyTaken(Exception):
    """Another request holds this caller's Idempotency-Key."""


@dataclass
class Answer:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    problem: bool = False


def new_order_id() -> str:
    return f"ord_{uuid4().hex}"


class OrdersService:
    def __init__(
        self,
        *,
        database: Database,
        engine: FlowEngine,
        runner: FlowRunner,
        clients: SystemClients,
        keys: IdempotencyKeys,
    ) -> None:
        self.database = database
        self.engine = engine
        self.runner = runner
        self.clients = clients
        self.keys = keys

    # -- placing ---------------------------------------------------------------------------

    async def place(
        self,
        order: OrderRequest,
        *,
        idempotency_key: str | None,
        caller: Caller,
        authorization: str | None,
        respond_async: bool,
        base_path: str,
    ) -> Answer:
        key = parse_key(idempotency_key)
        if not caller.restriction.allows(order.customer_id):
            raise NotYourCustomer()
        client = caller.key
        request_hash = fingerprint(order.model_dump(mode="json"))
        for _ in range(3):
            try:
                order_id, token, key_id = await self._create(client, key, request_hash, order)
            except _KeyTaken:
                existing = await self.keys.find(client, key)
                if existing is None or await self.keys.forget_if_expired(client, key):
                    continue
                return await self._replay(existing, request_hash, base_path)
            break
        else:
            raise Problem(503, "Try again", "The Idempotency-Key kept changing hands.")
        if respond_async:
            self.runner.submit(order_id, token, authorization)
            view = await self._view(order_id, base_path)
            answer = Answer(202, view.model_dump(mode="json"), _location(view))
        else:
            snapshot = await self.engine.drive(order_id, token, authorization)
            assert snapshot is not None
            answer = await self._outcome(order_id, snapshot, base_path)
        await self.keys.remember(key_id, answer.status, answer.body)
        return answer

    async def _create(
        self, client: str, key: str, request_hash: str, order: OrderRequest
    ) -> tuple[str, str, int]:
        order_id = new_order_id()
        now = utcnow()
        async with self.database.session() as session:
            token = await self.engine.add(
                session, ORDER_TO_INVOICE, order.model_dump(mode="json"), flow_id=order_id
            )
            session.add(
                OrderRecord(
                    id=order_id,
                    client=client,
                    customer_id=order.customer_id,
                    location_id=order.location_id,
                    currency=order.currency,
                    lines=[line.model_dump(mode="json") for line in order.lines],
                    amount_paid=Decimal("0"),
                    created_at=now,
                    updated_at=now,
                )
            )
            await session.flush()
            record = self.keys.new(client, key, request_hash, order_id)
            session.add(record)
            try:
                await session.flush()
            except IntegrityError:
                raise _KeyTaken() from None
            return order_id, token, record.id

    async def _replay(
        self, existing: IdempotencyKeyRecord, request_hash: str, base_path: str
    ) -> Answer:
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused(existing.order_id)
        replayed = {"Idempotent-Replayed": "true"}
        if existing.response_status is not None and existing.response_body is not None:
            answer = Answer(
                existing.response_status,
                existing.response_body,
                problem=existing.response_status >= 400,
            )
        else:
            snapshot = await self.engine.store.load(existing.order_id)
            assert snapshot is not None
            if snapshot.flow.status not in SETTLED:
                raise OrderInProgress(
                    existing.order_id,
                    snapshot.flow.status,
                    f"{base_path}/orders/{existing.order_id}",
                )
            # The first request ended before answering (its process died): answer now.
            answer = await self._outcome(existing.order_id, snapshot, base_path)
            await self.keys.remember(existing.id, answer.status, answer.body)
        answer.headers = {
            **replayed,
            "Location": f"{base_path}/orders/{existing.order_id}",
        }
        return answer

    async def _outcome(self, order_id: str, snapshot: FlowSnapshot, base_path: str) -> Answer:
        record = await self._record(order_id)
        view = build_order(record, snapshot, base_path)
        flow = snapshot.flow
        if flow.status in ("succeeded", "failed") and not flow.cancel_requested:
            return Answer(201, view.model_dump(mode="json"), _location(view))
        if flow.failure and flow.status in ("compensating", "compensated"):
            problem = from_dict(
                flow.failure["problem"],
                order_id=order_id,
                failed_step=flow.failure.get("step"),
                rolled_back=flow.status == "compensated",
                trace=view.links.trace,
            )
            return Answer(
                problem.status, problem.body(instance=f"{base_path}/orders"), problem=True
            )
        return Answer(202, view.model_dump(mode="json"), _location(view))

    # -- reading ---------------------------------------------------------------------------

    async def _record(self, order_id: str, restriction: Restriction | None = None) -> OrderRecord:
        """The order's record; with ``restriction``, another customer's is not found."""
        async with self.database.session() as session:
            record = await session.get(OrderRecord, order_id)
        if record is None or (restriction and not restriction.allows(record.customer_id)):
            raise NotFound("order", order_id)
        return record

    async def _snapshot(self, order_id: str) -> FlowSnapshot:
        snapshot = await self.engine.store.load(order_id)
        if snapshot is None:
            raise NotFound("order", order_id)
        return snapshot

    async def order(self, order_id: str, base_path: str, restriction: Restriction) -> Order:
        return await self._view(order_id, base_path, restriction)

    async def _view(
        self, order_id: str, base_path: str, restriction: Restriction | None = None
    ) -> Order:
        record = await self._record(order_id, restriction)
        return build_order(record, await self._snapshot(order_id), base_path)

    async def list_orders(
        self,
        *,
        customer_id: str | None,
        caller: Caller,
        idempotency_key: str | None = None,
        limit: int,
        cursor: str | None,
        base_path: str,
    ) -> Page[Order]:
        """Newest first, paged by (created_at, id), so orders placed meanwhile never shift a
        page. With ``idempotency_key``, only the order the caller placed with that key; a
        restricted caller's list holds its own customer's orders only."""
        query = select(OrderRecord).order_by(OrderRecord.created_at.desc(), OrderRecord.id.desc())
        if customer_id is not None:
            query = query.where(OrderRecord.customer_id == customer_id)
        if caller.restriction.customer_id is not None:
            query = query.where(OrderRecord.customer_id == caller.restriction.customer_id)
        if idempotency_key is not None:
            # A key that could never have been accepted simply matches nothing.
            record = await self.keys.find(caller.key, idempotency_key.strip().strip('"'))
            if record is None:
                return Page[Order](items=[])
            query = query.where(OrderRecord.id == record.order_id)
        if cursor:
            created, last_id = decode_cursor(ORDER_CURSOR, cursor, str, str)
            created_at = _cursor_time(created)
            query = query.where(
                or_(
                    OrderRecord.created_at < created_at,
                    and_(OrderRecord.created_at == created_at, OrderRecord.id < last_id),
                )
            )
        async with self.database.session() as session:
            records = list(await session.scalars(query.limit(limit + 1)))
        more = len(records) > limit
        records = records[:limit]
        items = [
            build_order(record, await self._snapshot(record.id), base_path) for record in records
        ]
        next_cursor = None
        if more:
            last = records[-1]
            next_cursor = encode_cursor(ORDER_CURSOR, last.created_at.isoformat(), last.id)
        return Page[Order](items=items, next_cursor=next_cursor)

    async def trace(self, order_id: str, restriction: Restriction) -> FlowTrace:
        await self._record(order_id, restriction)
        snapshot = await self._snapshot(order_id)
        events = await self.engine.store.events(order_id)
        return build_trace(snapshot, events, self.engine.definitions.get(snapshot.flow.kind))

    # -- acting on an order ----------------------------------------------------------------

    async def pay(
        self,
        order_id: str,
        payment: PaymentRequest,
        *,
        restriction: Restriction,
        authorization: str | None,
        idempotency_key: str | None,
        base_path: str,
    ) -> Order:
        view = await self._view(order_id, base_path, restriction)
        if view.status not in ("confirmed", "paid") or view.invoice is None:
            raise Problem(
                409,
                "Order not payable",
                f"Order {order_id} is {view.status}; only confirmed orders take payments.",
                kind="order-not-payable",
                order_status=view.status,
            )
        key = parse_key(idempotency_key) if idempotency_key else None
        calls = OrderCalls(self.clients, authorization)
        try:
            amount = payment.amount or (await calls.invoice(view.invoice.id)).amount_due
            if amount.amount <= 0:
                raise Problem(
                    409, "Already paid", f"Order {order_id} is paid in full.", kind="already-paid"
                )
            external_id = f"{order_id}:payment:{key}"[:100] if key else None
            invoice = await calls.pay_invoice(view.invoice.id, amount, external_id)
        except DownstreamError as error:
            raise error.as_problem() from None
        await self._record_payment(order_id, invoice.total, invoice.amount_due, invoice.status)
        return await self._view(order_id, base_path)

    async def _record_payment(self, order_id: str, total: Money, due: Money, status: str) -> None:
        paid = total.amount - due.amount
        now = utcnow()
        values: dict[str, Any] = {"amount_paid": paid, "updated_at": now}
        if status == "paid":
            values["paid_at"] = now
        # The ERP's figure is the truth; a slower concurrent answer never lowers it.
        statement = (
            update(OrderRecord)
            .where(OrderRecord.id == order_id, OrderRecord.amount_paid < paid)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        async with self.database.session() as session:
            await session.execute(statement)

    async def cancel(
        self,
        order_id: str,
        *,
        restriction: Restriction,
        authorization: str | None,
        base_path: str,
    ) -> tuple[int, Order]:
        view = await self._view(order_id, base_path, restriction)
        if view.status == "cancelled":
            return 200, view
        if view.status in ("rejected", "rolling_back"):
            raise Problem(
                409,
                "Order not cancellable",
                f"Order {order_id} failed and is {view.status}; nothing to cancel.",
                kind="order-not-cancellable",
                order_status=view.status,
            )
        if view.amount_paid is not None:
            raise Problem(
                409,
                "Order not cancellable",
                f"Order {order_id} has payments; refund it instead.",
                kind="order-not-cancellable",
                order_status=view.status,
            )
        await self.engine.store.request_cancel(order_id)
        await self.engine.run(order_id, authorization)
        view = await self._view(order_id, base_path)
        return (200 if view.status == "cancelled" else 202), view

    async def retry(
        self,
        order_id: str,
        *,
        restriction: Restriction,
        authorization: str | None,
        base_path: str,
    ) -> tuple[int, Order]:
        await self._record(order_id, restriction)
        snapshot = await self._snapshot(order_id)
        if not await self.engine.store.request_retry(order_id):
            raise Problem(
                409,
                "Nothing to retry",
                f"Order {order_id}'s flow is {snapshot.flow.status}; only a failed flow (or "
                "one stuck undoing) can be retried.",
                kind="nothing-to-retry",
                flow_status=snapshot.flow.status,
            )
        driven = await self.engine.run(order_id, authorization)
        view = await self._view(order_id, base_path)
        return (202 if driven is None else 200), view


ORDER_CURSOR = "orders"


def _cursor_time(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_cursor() from None
    if moment.tzinfo is None:
        raise invalid_cursor()
    return moment


def _location(view: Order) -> dict[str, str]:
    return {"Location": view.links.self}
