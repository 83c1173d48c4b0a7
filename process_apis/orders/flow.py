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

from typing import Any

from process_apis.clients import SystemClients
from process_apis.flows import FlowDefinition, Step, StepKind
from process_apis.orders.compensations import OrderCompensations
from process_apis.orders.config import OrdersConfig
from process_apis.orders.steps import OrderSteps

ORDER_TO_INVOICE = "order_to_invoice"


class OrderFlow:
    def __init__(self, clients: SystemClients, config: OrdersConfig) -> None:
        self.config = config
        self.steps = OrderSteps(clients, config)
        self.undo = OrderCompensations(clients, config)

    def definition(self) -> FlowDefinition:
        attempts = self.config.step_attempts
        forward, undo = self.steps, self.undo

        def step(
            name: str, run: Any, compensate: Any = None, kind: StepKind = StepKind.COMPENSATABLE
        ) -> Step:
            return Step(name, run, compensate, kind=kind, attempts=attempts)

        return FlowDefinition(
            ORDER_TO_INVOICE,
            steps=(
                step("check_customer", forward.check_customer),
                step("price_lines", forward.price_lines),
                step("reserve_stock", forward.reserve_stock, undo.release_stock),
                step("create_sales_order", forward.create_sales_order, undo.cancel_sales_order),
                step("create_invoice", forward.create_invoice, undo.cancel_invoice),
                step("commit_reservations", forward.commit_reservations, kind=StepKind.PIVOT),
                step(
                    "record_activity",
                    forward.record_activity,
                    undo.record_cancellation,
                    kind=StepKind.RETRIABLE,
                ),
            ),
        )
