"""The order-to-invoice flow: its steps, how each is undone, and what each failure means.

Steps, in order (the saga's kinds in brackets):

1. ``check_customer``: the customer exists in the CRM and is active.
2. ``price_lines``: each SKU's price from the inventory system's product.
3. ``reserve_stock`` [compensatable]: a hold per line at the fulfilment location, with the
   external id ``<order id>:line-<n>`` so a step run again never holds twice. Undone by
   releasing every hold (committed ones too).
4. ``create_sales_order`` [compensatable]: the ERP learns the customer (PUT), then the
   sales order with external id ``<order id>``. Undone by cancelling the order (or, when
   it had been billed, which the ERP never lets one cancel, by closing it).
5. ``create_invoice`` [compensatable]: the invoice with external id ``<order id>:invoice``.
   Undone by cancelling (voiding) the invoice.
6. ``commit_reservations`` [pivot]: the holds become the order's stock. After this the
   order stands.
7. ``record_activity`` [retriable]: the order on the CRM account (external id
   ``strata-order:<order id>``, so recording it again changes nothing). Undone, only when
   the order is cancelled, by recording the cancellation.

Each failure is kept as the problem the client will see: an unknown or inactive customer is
422 naming ``customer_id``, an unknown SKU 422 naming ``lines[i].sku``, too little stock
409 naming the SKU and what is available; a system that fails is 502/503/504 naming it.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from process_apis.clients import DownstreamError, SystemClients
from process_apis.flows import (
    FlowDefinition,
    PermanentStepError,
    Step,
    StepContext,
    StepError,
    StepKind,
    TransientStepError,
)
from process_apis.orders.client import OrderCalls
from process_apis.orders.config import OrdersConfig
from process_apis.orders.problems import field_problem, problem_dict, upstream_refused
from system_apis.canonical import Product

ORDER_TO_INVOICE = "order_to_invoice"
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


def _outcome_unknown(context: StepContext) -> bool:
    # A step that crashed, or whose last failure was a lost answer, may have done its work.
    return context.last_error is None or bool(context.last_error.get("transient"))


class OrderFlow:
    def __init__(self, clients: SystemClients, config: OrdersConfig) -> None:
        self.clients = clients
        self.config = config

    def definition(self) -> FlowDefinition:
        attempts = self.config.step_attempts

        def step(
            name: str, run: Any, undo: Any = None, kind: StepKind = StepKind.COMPENSATABLE
        ) -> Step:
            return Step(name, run, undo, kind=kind, attempts=attempts)

        return FlowDefinition(
            ORDER_TO_INVOICE,
            steps=(
                step("check_customer", self.check_customer),
                step("price_lines", self.price_lines),
                step("reserve_stock", self.reserve_stock, self.release_stock),
                step("create_sales_order", self.create_sales_order, self.cancel_sales_order),
                step("create_invoice", self.create_invoice, self.cancel_invoice),
                step("commit_reservations", self.commit_reservations, kind=StepKind.PIVOT),
                step(
                    "record_activity",
                    self.record_activity,
                    self.record_cancellation,
                    kind=StepKind.RETRIABLE,
                ),
            ),
        )

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

    async def release_stock(self, context: StepContext) -> dict[str, Any]:
        calls = self._calls(context)
        recorded = list(context.output.get("reservations", []))
        if _outcome_unknown(context):
            recorded += await self._settle_unrecorded(context, calls, recorded)
        for entry in recorded:
            try:
                await calls.release_reservation(entry["reservation_id"])
            except DownstreamError as error:
                if error.transient:
                    raise translate(error) from None
                # Unknown, or nothing left to give back (expired): nothing is held.
        return {"released": [entry["reservation_id"] for entry in recorded]}

    async def _settle_unrecorded(
        self, context: StepContext, calls: OrderCalls, recorded: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        """Holds made by an attempt whose answer was lost: asking again with the same
        external id returns them (and if none was made, the new one is released at once)."""
        priced = context.outputs.get("price_lines", {}).get("lines", [])
        done = {entry["line"] for entry in recorded}
        found = []
        for index, line in enumerate(priced):
            if index in done:
                continue
            try:
                reservation = await calls.reserve(
                    sku=line["sku"],
                    location_id=str(context.input["location_id"]),
                    quantity=line["quantity"],
                    external_id=reservation_external_id(context.flow_id, index),
                    ttl_seconds=self.config.reservation_ttl_seconds,
                )
            except DownstreamError as error:
                if error.transient:
                    raise translate(error) from None
                continue
            found.append({"line": index, "reservation_id": reservation.id})
        return found

    # -- 4. sales order --------------------------------------------------------------------

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

    async def cancel_sales_order(self, context: StepContext) -> dict[str, Any] | None:
        calls = self._calls(context)
        order_id = context.output.get("sales_order_id")
        try:
            if order_id is None and _outcome_unknown(context):
                found = await calls.find_sales_order(
                    str(context.input["customer_id"]), context.flow_id
                )
                order_id = found.id if found else None
            if order_id is None:
                return None
            return {"sales_order_id": order_id, "status": await self._end_order(calls, order_id)}
        except DownstreamError as error:
            if error.status == 404 and not error.transient:
                return None
            raise translate(error) from None

    @staticmethod
    async def _end_order(calls: OrderCalls, order_id: str) -> str:
        """Cancels the ERP order; one the ERP will not cancel any more because it was billed
        (its invoice voided since, it waits for billing again) is closed instead, which in
        the ERP ends an order for good just the same."""
        try:
            return (await calls.set_sales_order_status(order_id, "cancelled")).status.value
        except DownstreamError as error:
            if error.transient or error.status != 409:
                raise
        order = await calls.sales_order(order_id)
        if order.status.value in ("cancelled", "closed"):
            return order.status.value
        return (await calls.set_sales_order_status(order_id, "closed")).status.value

    # -- 5. invoice ------------------------------------------------------------------------

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

    async def cancel_invoice(self, context: StepContext) -> dict[str, Any] | None:
        calls = self._calls(context)
        invoice_id = context.output.get("invoice_id")
        sales_order_id = context.outputs.get("create_sales_order", {}).get("sales_order_id")
        try:
            if invoice_id is None and sales_order_id and _outcome_unknown(context):
                found = await calls.find_invoice(
                    sales_order_id, invoice_external_id(context.flow_id)
                )
                invoice_id = found.id if found else None
            if invoice_id is None:
                return None
            await calls.cancel_invoice(invoice_id)
        except DownstreamError as error:
            if error.status == 404 and not error.transient:
                return None
            if not (error.status == 409 and await self._invoice_is_cancelled(calls, invoice_id)):
                raise translate(error) from None
        return {"invoice_id": invoice_id, "status": "cancelled"}

    @staticmethod
    async def _invoice_is_cancelled(calls: OrderCalls, invoice_id: str | None) -> bool:
        if invoice_id is None:
            return False
        try:
            return (await calls.invoice(invoice_id)).status.value == "cancelled"
        except DownstreamError as error:
            raise translate(error) from None

    # -- 6. commit -------------------------------------------------------------------------

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

    async def record_cancellation(self, context: StepContext) -> dict[str, Any] | None:
        if "activity_id" not in context.output:
            return None
        sales_order = context.outputs.get("create_sales_order", {})
        activity = {
            "kind": "order",
            "subject": f"Order {sales_order.get('number', context.flow_id)} cancelled",
            "status": "completed",
            "description": f"Strata order {context.flow_id} was cancelled.",
            "external_id": activity_external_id(context.flow_id) + ":cancelled",
        }
        try:
            activity_id = await self._calls(context).record_activity(
                str(context.input["customer_id"]), activity
            )
        except DownstreamError as error:
            raise translate(error) from None
        return {"activity_id": activity_id}
