"""A backend's record that its data map cannot turn into the canonical model.

The record was read (the answer itself was fine) but a value in it breaks a rule of the
canonical model, such as a control character in a name typed into the CRM's own screens.
The system API refuses to pass it on, since every system that receives it would fail on it
later and less clearly; the problem names the record and the field, so that someone can put
it right in that system.
"""

from __future__ import annotations

from pydantic import ValidationError

from strata.errors import Problem


class InvalidBackendData(Problem):
    def __init__(
        self,
        system: str,
        resource: str,
        record_id: str,
        field: str,
        reason: str,
    ) -> None:
        super().__init__(
            502,
            "Invalid backend data",
            f"The {system} system's {resource} {record_id} cannot be passed on: its {field} "
            f"{reason}. Correct the record in the {system} system.",
            kind="invalid-backend-data",
            system=system,
            resource=resource,
            id=record_id,
            field=field,
        )


def invalid_backend_data(
    system: str,
    resource: str,
    record_id: object,
    error: ValidationError,
) -> InvalidBackendData:
    """The problem for the first canonical rule ``error`` says the record breaks."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "record"
    shown = str(record_id) if isinstance(record_id, str | int) and record_id != "" else "?"
    return InvalidBackendData(system, resource, shown, field, _reason(first["msg"]))


def _reason(message: str) -> str:
    # Pydantic's own messages start like sentences ("String should have..."); the rule's
    # are written to follow a field name ("has a control character...").
    return message if message[:1].islower() else f"is refused ({message})"
