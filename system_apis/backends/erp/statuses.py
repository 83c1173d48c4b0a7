"""The ERP's transaction status codes and the rules for moving between them."""

from __future__ import annotations

from collections.abc import Mapping

from system_apis.backends.erp.errors import ErpFault, invalid_field

# Sales order status: letter code -> (enum name, label), as the ERP shows them.
ORDER_STATUSES = {
    "A": ("pendingApproval", "Pending Approval"),
    "B": ("pendingFulfillment", "Pending Fulfillment"),
    "C": ("cancelled", "Cancelled"),
    "D": ("partiallyFulfilled", "Partially Fulfilled"),
    "E": ("pendingBillingPartFulfilled", "Pending Billing/Partially Fulfilled"),
    "F": ("pendingBilling", "Pending Billing"),
    "G": ("fullyBilled", "Billed"),
    "H": ("closed", "Closed"),
}
PENDING_APPROVAL, PENDING_FULFILLMENT, CANCELLED = "A", "B", "C"
PENDING_BILLING, BILLED, CLOSED = "F", "G", "H"

# Moves a user may make by editing the order. Billing (G) happens only by turning the order
# into an invoice, and paying that invoice in full closes the order (H) by itself.
ORDER_TRANSITIONS = {
    "A": "BCH",
    "B": "CDEFH",
    "C": "",
    "D": "EFH",
    "E": "FH",
    "F": "H",
    "G": "H",
    "H": "",
}
BILLABLE = "BDEF"

INVOICE_STATUSES = {
    "A": ("open", "Open"),
    "B": ("paidInFull", "Paid In Full"),
    "V": ("voided", "Voided"),
}
INVOICE_OPEN, INVOICE_PAID, INVOICE_VOIDED = "A", "B", "V"


def order_sources(target: str) -> list[str]:
    """The statuses from which an order may be moved to ``target`` by an edit."""
    return [source for source, targets in ORDER_TRANSITIONS.items() if target in targets]


def illegal_order_change(current: str, target: str) -> ErpFault:
    name = ORDER_STATUSES[current][1]
    if target == BILLED:
        why = "an order is billed by transforming it into an invoice"
    else:
        why = f"a {name} order cannot become {ORDER_STATUSES[target][1]}"
    return ErpFault(
        409,
        "INVALID_STATUS_CHANGE",
        f"The status cannot be changed: {why}.",
        field="status",
        details={"currentStatus": current, "requestedStatus": target},
    )


def not_billable(current: str) -> ErpFault:
    return ErpFault(
        409,
        "INVALID_STATUS_CHANGE",
        f"A {ORDER_STATUSES[current][1]} order cannot be billed.",
        field="status",
        details={"currentStatus": current, "requestedStatus": BILLED},
    )


def invoice_not_open(current: str, action: str, requested: str | None = None) -> ErpFault:
    details = {"currentStatus": current}
    if requested is not None:
        details["requestedStatus"] = requested
    return ErpFault(
        409,
        "INVALID_STATUS_CHANGE",
        f"The invoice is {INVOICE_STATUSES[current][1]}; only an open invoice can be {action}.",
        field="status",
        details=details,
    )


def status_filter(value: str | None, codes: Mapping[str, object]) -> list[str] | None:
    """A search filter of one or more comma-separated status codes."""
    if value is None:
        return None
    statuses = [code.strip() for code in value.split(",")]
    unknown = [code for code in statuses if code not in codes]
    if unknown:
        raise invalid_field("status", f"{unknown[0]!r} is not a status code")
    return statuses
