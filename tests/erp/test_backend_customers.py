"""The ERP's customer record service, called natively."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select

from erp.native import RECORDS, company_xml, fault_code, parse, send
from strata.db import Database
from system_apis.backends.erp.models import ErpCustomer


async def test_create_then_read_by_internal_and_external_id(erp: httpx.AsyncClient) -> None:
    created = await send(erp, "POST", "/customer", company_xml("C-1", phone="+1-555-0100"))
    assert created.status_code == 201
    record = parse(created)
    internal_id = record.get("internalId")
    assert record.findtext("entityId") == "CUST-00001"
    assert record.findtext("companyName") == "Initech LLC"
    assert record.findtext("balance") == "0.00"

    by_internal = parse(await erp.get(f"{RECORDS}/customer/{internal_id}"))
    by_external = parse(await erp.get(f"{RECORDS}/customer/eid:C-1"))
    assert by_internal.get("externalId") == "C-1"
    assert by_external.get("internalId") == internal_id
    assert by_external.findtext("phone") == "+1-555-0100"


async def test_person_customers_need_first_and_last_name(erp: httpx.AsyncClient) -> None:
    response = await send(
        erp,
        "POST",
        "/customer",
        "<customer><isPerson>true</isPerson><firstName>Ada</firstName></customer>",
    )
    assert response.status_code == 400
    assert fault_code(response) == "REQD_FLD_MISSING"
    assert parse(response).findtext("field") == "customer.lastName"

    company = await send(
        erp, "POST", "/customer", "<customer><isPerson>false</isPerson></customer>"
    )
    assert parse(company).findtext("field") == "customer.companyName"


async def test_a_person_is_named_by_first_and_last_name(erp: httpx.AsyncClient) -> None:
    body = (
        "<customer><isPerson>true</isPerson><firstName>Ada</firstName>"
        "<lastName>Lovelace</lastName><companyName>ignored?</companyName></customer>"
    )
    record = parse(await send(erp, "POST", "/customer", body))
    assert record.findtext("isPerson") == "true"
    assert record.findtext("firstName") == "Ada"
    assert record.findtext("lastName") == "Lovelace"


async def test_upsert_by_external_id_creates_once_then_updates(erp: httpx.AsyncClient) -> None:
    first = await send(erp, "PUT", "/customer/eid:C-9", company_xml(name="Old Name"))
    second = await send(erp, "PUT", "/customer/eid:C-9", company_xml(name="New Name"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert parse(first).get("internalId") == parse(second).get("internalId")
    assert parse(second).findtext("companyName") == "New Name"
    assert parse(second).get("externalId") == "C-9"


async def test_concurrent_upserts_of_one_external_id_make_one_record(
    erp: httpx.AsyncClient,
    database: Database,
) -> None:
    responses = await asyncio.gather(
        *(send(erp, "PUT", "/customer/eid:C-RACE", company_xml(name=f"Name {n}")) for n in range(8))
    )
    assert sorted(r.status_code for r in responses) == [200] * 7 + [201]
    assert len({parse(r).get("internalId") for r in responses}) == 1
    async with database.session() as session:
        count = await session.scalar(select(func.count()).select_from(ErpCustomer))
    assert count == 1


async def test_external_id_in_body_must_match_the_url(erp: httpx.AsyncClient) -> None:
    response = await send(erp, "PUT", "/customer/eid:C-1", company_xml("C-2"))
    assert response.status_code == 400
    assert parse(response).findtext("field") == "customer@externalId"


async def test_put_by_internal_id_needs_an_existing_record(erp: httpx.AsyncClient) -> None:
    response = await send(erp, "PUT", "/customer/77", company_xml())
    assert response.status_code == 404
    assert fault_code(response) == "RCRD_DSNT_EXIST"


async def test_duplicate_external_id_on_create_is_refused(erp: httpx.AsyncClient) -> None:
    await send(erp, "POST", "/customer", company_xml("C-1"))
    response = await send(erp, "POST", "/customer", company_xml("C-1"))
    assert response.status_code == 409
    assert fault_code(response) == "DUP_RCRD"


async def test_unknown_and_impossible_ids_are_not_found(erp: httpx.AsyncClient) -> None:
    for key in ("12345", "99999999999", "eid:nobody", "not-a-key", "0"):
        response = await erp.get(f"{RECORDS}/customer/{key}")
        assert response.status_code == 404, key
        assert fault_code(response) == "RCRD_DSNT_EXIST"


async def test_bad_field_values_name_the_field(erp: httpx.AsyncClient) -> None:
    cases = {
        company_xml(email="not-an-email"): "customer.email",
        company_xml(name="X" * 84): "customer.companyName",
        company_xml(currency="dollars"): "customer.currency",
        company_xml(isInactive="maybe"): "customer.isInactive",
        company_xml(shoeSize="44"): "customer.shoeSize",
    }
    for body, field in cases.items():
        response = await send(erp, "POST", "/customer", body)
        assert response.status_code == 400, body
        assert fault_code(response) == "INVALID_FLD_VALUE"
        assert parse(response).findtext("field") == field


async def test_search_pages_in_the_erp_style(erp: httpx.AsyncClient) -> None:
    for n in range(5):
        await send(erp, "POST", "/customer", company_xml(f"C-{n}", name=f"Acme {n} Corp."))
    await send(erp, "POST", "/customer", company_xml("Z-1", name="Globex"))

    page = parse(
        await erp.get(f"{RECORDS}/customer", params={"name": "acme", "pageSize": 2, "pageIndex": 3})
    )
    assert page.findtext("totalRecords") == "5"
    assert page.findtext("totalPages") == "3"
    assert page.findtext("pageIndex") == "3"
    records = page.findall("recordList/customer")
    assert [r.findtext("companyName") for r in records] == ["Acme 4 Corp."]

    by_external = parse(await erp.get(f"{RECORDS}/customer", params={"externalId": "Z-1"}))
    assert [r.get("externalId") for r in by_external.findall("recordList/customer")] == ["Z-1"]


async def test_paging_parameters_are_checked(erp: httpx.AsyncClient) -> None:
    response = await erp.get(f"{RECORDS}/customer", params={"pageSize": 0})
    assert response.status_code == 400
    assert parse(response).findtext("field") == "pageSize"


async def test_address_book_holds_the_billing_address(erp: httpx.AsyncClient) -> None:
    body = company_xml(
        addressbookList=(
            "<addressbook><defaultBilling>false</defaultBilling><addressbookAddress>"
            "<city>Nowhere</city></addressbookAddress></addressbook>"
            "<addressbook><defaultBilling>true</defaultBilling><addressbookAddress>"
            "<addr1>1 Main St</addr1><city>Austin</city><state>TX</state><zip>78701</zip>"
            "<country>US</country></addressbookAddress></addressbook>"
        )
    )
    record = parse(await send(erp, "POST", "/customer", body))
    address = record.find("addressbookList/addressbook/addressbookAddress")
    assert address is not None
    assert [address.findtext(tag) for tag in ("addr1", "city", "state", "zip", "country")] == [
        "1 Main St",
        "Austin",
        "TX",
        "78701",
        "US",
    ]
