"""The inventory system API (``/system/inventory/v1``) over the Shopify-style backend."""
