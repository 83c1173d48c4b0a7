"""Every API's OpenAPI document, exported to ``openapi/`` and checked for drift in CI.

Besides one document per API (``{layer}-{name}.json``) and the gateway's own
(``gateway.json``) there is ``strata.json``: the whole gateway in one document. Every
document is validated with openapi-spec-validator before it is written or compared.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from strata.openapi_combined import COMBINED_DOCUMENT, as_registered, combined_document
from strata.settings import load_settings

GATEWAY_DOCUMENT = "gateway.json"
Documents = dict[str, dict[str, Any]]  # file name → document


class InvalidDocument(ValueError):
    """A document the code produces is not valid OpenAPI."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name} is not a valid OpenAPI document: {reason}")
        self.name = name


def documents() -> Documents:
    """File name → document, for every API Strata serves, built from the code."""
    from strata.app import create_strata

    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", seed_demo_data=False)
    strata = create_strata(settings)
    exported = {
        f"{layer}-{name}.json": api.openapi() for (layer, name), api in strata.layers.apis.items()
    }
    gateway = strata.gateway.app.openapi()
    exported[GATEWAY_DOCUMENT] = gateway
    apis = [as_registered(registration) for registration in strata.layers.builtin_registrations()]
    exported[COMBINED_DOCUMENT] = combined_document(apis, gateway)
    return exported


def validated_documents() -> Documents:
    """:func:`documents`, each checked against the OpenAPI specification."""
    return _validated(documents())


def _validated(produced: Documents) -> Documents:
    for name, document in produced.items():
        check_document(name, document)
    return produced


def check_document(name: str, document: dict[str, Any]) -> None:
    try:
        validate(document)
    except OpenAPIValidationError as exc:
        where = "/".join(str(step) for step in exc.path)
        raise InvalidDocument(name, f"{exc.message} (at /{where})") from None


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_documents(directory: Path, produced: Documents | None = None) -> list[str]:
    """Writes every valid document (``produced``, or what the code produces now); raises
    :class:`InvalidDocument` before writing any when one is not valid."""
    produced = validated_documents() if produced is None else _validated(produced)
    directory.mkdir(parents=True, exist_ok=True)
    for name, document in produced.items():
        (directory / name).write_text(render(document), encoding="utf-8")
    return list(produced)


def changed_documents(directory: Path, produced: Documents | None = None) -> list[str]:
    """Names of documents that are missing, stale, or no longer produced by the code (or in
    ``produced``, when given)."""
    produced = validated_documents() if produced is None else _validated(produced)
    expected = {name: render(document) for name, document in produced.items()}
    drifted = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != text
    ]
    on_disk = {path.name for path in directory.glob("*.json")} if directory.is_dir() else set()
    drifted.extend(sorted(on_disk - expected.keys()))
    return drifted
