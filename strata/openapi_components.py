"""Merging the ``components`` of several OpenAPI documents into one document.

Two documents may each define a component under the same name. When both definitions are
the same (after their own references are rewritten) they share the name; when they differ,
every holder's copy is renamed ``{namespace}.{name}`` and the ``$ref``\\ s of that holder's
document are rewritten to match.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

REF_PREFIX = "#/components/"
# Kinds of component reached by ``$ref`` (security schemes are named, never referenced).
REFERENCED_KINDS = (
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "links",
    "callbacks",
    "pathItems",
)

Renames = dict[tuple[str, str], str]  # (kind, old name) → new name, for one document


class ComponentClash(ValueError):
    """Two documents' components cannot be told apart even after namespacing."""


@dataclass(frozen=True)
class Part:
    """One document taking part in a merge, and the namespace its clashing names get."""

    namespace: str
    document: Mapping[str, Any]

    def components(self, kind: str) -> Mapping[str, Any]:
        components = self.document.get("components")
        found = components.get(kind) if isinstance(components, Mapping) else None
        return found if isinstance(found, Mapping) else {}


def component_renames(parts: Iterable[Part]) -> dict[str, Renames]:
    """For each part's namespace, the components that must be renamed to avoid a clash."""
    parts = list(parts)
    renames: dict[str, Renames] = {part.namespace: {} for part in parts}
    # Renaming one component changes the copies of those that refer to it: repeat until the
    # shared ones are still identical.
    while _rename_differing(parts, renames):
        pass
    _check_unique(parts, renames)
    return renames


def _rename_differing(parts: list[Part], renames: dict[str, Renames]) -> bool:
    renamed_any = False
    for kind in REFERENCED_KINDS:
        holders: dict[str, list[Part]] = {}
        for part in parts:
            for name in part.components(kind):
                if (kind, name) not in renames[part.namespace]:
                    holders.setdefault(name, []).append(part)
        for name, sharing in holders.items():
            if len(sharing) < 2:
                continue
            copies = {
                _canonical(rewrite_refs(part.components(kind)[name], renames[part.namespace]))
                for part in sharing
            }
            if len(copies) > 1:
                for part in sharing:
                    renames[part.namespace][(kind, name)] = f"{part.namespace}.{name}"
                renamed_any = True
    return renamed_any


def _check_unique(parts: list[Part], renames: dict[str, Renames]) -> None:
    # A name may recur only as the same original name on identical copies; a namespaced name
    # that meets another component's own name cannot be merged.
    for kind in REFERENCED_KINDS:
        kept_by_name: dict[str, bool] = {}
        for part in parts:
            for name in part.components(kind):
                final = renames[part.namespace].get((kind, name), name)
                kept = final == name
                if final in kept_by_name and not (kept and kept_by_name[final]):
                    raise ComponentClash(f"components/{kind}/{final} is defined twice")
                kept_by_name[final] = kept


def merge_components(parts: Iterable[Part], renames: dict[str, Renames]) -> dict[str, Any]:
    """Every part's referenced components under their final names (security schemes aside)."""
    merged: dict[str, dict[str, Any]] = {}
    for part in parts:
        for kind in REFERENCED_KINDS:
            for name, component in part.components(kind).items():
                final = renames[part.namespace].get((kind, name), name)
                merged.setdefault(kind, {})[final] = rewrite_refs(
                    component, renames[part.namespace]
                )
    return {kind: dict(sorted(items.items())) for kind, items in merged.items()}


def rewrite_refs(value: Any, renames: Renames) -> Any:
    """A copy of ``value`` with every local component reference renamed as ``renames`` says,
    including a discriminator's mapping (which names schemas by reference too)."""
    if isinstance(value, Mapping):
        copied = {key: rewrite_refs(item, renames) for key, item in value.items()}
        ref = copied.get("$ref")
        if isinstance(ref, str):
            copied["$ref"] = _renamed_ref(ref, renames)
        mapping = copied.get("mapping")
        if isinstance(copied.get("propertyName"), str) and isinstance(mapping, dict):
            copied["mapping"] = {
                key: _renamed_ref(target, renames) if isinstance(target, str) else target
                for key, target in mapping.items()
            }
        return copied
    if isinstance(value, list):
        return [rewrite_refs(item, renames) for item in value]
    return value


def _renamed_ref(ref: str, renames: Renames) -> str:
    if not ref.startswith(REF_PREFIX):
        return ref
    kind, _, escaped = ref.removeprefix(REF_PREFIX).partition("/")
    new_name = renames.get((kind, unescape_pointer(escaped)))
    return f"{REF_PREFIX}{kind}/{escape_pointer(new_name)}" if new_name else ref


def escape_pointer(token: str) -> str:
    """A JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_pointer(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)
