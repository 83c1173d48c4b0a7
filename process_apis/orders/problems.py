"""The problems of the orders API, kept as JSON in a flow's trace and raised from there."""

from __future__ import annotations

from typing import Any

from process_apis.clients import DownstreamError
from strata.errors import Problem


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {
        "status": problem.status,
        "title": problem.title,
        "detail": problem.detail,
        "kind": problem.kind,
        **problem.extensions,
    }


def from_dict(body: dict[str, Any], **extensions: Any) -> Problem:
    """The problem a flow's failure describes, with ``extensions`` added."""
    known = {"status", "title", "detail", "kind", "type", "instance", "request_id"}
    extra = {key: value for key, value in body.items() if key not in known}
    return Problem(
        int(body.get("status") or 502),
        str(body.get("title") or "Order failed"),
        body.get("detail"),
        kind=str(body.get("kind") or "order-failed"),
        **{**extra, **extensions},
    )


def field_problem(field: str, message: str) -> dict[str, Any]:
    """A 422 naming the field of the order that is wrong, like request validation's."""
    return {
        "status": 422,
        "title": "Invalid request",
        "detail": f"{field}: {message}",
        "kind": "validation",
        "errors": [{"field": field, "in": "body", "message": message}],
    }


def upstream_refused(error: DownstreamError) -> dict[str, Any]:
    return {
        "status": 502,
        "title": "Upstream refused",
        "detail": f"The {error.system} system API refused the process's request "
        f"({error.status}): {error.problem.get('detail') or error.problem.get('title')}",
        "kind": "upstream-refused",
        "system": error.system,
        "upstream_status": error.status,
    }


class IdempotencyKeyMissing(Problem):
    def __init__(self) -> None:
        super().__init__(
            400,
            "Idempotency-Key required",
            "Send an Idempotency-Key header (1 to 255 printable characters) so a retried "
            "request never places the order twice.",
            kind="idempotency-key-missing",
            errors=[{"field": "Idempotency-Key", "in": "header", "message": "is required"}],
        )


class IdempotencyKeyInvalid(Problem):
    def __init__(self) -> None:
        super().__init__(
            400,
            "Idempotency-Key invalid",
            "An Idempotency-Key is 1 to 255 printable ASCII characters.",
            kind="idempotency-key-invalid",
            errors=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "message": "must be 1 to 255 printable ASCII characters",
                }
            ],
        )


class IdempotencyKeyReused(Problem):
    def __init__(self, order_id: str) -> None:
        super().__init__(
            422,
            "Idempotency-Key reused",
            "This Idempotency-Key was used for a different request body; use a new key for a "
            "new order.",
            kind="idempotency-key-reused",
            order_id=order_id,
            errors=[
                {
                    "field": "Idempotency-Key",
                    "in": "header",
                    "message": "was used with a different body",
                }
            ],
        )


class OrderInProgress(Problem):
    def __init__(self, order_id: str, status: str, location: str) -> None:
        super().__init__(
            409,
            "Order in progress",
            "The first request with this Idempotency-Key is still being processed; retry "
            "later or follow Location.",
            kind="idempotency-in-progress",
            headers={"Location": location, "Retry-After": "1"},
            order_id=order_id,
            order_status=status,
        )


class NotYourCustomer(Problem):
    """A caller restricted to one customer asked to order for another. The same answer for
    every other id, known or not, so it tells nothing about which customers exist."""

    def __init__(self) -> None:
        super().__init__(
            403,
            "Forbidden",
            "customer_id: this token may place orders for its own customer only.",
            kind="not-your-customer",
            errors=[
                {
                    "field": "customer_id",
                    "in": "body",
                    "message": "must be the customer this token belongs to",
                }
            ],
        )
