"""Customer 360: the CRM profile and activity and the ERP's orders, invoices and open
balance, fetched at the same time. A system that is down (or slower than the deadline)
leaves its parts out and named in ``degraded``; the answer is still 200. Only the CRM, the
system of record for customers, can say a customer does not exist (404). A caller
restricted to one customer gets the same 404 for any other, before any system is asked."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from decimal import Decimal
from typing import Any, TypeVar

from process_apis.clients import DownstreamError, SystemClients
from process_apis.customers.client import CustomerCalls
from process_apis.customers.schemas import (
    PART_SYSTEMS,
    Balance,
    CustomerOverview,
    Missing,
    Part,
)
from strata.errors import NotFound, Problem
from strata.ownership import Restriction
from system_apis.canonical import Invoice, Money

T = TypeVar("T")
ACTIVITY_LIMIT = 10
LIST_LIMIT = 20
MAX_ITEMS = 1000


class CustomerService:
    def __init__(self, clients: SystemClients, *, part_timeout: float = 3.0) -> None:
        self.clients = clients
        self.part_timeout = part_timeout

    async def overview(
        self, customer_id: str, restriction: Restriction, authorization: str | None
    ) -> CustomerOverview:
        if not restriction.allows(customer_id):
            raise NotFound("customer", customer_id)
        calls = CustomerCalls(self.clients, authorization)
        parts: dict[Part, Awaitable[Any]] = {
            "profile": calls.profile(customer_id),
            "activities": calls.activities(customer_id, ACTIVITY_LIMIT),
            "orders": calls.orders(customer_id, MAX_ITEMS),
            "invoices": calls.invoices(customer_id, MAX_ITEMS),
        }
        answers = await asyncio.gather(*(self._within_deadline(p) for p in parts.values()))
        results = dict(zip(parts, answers, strict=True))
        profile_failure = results["profile"]
        if isinstance(profile_failure, DownstreamError) and (
            _not_found(profile_failure) or profile_failure.status == 422
        ):
            # The CRM knows no such customer (or no such id can exist there).
            raise NotFound("customer", customer_id)
        return self._compose(customer_id, results)

    async def _within_deadline(self, call: Awaitable[T]) -> T | DownstreamError:
        try:
            async with asyncio.timeout(self.part_timeout):
                return await call
        except TimeoutError:
            return DownstreamError(
                "", 504, {"detail": f"no answer within {self.part_timeout:g} s"}, transient=True
            )
        except DownstreamError as error:
            return error

    def _compose(self, customer_id: str, results: dict[Part, Any]) -> CustomerOverview:
        overview = CustomerOverview(customer_id=customer_id)
        for part, result in results.items():
            if isinstance(result, DownstreamError):
                if part != "profile" and _not_found(result):
                    continue  # the system has nothing for this customer: an empty part
                overview.degraded.append(part)
                overview.missing.append(_missing(part, result))
        if not isinstance(results["profile"], DownstreamError):
            overview.profile = results["profile"]
        activities = results["activities"]
        if not isinstance(activities, DownstreamError):
            overview.recent_activity = activities
        elif "activities" not in overview.degraded:
            overview.recent_activity = []
        self._add_orders(overview, results["orders"])
        self._add_invoices(overview, results["invoices"])
        if len(overview.degraded) == len(results):
            raise Problem(
                503,
                "Upstream unavailable",
                "Neither the CRM nor the ERP answered; nothing to show.",
                kind="upstream-unavailable",
                missing=[m.model_dump() for m in overview.missing],
            )
        return overview

    @staticmethod
    def _add_orders(overview: CustomerOverview, result: Any) -> None:
        if "orders" in overview.degraded:
            return
        orders, total = ([], 0) if isinstance(result, DownstreamError) else result
        overview.orders = list(reversed(orders))[:LIST_LIMIT]
        overview.order_count = total

    @staticmethod
    def _add_invoices(overview: CustomerOverview, result: Any) -> None:
        if "invoices" in overview.degraded:
            return
        invoices: list[Invoice] = [] if isinstance(result, DownstreamError) else result[0]
        overview.invoices = list(reversed(invoices))[:LIST_LIMIT]
        overview.open_balance = open_balance(invoices)


def open_balance(invoices: list[Invoice]) -> list[Balance]:
    owed: dict[str, Decimal] = {}
    counts: dict[str, int] = {}
    for invoice in invoices:
        if invoice.status.value != "open":
            continue
        currency = invoice.amount_due.currency
        owed[currency] = owed.get(currency, Decimal("0")) + invoice.amount_due.amount
        counts[currency] = counts.get(currency, 0) + 1
    return [
        Balance(open=Money(amount=owed[c], currency=c), open_invoices=counts[c])
        for c in sorted(owed)
    ]


def _not_found(error: DownstreamError) -> bool:
    return not error.transient and error.status == 404


def _missing(part: Part, error: DownstreamError) -> Missing:
    detail = error.problem.get("detail") or error.problem.get("title")
    return Missing(
        part=part,
        system=error.system or PART_SYSTEMS[part],
        status=error.status,
        detail=str(detail) if detail else None,
    )
