"""Sparse fieldsets: ``?fields=a,b`` keeps only those top-level fields of an answer.

A mobile screen asks for what it shows and nothing more. The fields a route offers are the
top-level fields of its (compact) response model; the identifying field (``id`` or ``sku``)
is always kept so an item can still be told apart, and a list keeps its ``next_cursor``.
A name the route does not offer is a 422 problem naming ``fields`` and listing the allowed
names, never silently ignored (a typo would otherwise look like missing data).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Query
from pydantic import BaseModel

from strata.errors import Problem

MAX_FIELDS_LENGTH = 500


@dataclass(frozen=True)
class FieldSelection:
    """The fields a request asked for (``None``: all of them)."""

    names: frozenset[str] | None = None

    def apply(self, item: Mapping[str, Any]) -> dict[str, Any]:
        if self.names is None:
            return dict(item)
        return {key: value for key, value in item.items() if key in self.names}

    def apply_all(self, items: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [self.apply(item) for item in items]


def offered_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The top-level names ``model`` serializes (aliases where it has them)."""
    return tuple(info.alias or name for name, info in model.model_fields.items())


def parse_fields(raw: str | None, allowed: tuple[str, ...], key: str) -> FieldSelection:
    """The selection ``raw`` (``"a,b"``) makes among ``allowed``; ``key`` is always kept."""
    if raw is None:
        return FieldSelection()
    names = {name.strip() for name in raw.split(",") if name.strip()}
    if not names:
        raise fields_problem("names no field", allowed)
    unknown = sorted(names - set(allowed))
    if unknown:
        listed = ", ".join(unknown)
        raise fields_problem(f"unknown field{'s' if len(unknown) > 1 else ''} {listed}", allowed)
    return FieldSelection(frozenset(names | {key}))


def fields_problem(message: str, allowed: tuple[str, ...]) -> Problem:
    full = f"{message}; allowed: {', '.join(allowed)}"
    return Problem(
        422,
        "Invalid request",
        f"fields: {full}",
        kind="validation",
        errors=[{"field": "fields", "in": "query", "message": full}],
        allowed_fields=list(allowed),
    )


def sparse_fields(model: type[BaseModel], key: str = "id") -> Callable[..., FieldSelection]:
    """A dependency reading ``?fields=`` for answers shaped like ``model``."""
    allowed = offered_fields(model)
    if key not in allowed:
        raise ValueError(f"{model.__name__} has no {key!r} field to keep")
    description = f"Comma-separated fields to return (`{key}` always is): {', '.join(allowed)}"

    # The Query is a default value, not an annotation: the description is built here.
    def selection(
        fields: str | None = Query(
            None, max_length=MAX_FIELDS_LENGTH, description=description, examples=[key]
        ),
    ) -> FieldSelection:
        return parse_fields(fields, allowed, key)

    return selection
