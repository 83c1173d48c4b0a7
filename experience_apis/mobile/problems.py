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
from experience_apis.common.problems import refusal
from strata.errors import Problem

# The orders process API's names for the fields of an order, and ours.
ORDER_FIELDS: Mapping[str, str] = {"lines": "items", "quantity": "qty"}


def from_below(error: DownstreamError, renames: Mapping[str, str] | None = None) -> Problem:
    if error.transient:
        return error.as_problem()
    problem = refusal(error)
    errors = problem.extensions.get("errors")
    if renames and isinstance(errors, list):
        renamed = [_renamed(entry, renames) for entry in errors]
        if renamed != errors:
            problem.extensions["errors"] = renamed
            problem.detail = "; ".join(f"{e.get('field')}: {e.get('message')}" for e in renamed[:3])
    return problem


def _renamed(entry: Any, renames: Mapping[str, str]) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("field"), str):
        return entry
    parts = [renames.get(part, part) for part in entry["field"].split(".")]
    return {**entry, "field": ".".join(parts)}
