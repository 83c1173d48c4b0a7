"""Calls to the Shopify-style inventory backend, and its answers read into typed records.

``BackendClient`` already turns timeouts, outages and 5xx into problems. This class reads the
rest: a record that cannot be parsed is a 502 saying what was wrong, and Shopify's own refusals
(``{"errors": ...}``) become canonical problems: an unknown id is a 404 naming the resource, a
refused value a 422 naming the canonical field, and a conflict with the stock a 409.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, NoReturn, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError

from strata.errors import NotFound
from system_apis.common.backend_client import BackendClient, BackendError
from system_apis.inventory import data_map
from system_apis.inventory.native import (
    ShopifyInventoryItem,
    ShopifyLevel,
    ShopifyLocation,
    ShopifyProduct,
    ShopifyReservation,
    ShopifyShop,
    ShopifyVariant,
)
from system_apis.inventory.problems import (
    ExternalIdConflict,
    InsufficientStock,
    InvalidField,
    NotStocked,
    ReservationStateConflict,
    StaleExpectation,
)
from system_apis.inventory.schemas import ReservationRequest

PREFIX = "/admin/api/2024-10"
Record = TypeVar("Record", bound=BaseModel)
_NEXT_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="next"')
_NUMBER = re.compile(r"\((-?\d+)\)")
_STATUS = re.compile(r"\bis (open|committed|released|expired)\b")
# Shopify's names for what the caller sent, and the canonical names the caller used.
_CANONICAL_FIELDS = {
    "available_adjustment": "delta",
    "available": "delta",
    "compare_quantity": "expected_available",
    "expires_in": "ttl_seconds",
    "page_info": "cursor",
    "product_type": "category",
    "location_ids": "location_id",
    "inventory_item_ids": "sku",
    "inventory_item_id": "sku",
}


@dataclass(frozen=True)
class NativePage(Generic[Record]):
    records: list[Record]
    next_page_info: str | None


def _number_in(message: str) -> int | None:
    """The quantity the store puts in parentheses in its messages ("... (3) ...")."""
    found = _NUMBER.search(message)
    return int(found.group(1)) if found else None


class InventoryClient:
    """The inventory backend, spoken to in its own terms."""

    def __init__(self, backend: BackendClient) -> None:
        self.backend = backend
        self._currency: str | None = None

    # --- reading answers ------------------------------------------------------------------

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.backend.request(method, PREFIX + path, **kwargs)

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            raise self.backend.invalid("the body is not JSON") from None
        if not isinstance(body, dict):
            raise self.backend.invalid("the body is not a JSON object")
        return body

    def _parse(self, response: httpx.Response, key: str, shape: Any) -> Any:
        body = self._json(response)
        if key not in body:
            raise self.backend.invalid(f"the answer has no {key!r}")
        try:
            return TypeAdapter(shape).validate_python(body[key])
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "record"
            raise self.backend.invalid(f"{key}.{where}: {first['msg'].lower()}") from None

    def _one(self, response: httpx.Response, key: str, model: type[Record]) -> Record:
        record: Record = self._parse(response, key, model)
        return record

    def _many(self, response: httpx.Response, key: str, model: type[Record]) -> list[Record]:
        records: list[Record] = self._parse(response, key, list[model])  # type: ignore[valid-type]
        return records

    def _page(self, response: httpx.Response, key: str, model: type[Record]) -> NativePage[Record]:
        found = _NEXT_LINK.search(response.headers.get("link", ""))
        next_page_info = httpx.URL(found.group(1)).params.get("page_info") if found else None
        return NativePage(self._many(response, key, model), next_page_info)

    def _errors(self, response: httpx.Response) -> dict[str, list[str]]:
        """Shopify's ``errors``, whatever its shape, as messages per field (``base`` for the
        record as a whole)."""
        errors = self._json(response).get("errors")
        if isinstance(errors, str):
            return {"base": [errors]}
        if isinstance(errors, list):
            return {"base": [str(message) for message in errors]}
        if isinstance(errors, dict):
            return {
                str(field): [
                    str(m) for m in (messages if isinstance(messages, list) else [messages])
                ]
                for field, messages in errors.items()
            }
        raise self.backend.invalid(f"a {response.status_code} answer without errors")

    def _unexpected(self, response: httpx.Response) -> NoReturn:
        raise BackendError(
            self.backend.system,
            f"it answered {response.status_code}",
            backend_status=response.status_code,
        )

    def _refused(self, response: httpx.Response) -> NoReturn:
        """A 400 or 422 that no caller-specific rule explained: the field the caller got
        wrong, in the caller's words."""
        if response.status_code not in (400, 422):
            self._unexpected(response)
        field, messages = next(iter(self._errors(response).items()))
        where = "query" if response.status_code == 400 else "body"
        raise InvalidField(_CANONICAL_FIELDS.get(field, field), messages[0], where)

    # --- the shop and its catalog ---------------------------------------------------------

    async def shop_currency(self) -> str:
        """The currency of every price in the shop (read once, it does not change)."""
        if self._currency is None:
            response = await self._call("GET", "/shop.json")
            if response.status_code != 200:
                self._unexpected(response)
            self._currency = self._one(response, "shop", ShopifyShop).currency
        return self._currency

    async def products(
        self,
        *,
        limit: int,
        page_info: str | None = None,
        product_type: str | None = None,
        sku: str | None = None,
    ) -> NativePage[ShopifyProduct]:
        params: dict[str, Any] = {"limit": limit}
        if page_info is not None:
            params["page_info"] = page_info
        else:
            params.update({k: v for k, v in (("product_type", product_type), ("sku", sku)) if v})
        response = await self._call("GET", "/products.json", params=params)
        if response.status_code != 200:
            self._refused(response)
        return self._page(response, "products", ShopifyProduct)

    async def variant_by_sku(self, sku: str) -> tuple[ShopifyProduct, ShopifyVariant] | None:
        if "," in sku:  # the store reads commas as a list of SKUs; no single SKU has one
            return None
        for product in (await self.products(limit=1, sku=sku)).records:
            for variant in product.variants:
                if variant.sku == sku:
                    return product, variant
        return None

    async def sku_of(self, inventory_item_id: int) -> str:
        response = await self._call(
            "GET", "/inventory_items.json", params={"ids": str(inventory_item_id)}
        )
        if response.status_code != 200:
            self._unexpected(response)
        for item in self._many(response, "inventory_items", ShopifyInventoryItem):
            if item.id == inventory_item_id and item.sku:
                return item.sku
        raise self.backend.invalid(f"inventory item {inventory_item_id} has no SKU")

    async def locations(self) -> list[ShopifyLocation]:
        response = await self._call("GET", "/locations.json")
        if response.status_code != 200:
            self._unexpected(response)
        return self._many(response, "locations", ShopifyLocation)

    async def location(self, location_id: int) -> ShopifyLocation | None:
        response = await self._call("GET", f"/locations/{location_id}.json")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            self._unexpected(response)
        return self._one(response, "location", ShopifyLocation)

    # --- inventory levels -----------------------------------------------------------------

    async def levels(
        self,
        *,
        limit: int,
        page_info: str | None = None,
        inventory_item_id: int | None = None,
        location_id: int | None = None,
    ) -> NativePage[ShopifyLevel]:
        params: dict[str, Any] = {"limit": limit}
        if page_info is not None:
            params["page_info"] = page_info
        else:
            if inventory_item_id is not None:
                params["inventory_item_ids"] = str(inventory_item_id)
            if location_id is not None:
                params["location_ids"] = str(location_id)
        response = await self._call("GET", "/inventory_levels.json", params=params)
        if response.status_code != 200:
            self._refused(response)
        return self._page(response, "inventory_levels", ShopifyLevel)

    async def change_level(
        self,
        sku: str,
        location_id: str,
        inventory_item_id: int,
        delta: int,
        expected_available: int | None,
    ) -> ShopifyLevel:
        """Adjusts by ``delta``; with ``expected_available``, only if it still is that."""
        native_location = data_map.native_id(location_id)
        if native_location is None:
            raise NotFound("location", location_id)
        kind, body = data_map.adjustment_to_native(
            inventory_item_id, native_location, delta, expected_available
        )
        response = await self._call("POST", f"/inventory_levels/{kind}.json", json=body)
        if response.status_code == 200:
            return self._one(response, "inventory_level", ShopifyLevel)
        if response.status_code == 422:
            self._level_refused(self._errors(response), sku, location_id, delta, expected_available)
        self._refused(response)

    def _level_refused(
        self,
        errors: dict[str, list[str]],
        sku: str,
        location_id: str,
        delta: int,
        expected: int | None,
    ) -> None:
        message = next(iter(errors.values()))[0]
        if "location_id" in errors:
            raise NotFound("location", location_id)
        if "inventory_item_id" in errors:
            raise NotFound("product", sku)
        if "compare_quantity" in errors and expected is not None:
            raise StaleExpectation(sku, location_id, expected, _number_in(message))
        if "available_adjustment" in errors and "negative" in message:
            raise InsufficientStock(sku, location_id, -delta, _number_in(message))
        if "base" in errors and "not stocked" in message:
            raise NotStocked(sku, location_id)

    # --- reservations ---------------------------------------------------------------------

    async def reserve(
        self, request: ReservationRequest, inventory_item_id: int
    ) -> tuple[ShopifyReservation, bool]:
        """Holds units; returns the reservation and whether it is new. With an external_id
        the call is idempotent, so it is retried like a read."""
        native_location = data_map.native_id(request.location_id)
        if native_location is None:
            raise NotFound("location", request.location_id)
        body = data_map.reservation_request_to_native(
            inventory_item_id,
            native_location,
            request.quantity,
            request.external_id,
            request.ttl_seconds,
        )
        response = await self._call(
            "POST", "/reservations.json", json=body, idempotent=request.external_id is not None
        )
        if response.status_code in (200, 201):
            record = self._one(response, "reservation", ShopifyReservation)
            return record, response.status_code == 201
        if response.status_code == 422:
            self._reservation_refused(self._errors(response), request)
        self._refused(response)

    def _reservation_refused(
        self, errors: dict[str, list[str]], request: ReservationRequest
    ) -> None:
        message = next(iter(errors.values()))[0]
        if "location_id" in errors:
            raise NotFound("location", request.location_id)
        if "inventory_item_id" in errors:
            raise NotFound("product", request.sku)
        if "quantity" in errors and "available quantity" in message:
            raise InsufficientStock(
                request.sku, request.location_id, request.quantity, _number_in(message)
            )
        if "external_id" in errors and "taken" in message and request.external_id:
            raise ExternalIdConflict(request.external_id)

    async def reservation(self, reservation_id: str) -> ShopifyReservation:
        native = data_map.native_id(reservation_id)
        if native is None:
            raise NotFound("reservation", reservation_id)
        response = await self._call("GET", f"/reservations/{native}.json")
        return self._reservation_answer(response, reservation_id, "read")

    async def settle(self, reservation_id: str, action: str) -> ShopifyReservation:
        """``commit`` or ``release``; both may be repeated, so both are retried."""
        native = data_map.native_id(reservation_id)
        if native is None:
            raise NotFound("reservation", reservation_id)
        response = await self._call(
            "POST", f"/reservations/{native}/{action}.json", idempotent=True
        )
        return self._reservation_answer(response, reservation_id, action)

    def _reservation_answer(
        self, response: httpx.Response, reservation_id: str, action: str
    ) -> ShopifyReservation:
        if response.status_code == 200:
            return self._one(response, "reservation", ShopifyReservation)
        if response.status_code == 404:
            raise NotFound("reservation", reservation_id)
        if response.status_code == 422:
            errors = self._errors(response)
            found = _STATUS.search(errors.get("base", [""])[0])
            if found:
                status = data_map.reservation_status_from_native(found.group(1))
                raise ReservationStateConflict(reservation_id, action, status)
        self._refused(response)
