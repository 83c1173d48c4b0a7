"""The inventory system API's own problems (besides not-found and the backend failures)."""

from __future__ import annotations

from strata.errors import Problem


class InsufficientStock(Problem):
    def __init__(self, sku: str, location_id: str, requested: int, available: int | None) -> None:
        known = f"only {available} available" if available is not None else "too few available"
        super().__init__(
            409,
            "Insufficient stock",
            f"Cannot take {requested} of SKU {sku!r} at location {location_id!r}: {known}.",
            kind="insufficient-stock",
            sku=sku,
            location_id=location_id,
            requested=requested,
            available=available,
        )


class StaleExpectation(Problem):
    def __init__(self, sku: str, location_id: str, expected: int, actual: int | None) -> None:
        now = f" it is {actual}" if actual is not None else " it has changed"
        super().__init__(
            409,
            "Stale expectation",
            f"The available quantity of SKU {sku!r} at location {location_id!r} is no longer "
            f"{expected}:{now}. Read the level again and retry.",
            kind="stale-expectation",
            sku=sku,
            location_id=location_id,
            expected_available=expected,
            available=actual,
        )


class NotStocked(Problem):
    def __init__(self, sku: str, location_id: str) -> None:
        super().__init__(
            409,
            "Not stocked",
            f"SKU {sku!r} is not stocked at location {location_id!r}; start stocking it with "
            "an adjustment that expects 0 available.",
            kind="not-stocked",
            sku=sku,
            location_id=location_id,
        )


class ReservationStateConflict(Problem):
    def __init__(self, reservation_id: str, action: str, status: str) -> None:
        super().__init__(
            409,
            "Reservation state conflict",
            f"Cannot {action} reservation {reservation_id!r}: it is {status}.",
            kind="reservation-state",
            reservation_id=reservation_id,
            reservation_status=str(status),
        )


class ExternalIdConflict(Problem):
    def __init__(self, external_id: str) -> None:
        super().__init__(
            409,
            "External id already used",
            f"external_id {external_id!r} already names a reservation of another SKU, location "
            "or quantity.",
            kind="external-id-conflict",
            external_id=external_id,
        )


class InvalidField(Problem):
    """422 naming one field, in the same shape as request validation errors."""

    def __init__(self, field: str, message: str, where: str = "body") -> None:
        super().__init__(
            422,
            "Invalid request",
            f"{field}: {message}",
            kind="validation",
            errors=[{"field": field, "in": where, "message": message}],
        )
