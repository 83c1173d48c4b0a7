"""The ERP stand-in: a NetSuite/SAP-style ERP with XML record services.

``create_backend(database, faults)`` builds its app; ``seed(database, world)`` loads the demo
world into an empty ERP.
"""

from system_apis.backends.erp.app import create_backend
from system_apis.backends.erp.seed import seed

__all__ = ["create_backend", "seed"]
