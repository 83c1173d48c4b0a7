"""The order-to-invoice flow's steps, forward: each one idempotent (external ids derived
from the order id), each failure kept as the problem the client will see."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from process_apis.clients import DownstreamError, SystemClients
from process_apis.flows import PermanentStepError, StepContext, StepError, TransientStepError
from process_apis.orders.client import OrderCalls
from process_apis.orders.config import OrdersConfig
from process_apis.orders.problems import field_problem, problem_dict, upstream_refused
from system_apis.canonical import Product

STOCK_SHORTAGES = ("insufficient-stock", "not-stocked")


def invoice_external_id(order_id: str) -> str:
    return f"{order_id}:invoice"


def reservation_external_id(order_id: str, line: int) -> str:
    return f"{order_id}:line-{line + 1}"


def activity_external_id(order_id: str) -> str:
    return f"strata-order:{order_id}"


def translate(error: DownstreamError) -> StepError:
    """A system's failure as a step error: transient ones are retried, the rest are the
    system refusing what the process asked (a 502 to the client: the process's fault)."""
    if error.transient:
        return TransientStepError(str(error), problem_dict(error.as_problem()))
    return PermanentStepError(str(error), upstream_refused(error))


def outcome_unknown(context: StepContext) -> bool:
    # A step that crashed, or whose last failure was a lost answer, may have done its work.
    return context.last_error is None or bool(context.last_error.get("transient"))


class OrderSteps:
    def __init__(self, clients: SystemClients, config: OrdersConfig) -> None:
        self.clients = clients
        self.config = config

    def _calls(self, context: StepContext) -> OrderCalls:
        return OrderCalls(self.clients, context.authorization)

    # -- 1. customer -----------------------------------------------------------------------

    async def check_customer(self, context: StepContext) -> dict[str, Any]:
        customer_id = str(context.input["customer_id"])
        try:
            customer = await self._calls(context).customer(customer_id)
        except DownstreamError as error:
            if error.status in (404, 422) and not error.transient:
                raise PermanentStepError(
                    "unknown customer",
                    field_problem("customer_id", f"no customer {customer_id!r} in the CRM"),
                ) from None
            raise translate(error) from None
        if not customer.active:
            raise PermanentStepError(
                "inactive customer",
                field_problem("customer_id", f"customer {customer_id!r} is not active"),
            )
        return {"customer": customer.model_dump(mode="json")}

    # -- 2. prices -------------------------------------------------------------------------

    async def price_lines(self, context: StepContext) -> dict[str, Any]:
        lines = list(context.input["lines"])
        calls = self._calls(context)
        answers = await asyncio.gather(
            *(calls.product(line["sku"]) for line in lines), return_exceptions=True
        )
        products = [
            self._product(index, line, answer)
            for index, (line, answer) in enumerate(zip(lines, answers, strict=True))
        ]
        currency = context.input.get("currency") or products[0].price.currency
        priced = []
        for index, (line, product) in enumerate(zip(lines, products, strict=True)):
            if product.price.currency != currency:
                field = "currency" if context.input.get("currency") else f"lines.{index}.sku"
                raise PermanentStepError(
                    "currency mismatch",
                    field_problem(
                        field,
                        f"{product.sku} is priced in {product.price.currency}, not {currency}",
                    ),
                )
            unit_price = product.price.amount
            priced.append(
                {
                    "sku": product.sku,
                    "name": product.name,
                    "quantity": line["quantity"],
                    "unit_price": format(unit_price, "f"),
                    "amount": format(unit_price * line["quantity"], "f"),
                }
            )
        total = sum((Decimal(line["amount"]) for line in priced), Decimal("0"))
        return {"currency": currency, "lines": priced, "total": format(total, "f")}

    @staticmethod
    def _product(index: int, line: dict[str, Any], answer: object) -> Product:
        if isinstance(answer, DownstreamError):
            if answer.status in (404, 422) and not answer.transient:
                raise PermanentStepError(
                    "unknown SKU",
                    field_problem(f"lines.{index}.sku", f"no product {line['sku']!r}"),
                )
            raise translate(answer)
        if isinstance(answer, BaseException):
            raise answer
        assert isinstance(answer, Product)
        if not answer.active:
            raise PermanentStepError(
                "product not for sale",
                field_problem(f"lines.{index}.sku", f"{answer.sku} is not for sale"),
            )
        return answer

    # -- 3. stock --------------------------------------------------------------------------

    async def reserve_stock(self, context: StepContext) -> dict[str, Any]:
        location_id = str(context.input["location_id"])
        made = list(context.output.get("reservations", []))
        done = {entry["line"] for entry in made}
        calls = self._calls(context)
        for index, line in enumerate(context.outputs["price_lines"]["lines"]):
            if index in done:
                continue
            try:
                reservation = await calls.reserve(
                    sku=line["sku"],
                    location_id=location_id,
                    quantity=line["quantity"],
                    external_id=reservation_external_id(context.flow_id, index),
                    ttl_seconds=self.config.reservation_ttl_seconds,
                )
            except DownstreamError as error:
                raise self._reservation_error(error, line, location_id) from None
            made.append(
                {
                    "line": index,
                    "sku": line["sku"],
                    "quantity": line["quantity"],
                    "reservation_id": reservation.id,
                }
            )
            await context.record({"reservations": made})
        return {"reservations": made}

    @staticmethod
    def _reservation_error(
        error: DownstreamError, line: dict[str, Any], location_id: str
    ) -> StepError:
        if error.transient:
            return translate(error)
        if error.kind in STOCK_SHORTAGES:
            available = error.problem.get("available")
            available = 0 if error.kind == "not-stocked" else available
            return PermanentStepError(
                "out of stock",
                {
                    "status": 409,
                    "title": "Out of stock",
                    "kind": "out-of-stock",
                    "detail": f"Only {available if available is not None else 'too few'} of "
                    f"{line['sku']} available at location {location_id}; "
                    f"{line['quantity']} requested.",
                    "sku": line["sku"],
                    "location_id": location_id,
                    "requested": line["quantity"],
                    "available": available,
                },
            )
        if error.status in (404, 422):
            return PermanentStepError(
                "unknown location",
                field_problem("location_id", f"no location {location_id!r} stocks {line['sku']}"),
            )
        return translate(error)

    async def create_sales_order(self, context: StepContext) -> dict[str, Any]:
        customer = context.outputs["check_customer"]["customer"]
        priced = context.outputs["price_lines"]
        calls = self._calls(context)
        try:
            await calls.make_erp_know(customer)
            order = await calls.create_sales_order(
                customer_id=customer["id"],
                external_id=context.flow_id,
                currency=priced["currency"],
                lines=priced["lines"],
            )
        except DownstreamError as error:
            raise translate(error) from None
        return {
            "sales_order_id": order.id,
            "number": order.number,
            "status": order.status.value,
            "total": order.total.model_dump(mode="json"),
        }

    async def create_invoice(self, context: StepContext) -> dict[str, Any]:
        sales_order = context.outputs["create_sales_order"]
        try:
            invoice = await self._calls(context).create_invoice(
                order_id=sales_order["sales_order_id"],
                external_id=invoice_external_id(context.flow_id),
            )
        except DownstreamError as error:
            raise translate(error) from None
        return {
            "invoice_id": invoice.id,
            "number": invoice.number,
            "status": invoice.status.value,
            "total": invoice.total.model_dump(mode="json"),
            "amount_due": invoice.amount_due.model_dump(mode="json"),
            "due_date": invoice.due_date.isoformat() if invoice.due_date else None,
        }

    async def commit_reservations(self, context: StepContext) -> dict[str, Any]:
        calls = self._calls(context)
        committed = []
        for entry in context.outputs["reserve_stock"]["reservations"]:
            try:
                await calls.commit_reservation(entry["reservation_id"])
            except DownstreamError as error:
                if error.status == 409 and not error.transient:
                    raise PermanentStepError(
                        "hold expired",
                        {
                            "status": 409,
                            "title": "Stock hold expired",
                            "kind": "hold-expired",
                            "detail": f"The hold on {entry['sku']} ended before the order "
                            "was complete; the order was rolled back.",
                            "sku": entry["sku"],
                        },
                    ) from None
                raise translate(error) from None
            committed.append(entry["reservation_id"])
        return {"committed": committed}

    # -- 7. CRM activity -------------------------------------------------------------------

    async def record_activity(self, context: StepContext) -> dict[str, Any]:
        sales_order = context.outputs["create_sales_order"]
        invoice = context.outputs["create_invoice"]
        priced = context.outputs["price_lines"]
        units = sum(int(line["quantity"]) for line in priced["lines"])
        activity = {
            "kind": "order",
            "subject": f"Order {sales_order['number']}",
            "status": "completed",
            "description": f"{units} item(s), total {priced['currency']} {priced['total']}; "
            f"invoice {invoice['number']}. Strata order {context.flow_id}.",
            "external_id": activity_external_id(context.flow_id),
        }
        try:
            activity_id = await self._calls(context).record_activity(
                str(context.input["customer_id"]), activity
            )
        except DownstreamError as error:
            raise translate(error) from None
        return {"activity_id": activity_id}
