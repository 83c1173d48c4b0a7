"""Every table of every layer, gathered for Alembic (the one place that imports them all)."""

from __future__ import annotations

import importlib

from strata.db import Base

MODEL_MODULES = (
    "system_apis.backends.crm.models",
    "system_apis.backends.erp.models",
    "system_apis.backends.inventory.models",
    "gateway.oauth.models",
    "gateway.registry.models",
    "process_apis.flows.models",
    "process_apis.orders.models",
)

for _module in MODEL_MODULES:
    importlib.import_module(_module)

metadata = Base.metadata
