"""Helpers for talking to the ERP's native XML API in tests."""

from __future__ import annotations

from typing import Any
from xml.etree.ElementTree import Element, fromstring

import httpx

RECORDS = "/services/rest/record/v1"
XML_HEADERS = {"content-type": "application/xml"}


def parse(response: httpx.Response) -> Element:
    assert response.headers["content-type"].startswith("application/xml"), response.text
    return fromstring(response.content)


def fault_code(response: httpx.Response) -> str:
    return parse(response).findtext("code") or ""


def company_xml(external_id: str | None = None, name: str = "Initech LLC", **fields: str) -> str:
    attribute = f' externalId="{external_id}"' if external_id else ""
    extra = "".join(f"<{tag}>{value}</{tag}>" for tag, value in fields.items())
    return (
        f"<customer{attribute}><isPerson>false</isPerson><companyName>{name}</companyName>"
        f"<email>ap@initech.example</email>{extra}</customer>"
    )


def order_xml(
    entity: str = 'externalId="C-1"',
    external_id: str | None = None,
    lines: tuple[tuple[str, str, str], ...] = (("ELE-004-GRA", "2", "129.00"),),
    extra: str = "",
) -> str:
    attribute = f' externalId="{external_id}"' if external_id else ""
    items = "".join(
        f"<item><item>{sku}</item><quantity>{quantity}</quantity><rate>{rate}</rate></item>"
        for sku, quantity, rate in lines
    )
    return (
        f"<salesOrder{attribute}><entity {entity}/>{extra}<itemList>{items}</itemList></salesOrder>"
    )


async def send(client: httpx.AsyncClient, method: str, path: str, body: str) -> httpx.Response:
    return await client.request(method, RECORDS + path, content=body.encode(), headers=XML_HEADERS)


async def make_customer(client: httpx.AsyncClient, external_id: str = "C-1") -> str:
    response = await send(client, "PUT", f"/customer/eid:{external_id}", company_xml(external_id))
    assert response.status_code in (200, 201), response.text
    return parse(response).get("internalId") or ""


async def make_order(
    client: httpx.AsyncClient,
    external_id: str | None = None,
    **kwargs: Any,
) -> httpx.Response:
    response = await send(
        client, "POST", "/salesOrder", order_xml(external_id=external_id, **kwargs)
    )
    assert response.status_code in (200, 201), response.text
    return response


async def make_invoice(
    client: httpx.AsyncClient,
    order_id: str,
    external_id: str | None = None,
) -> httpx.Response:
    attribute = f' externalId="{external_id}"' if external_id else ""
    return await send(
        client, "POST", f"/salesOrder/{order_id}/!transform/invoice", f"<invoice{attribute}/>"
    )


async def pay(
    client: httpx.AsyncClient,
    invoice_id: str,
    amount: str,
    external_id: str | None = None,
) -> httpx.Response:
    attribute = f' externalId="{external_id}"' if external_id else ""
    return await send(
        client,
        "POST",
        "/customerPayment",
        f'<customerPayment{attribute}><invoice internalId="{invoice_id}"/>'
        f"<payment>{amount}</payment></customerPayment>",
    )
