"""The inventory backend: a stand-in that behaves like a Shopify store's Admin REST API
(products, variants, inventory items, locations, inventory levels with named quantities,
cursor paging, Shopify error bodies) plus a reservations extension, on its own tables."""

from system_apis.backends.inventory.app import create_backend
from system_apis.backends.inventory.seed import seed
from system_apis.backends.inventory.stock import sweep_expired_reservations

__all__ = ["create_backend", "seed", "sweep_expired_reservations"]
