"""Calls to the ERP's native record services, answered in the canonical model.

Each method sends one XML document (or none), reads the answer through the data map, and
turns the ERP's faults into canonical problems. Retries are left to :class:`BackendClient`,
which makes them only for calls that are safe to repeat: reads, PUTs, status changes that
name their target, and creations keyed by an external id (the ERP answers a repeat with the
first record).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from xml.etree.ElementTree import Element

from pydantic import ValidationError

from strata.errors import NotFound
from system_apis.canonical import Customer, Invoice, InvoiceStatus, OrderStatus, SalesOrder
from system_apis.common.backend_client import BackendClient
from system_apis.common.backend_data import invalid_backend_data
from system_apis.erp import data_map
from system_apis.erp.data_map import (
    CUSTOMER_FIELDS,
    INVOICE_FIELDS,
    ORDER_FIELDS,
    PAYMENT_FIELDS,
)
from system_apis.erp.faults import Operation, problem_for
from system_apis.erp.paging import PagePosition
from system_apis.erp.schemas import (
    CreateInvoiceRequest,
    CreateOrderRequest,
    ErpCustomerAccount,
    PaymentRequest,
)
from system_apis.erp.xml_reader import MappingError, Record, parse_answer, to_bytes

RECORDS = "/services/rest/record/v1"
_XML = {"content-type": "application/xml", "accept": "application/xml"}
# The canonical name of each ERP record type, for naming a record that cannot be passed on.
_RESOURCES = {"customer": "customer", "salesOrder": "order", "invoice": "invoice"}
T = TypeVar("T")


@dataclass(frozen=True)
class Listing(Generic[T]):
    items: list[T]
    total: int
    total_pages: int


@dataclass(frozen=True)
class Answer:
    record: Record
    created: bool


class ErpClient:
    def __init__(self, backend: BackendClient) -> None:
        self.backend = backend

    # --- plumbing ---------------------------------------------------------------------------

    async def _send(
        self,
        method: str,
        path: str,
        op: Operation,
        *,
        body: Element | None = None,
        params: dict[str, Any] | None = None,
        idempotent: bool | None = None,
    ) -> Answer:
        response = await self.backend.request(
            method,
            RECORDS + path,
            params=params,
            headers=_XML,
            idempotent=idempotent,
            content=to_bytes(body) if body is not None else None,
        )
        if response.status_code >= 400:
            raise problem_for(self.backend, response.status_code, response.content, op)
        content_type = response.headers.get("content-type", "")
        if "xml" not in content_type:
            raise self.backend.invalid(f"a {content_type or 'untyped'} body instead of XML")
        try:
            record = Record(parse_answer(response.content))
        except MappingError as exc:
            raise self.backend.invalid(str(exc)) from None
        return Answer(record, response.status_code == 201)

    def _read(self, mapper: Callable[[Record], T], record: Record) -> T:
        try:
            return mapper(record)
        except MappingError as exc:
            raise self.backend.invalid(str(exc)) from None
        except ValidationError as exc:
            raise invalid_backend_data(
                self.backend.system,
                _RESOURCES.get(record.tag, record.tag),
                record.attribute("internalId"),
                exc,
            ) from None

    def _listing(
        self,
        answer: Answer,
        mapper: Callable[[Record], T],
        tag: str,
    ) -> Listing[T]:
        root = answer.record
        if root.tag != "searchResult":
            raise self.backend.invalid(f"expected a <searchResult>, got <{root.tag}>")
        try:
            total = int(root.required("totalRecords"))
            total_pages = int(root.required("totalPages"))
        except (MappingError, ValueError) as exc:
            raise self.backend.invalid(f"a search result without its counts ({exc})") from None
        items = [self._read(mapper, record) for record in root.children(f"recordList/{tag}")]
        return Listing(items, total, total_pages)

    @staticmethod
    def _record_key(resource: str, record_id: str) -> str:
        key = data_map.record_key(record_id)
        if key is None:
            raise NotFound(resource, record_id)
        return key

    # --- customers --------------------------------------------------------------------------

    async def get_account(self, customer_id: str) -> ErpCustomerAccount:
        answer = await self._send(
            "GET",
            f"/customer/{data_map.customer_key(customer_id)}",
            Operation("customer", customer_id),
        )
        return self._read(data_map.account_from_record, answer.record)

    async def upsert_customer(self, customer: Customer) -> tuple[ErpCustomerAccount, bool]:
        answer = await self._send(
            "PUT",
            f"/customer/{data_map.customer_key(customer.id)}",
            Operation("customer", customer.id, CUSTOMER_FIELDS),
            body=data_map.customer_document(customer),
        )
        return self._read(data_map.account_from_record, answer.record), answer.created

    # --- sales orders -----------------------------------------------------------------------

    async def create_order(self, order: CreateOrderRequest) -> tuple[SalesOrder, bool]:
        op = Operation(
            "order",
            order.external_id,
            ORDER_FIELDS,
            references={"salesOrder.entity": ("customer", order.customer_id)},
        )
        answer = await self._send(
            "POST", "/salesOrder", op, body=data_map.order_document(order), idempotent=True
        )
        return self._read(data_map.order_from_record, answer.record), answer.created

    async def get_order(self, order_id: str) -> SalesOrder:
        key = self._record_key("order", order_id)
        answer = await self._send("GET", f"/salesOrder/{key}", Operation("order", order_id))
        return self._read(data_map.order_from_record, answer.record)

    async def list_orders(
        self,
        position: PagePosition,
        *,
        customer_id: str | None = None,
        status: OrderStatus | None = None,
    ) -> Listing[SalesOrder]:
        params: dict[str, Any] = {"pageIndex": position.index, "pageSize": position.size}
        if customer_id is not None:
            params["entity"] = data_map.customer_key(customer_id, in_path=False)
        if status is not None:
            params["status"] = data_map.order_status_code(status)
        answer = await self._send("GET", "/salesOrder", Operation("orders", ""), params=params)
        return self._listing(answer, data_map.order_from_record, "salesOrder")

    async def change_order_status(self, order_id: str, status: OrderStatus) -> SalesOrder:
        key = self._record_key("order", order_id)
        answer = await self._send(
            "PATCH",
            f"/salesOrder/{key}",
            Operation("order", order_id, ORDER_FIELDS),
            body=data_map.status_document("salesOrder", data_map.order_status_code(status)),
            idempotent=True,
        )
        return self._read(data_map.order_from_record, answer.record)

    # --- invoices ---------------------------------------------------------------------------

    async def create_invoice(self, invoice: CreateInvoiceRequest) -> tuple[Invoice, bool]:
        key = self._record_key("order", invoice.order_id)
        op = Operation("order", invoice.order_id, INVOICE_FIELDS, action="be billed")
        answer = await self._send(
            "POST",
            f"/salesOrder/{key}/!transform/invoice",
            op,
            body=data_map.invoice_document(invoice),
            idempotent=True,
        )
        return self._read(data_map.invoice_from_record, answer.record), answer.created

    async def get_invoice(self, invoice_id: str) -> Invoice:
        key = self._record_key("invoice", invoice_id)
        answer = await self._send("GET", f"/invoice/{key}", Operation("invoice", invoice_id))
        return self._read(data_map.invoice_from_record, answer.record)

    async def list_invoices(
        self,
        position: PagePosition,
        *,
        customer_id: str | None = None,
        order_id: str | None = None,
        status: InvoiceStatus | None = None,
    ) -> Listing[Invoice]:
        params: dict[str, Any] = {"pageIndex": position.index, "pageSize": position.size}
        if customer_id is not None:
            params["entity"] = data_map.customer_key(customer_id, in_path=False)
        if order_id is not None:
            key = data_map.record_key(order_id)
            if key is None:
                return Listing([], 0, 0)
            params["createdFrom"] = key
        if status is not None:
            params["status"] = data_map.invoice_status_code(status)
        answer = await self._send("GET", "/invoice", Operation("invoices", ""), params=params)
        return self._listing(answer, data_map.invoice_from_record, "invoice")

    async def pay_invoice(self, invoice_id: str, payment: PaymentRequest) -> Invoice:
        key = self._record_key("invoice", invoice_id)
        op = Operation(
            "invoice",
            invoice_id,
            PAYMENT_FIELDS,
            data_map.INVOICE_STATUS_BY_CODE,
            action="take payments",
            references={"customerPayment.invoice": ("invoice", invoice_id)},
        )
        # Without an external id a repeated payment would be a second payment: never retried.
        await self._send(
            "POST",
            "/customerPayment",
            op,
            body=data_map.payment_document(key, payment),
            idempotent=payment.external_id is not None,
        )
        return await self.get_invoice(invoice_id)

    async def cancel_invoice(self, invoice_id: str) -> Invoice:
        key = self._record_key("invoice", invoice_id)
        op = Operation("invoice", invoice_id, INVOICE_FIELDS, data_map.INVOICE_STATUS_BY_CODE)
        answer = await self._send(
            "PATCH",
            f"/invoice/{key}",
            op,
            idempotent=True,
            body=data_map.status_document(
                "invoice",
                data_map.invoice_status_code(InvoiceStatus.CANCELLED),
            ),
        )
        return self._read(data_map.invoice_from_record, answer.record)
