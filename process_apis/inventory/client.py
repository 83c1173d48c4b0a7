"""The calls availability makes to the inventory system API."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from process_apis.clients import SystemCaller
from system_apis.canonical import Location, Page, Product, StockLevel

ItemT = TypeVar("ItemT")
PAGE_SIZE = 200
MAX_PAGES = 20


class InventoryCalls(SystemCaller):
    async def product(self, sku: str) -> Product:
        return await self.fetch(Product, "inventory", "GET", f"/products/{quote(sku, safe='')}")

    async def stock(self, sku: str) -> list[StockLevel]:
        return await self._all(Page[StockLevel], "/stock", {"sku": sku})

    async def locations(self) -> list[Location]:
        return await self._all(Page[Location], "/locations", {})

    async def _all(
        self, page_type: type[Page[ItemT]], path: str, params: dict[str, Any]
    ) -> list[ItemT]:
        query = {**params, "limit": PAGE_SIZE}
        items: list[ItemT] = []
        for _ in range(MAX_PAGES):
            page = await self.fetch(page_type, "inventory", "GET", path, params=query)
            items.extend(page.items)
            if not page.next_cursor:
                break
            query["cursor"] = page.next_cursor
        return items
