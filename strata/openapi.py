"""Every API's OpenAPI document, exported to ``openapi/`` and checked for drift in CI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from strata.settings import load_settings


def documents() -> dict[str, dict[str, Any]]:
    """File name → document, for every API Strata serves, built from the code."""
    from strata.app import create_strata

    settings = load_settings(database_url="sqlite+aiosqlite:///:memory:", seed_demo_data=False)
    strata = create_strata(settings)
    exported = {
        f"{layer}-{name}.json": api.openapi() for (layer, name), api in strata.layers.apis.items()
    }
    exported["gateway.json"] = strata.gateway.app.openapi()
    return exported


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_documents(directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, document in documents().items():
        (directory / name).write_text(render(document), encoding="utf-8")
        written.append(name)
    return written


def changed_documents(directory: Path) -> list[str]:
    """Names of documents that are missing, stale, or no longer produced by the code."""
    expected = {name: render(document) for name, document in documents().items()}
    drifted = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text("utf-8") != text
    ]
    on_disk = {path.name for path in directory.glob("*.json")} if directory.is_dir() else set()
    drifted.extend(sorted(on_disk - expected.keys()))
    return drifted
