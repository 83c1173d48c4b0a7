"""The mobile API's answer when a call below fails.

A failure below (no answer, a 5xx) is this API's 502/503/504 naming the API that failed. A
considered refusal (too little stock, an order that is not payable, a reused
Idempotency-Key) passes through as it was made, extensions and all, with the fields it
names translated into this API's words (``lines.0.quantity`` is ``items.0.qty`` here) and
without the paths into the layer below (a ``trace`` link), which the app cannot follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from experience_apis.common.clients import DownstreamError
from strata.errors import Problem

# Members of a problem body that the Problem rebuilds itself rather than copies (and the
# names of its own arguments, which an extension must not take).
_OWN_MEMBERS = frozenset(
    {"type", "title", "status", "detail", "instance", "request_id", "kind", "headers"}
)
# Paths into the layer below, which the app cannot follow.
_LINKS_BELOW = frozenset({"trace", "links", "location"})
# The orders process API's names for the fields of an order, and ours.
ORDER_FIELDS: Mapping[str, str] = {"lines": "items", "quantity": "qty"}


def from_below(error: DownstreamError, renames: Mapping[str, str] | None = None) -> Problem:
    if error.transient:
        return error.as_problem()
    body = error.problem
    extensions = {
        key: value
        for key, value in body.items()
        if key not in _OWN_MEMBERS and key not in _LINKS_BELOW
    }
    detail = body.get("detail")
    errors = extensions.get("errors")
    if renames and isinstance(errors, list):
        renamed = [_renamed(entry, renames) for entry in errors]
        if renamed != errors:
            extensions["errors"] = renamed
            detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in renamed[:3])
    return Problem(
        error.status,
        str(body.get("title") or "Refused"),
        str(detail) if detail else None,
        kind=error.kind or "upstream-refused",
        **extensions,
    )


def _renamed(entry: Any, renames: Mapping[str, str]) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
        return entry
    parts = [renames.get(part, part) for part in entry["field"].split(".")]
    return {**entry, "field": ".".join(parts)}
