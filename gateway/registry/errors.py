"""Registry errors as problem+json, in the same shape as request validation errors."""

from __future__ import annotations

from pydantic import ValidationError

from strata.errors import Conflict, Problem, error_message


def invalid(field: str, message: str) -> Problem:
    """A 422 naming the one field that is wrong."""
    return Problem(
        422,
        "Invalid request",
        f"{field}: {message}",
        kind="validation",
        errors=[{"field": field, "in": "body", "message": message}],
    )


def from_validation_error(exc: ValidationError) -> Problem:
    """A 422 for input validated outside a request (the CLI, built-in registrations)."""
    fields = [
        {
            "field": ".".join(str(part) for part in error["loc"]),
            "in": "body",
            "message": error_message(error),
        }
        for error in exc.errors()
    ]
    shown = "; ".join(f"{f['field'] or 'body'}: {f['message']}" for f in fields[:3])
    more = f" (and {len(fields) - 3} more)" if len(fields) > 3 else ""
    return Problem(422, "Invalid request", shown + more, kind="validation", errors=fields)


def duplicate_name(name: str) -> Conflict:
    return Conflict(f"an API named {name!r} is already registered", field="name", name=name)


def builtin_is_read_only(name: str) -> Conflict:
    return Conflict(
        f"{name!r} is a built-in API: Strata registers it at every start, so it cannot be "
        "changed or deleted through the admin API",
        name=name,
    )


def revision_mismatch(name: str, expected: int, actual: int) -> Problem:
    return Problem(
        412,
        "Precondition failed",
        f"{name!r} is at revision {actual}, not {expected}; read it again and retry",
        kind="precondition-failed",
        expected_revision=expected,
        revision=actual,
    )
