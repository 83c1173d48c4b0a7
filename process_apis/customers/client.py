"""The calls the customer 360 view makes: the CRM for the profile and activity, the ERP for
orders and invoices."""

from __future__ import annotations

from typing import Any, TypeVar
from urllib.parse import quote

from process_apis.clients import SystemCaller
from process_apis.customers.schemas import Activity
from system_apis.canonical import Customer, Invoice, Page, SalesOrder

ItemT = TypeVar("ItemT")
PAGE_SIZE = 200


class CustomerCalls(SystemCaller):
    async def profile(self, customer_id: str) -> Customer:
        return await self.fetch(Customer, "crm", "GET", f"/customers/{quote(customer_id, safe='')}")

    async def activities(self, customer_id: str, limit: int) -> list[Activity]:
        path = f"/customers/{quote(customer_id, safe='')}/activities"
        page = await self.fetch(Page[Activity], "crm", "GET", path, params={"limit": limit})
        return page.items

    async def orders(self, customer_id: str, max_items: int) -> tuple[list[SalesOrder], int]:
        return await self._all(Page[SalesOrder], "/orders", customer_id, max_items)

    async def invoices(self, customer_id: str, max_items: int) -> tuple[list[Invoice], int]:
        return await self._all(Page[Invoice], "/invoices", customer_id, max_items)

    async def _all(
        self, page_type: type[Page[ItemT]], path: str, customer_id: str, max_items: int
    ) -> tuple[list[ItemT], int]:
        """Every item (up to ``max_items``) and the total the ERP reports; the ERP lists
        oldest first, so the newest come last."""
        params: dict[str, Any] = {"customer_id": customer_id, "limit": PAGE_SIZE}
        items: list[ItemT] = []
        total = 0
        while True:
            page = await self.fetch(page_type, "erp", "GET", path, params=params)
            items.extend(page.items)
            total = page.total if page.total is not None else len(items)
            if not page.next_cursor or len(items) >= max_items:
                return items, total
            params["cursor"] = page.next_cursor
