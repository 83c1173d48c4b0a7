"""How each step of the order-to-invoice flow is undone: idempotent, and able to cope with a
step that stopped half-way or whose last answer was lost (it then looks its work up by the
external id the step used)."""

from __future__ import annotations

from typing import Any

from process_apis.clients import DownstreamError, SystemClients
from process_apis.flows import StepContext
from process_apis.orders.client import OrderCalls
from process_apis.orders.config import OrdersConfig
from process_apis.orders.steps import (
    activity_external_id,
    invoice_external_id,
    outcome_unknown,
    reservation_external_id,
    translate,
)


class OrderCompensations:
    def __init__(self, clients: SystemClients, config: OrdersConfig) -> None:
        self.clients = clients
        self.config = config

    def _calls(self, context: StepContext) -> OrderCalls:
        return OrderCalls(self.clients, context.authorization)

    async def release_stock(self, context: StepContext) -> dict[str, Any]:
        calls = self._calls(context)
        recorded = list(context.output.get("reservations", []))
        if outcome_unknown(context):
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

    async def cancel_sales_order(self, context: StepContext) -> dict[str, Any] | None:
        calls = self._calls(context)
        order_id = context.output.get("sales_order_id")
        try:
            if order_id is None and outcome_unknown(context):
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

    async def cancel_invoice(self, context: StepContext) -> dict[str, Any] | None:
        calls = self._calls(context)
        invoice_id = context.output.get("invoice_id")
        sales_order_id = context.outputs.get("create_sales_order", {}).get("sales_order_id")
        try:
            if invoice_id is None and sales_order_id and outcome_unknown(context):
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
