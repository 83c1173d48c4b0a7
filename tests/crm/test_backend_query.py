"""The CRM stand-in's query resource: SOQL run against the seeded accounts, on SQLite and on
PostgreSQL, with Salesforce's answers, rules, errors and batches."""

from __future__ import annotations

from datetime import timedelta

import httpx
from sqlalchemy import update

from crm.support import DATA, GLOBEX, error_of, records, soql
from strata.db import Database, utcnow
from system_apis.backends.crm.models import CrmQueryLocator
from system_apis.demo import DemoWorld


async def test_records_carry_attributes_and_the_fields_asked_for(sf: httpx.AsyncClient) -> None:
    response = await soql(sf, f"SELECT Name, CreatedDate FROM Account WHERE Id = '{GLOBEX}'")
    assert response.status_code == 200
    body = response.json()
    assert body["totalSize"] == 1 and body["done"] is True and "nextRecordsUrl" not in body
    (record,) = body["records"]
    assert record["attributes"] == {
        "type": "Account",
        "url": f"{DATA}/sobjects/Account/{GLOBEX}",
    }
    assert list(record) == ["attributes", "Name", "CreatedDate"]
    assert record["CreatedDate"].endswith("+0000") and len(record["CreatedDate"]) == 28


async def test_equality_ignores_case_and_a_15_character_id_matches(
    sf: httpx.AsyncClient, world: DemoWorld
) -> None:
    globex = world.customers[0]
    found = await records(
        sf, f"SELECT Id FROM Account WHERE Name = '{globex.display_name.upper()}'"
    )
    assert [r["Id"] for r in found] == [globex.crm_id]
    found = await records(sf, f"SELECT Id FROM Account WHERE Id = '{globex.crm_id[:15]}'")
    assert [r["Id"] for r in found] == [globex.crm_id]


async def test_like_matches_case_insensitively_with_wildcards(
    sf: httpx.AsyncClient, world: DemoWorld
) -> None:
    expected = sorted(c.crm_id for c in world.customers if "retail" in c.display_name.lower())
    assert expected
    found = await records(sf, "SELECT Id FROM Account WHERE Name LIKE '%RETAIL%' ORDER BY Id")
    assert [r["Id"] for r in found] == expected
    found = await records(sf, "SELECT Id FROM Account WHERE Name LIKE '_lobex%'")
    assert {r["Id"] for r in found} == {
        c.crm_id for c in world.customers if c.display_name.startswith("Globex")
    }


async def test_in_not_in_and_not_equal_keep_salesforce_null_rules(
    sf: httpx.AsyncClient, world: DemoWorld
) -> None:
    retail = {c.crm_id for c in world.customers if c.industry == "Retail"}
    everyone = {c.crm_id for c in world.customers}
    no_industry = {c.crm_id for c in world.customers if c.industry is None}
    assert retail and no_industry
    found = await records(sf, "SELECT Id FROM Account WHERE Industry IN ('retail', 'Nothing')")
    assert {r["Id"] for r in found} == retail
    # != and NOT IN keep the records where the field is empty, as in Salesforce.
    found = await records(sf, "SELECT Id FROM Account WHERE Industry != 'Retail'")
    assert {r["Id"] for r in found} == everyone - retail
    found = await records(sf, "SELECT Id FROM Account WHERE Industry NOT IN ('Retail')")
    assert {r["Id"] for r in found} == everyone - retail
    found = await records(sf, "SELECT Id FROM Account WHERE Industry = null")
    assert {r["Id"] for r in found} == no_industry
    found = await records(sf, "SELECT Id FROM Account WHERE Industry IN ('Retail', null)")
    assert {r["Id"] for r in found} == retail | no_industry


async def test_booleans_dates_and_ranges(sf: httpx.AsyncClient, world: DemoWorld) -> None:
    people = {c.crm_id for c in world.customers if c.is_person}
    found = await records(sf, "SELECT Id FROM Account WHERE IsPersonAccount = true")
    assert {r["Id"] for r in found} == people
    middle = world.customers[30].created_at
    literal = middle.strftime("%Y-%m-%dT%H:%M:%SZ")
    found = await records(sf, f"SELECT Id FROM Account WHERE CreatedDate > {literal}")
    assert {r["Id"] for r in found} == {
        c.crm_id for c in world.customers if c.created_at.replace(second=0) > middle
    }
    found = await records(
        sf,
        f"SELECT Id FROM Account WHERE CreatedDate >= {literal} AND CreatedDate <= {literal}",
    )
    assert [r["Id"] for r in found] == [world.customers[30].crm_id]


async def test_order_by_limit_offset_and_count(sf: httpx.AsyncClient, world: DemoWorld) -> None:
    names = sorted((c.display_name for c in world.customers), key=str.lower, reverse=True)
    found = await records(sf, "SELECT Name FROM Account ORDER BY Name DESC LIMIT 5 OFFSET 3")
    assert [r["Name"] for r in found] == names[3:8]
    response = await soql(sf, "SELECT COUNT() FROM Account WHERE IsPersonAccount = false")
    assert response.json() == {
        "totalSize": sum(not c.is_person for c in world.customers),
        "done": True,
        "records": [],
    }
    response = await soql(sf, "SELECT Id FROM Account LIMIT 4 OFFSET 58")
    assert response.json()["totalSize"] == 2


async def test_nulls_sort_where_asked(sf: httpx.AsyncClient, world: DemoWorld) -> None:
    found = await records(sf, "SELECT Industry FROM Account ORDER BY Industry ASC NULLS LAST")
    industries = [r["Industry"] for r in found]
    nulls = sum(c.industry is None for c in world.customers)
    assert industries[-nulls:] == [None] * nulls and None not in industries[:-nulls]
    found = await records(sf, "SELECT Industry FROM Account ORDER BY Industry ASC")
    assert [r["Industry"] for r in found][:nulls] == [None] * nulls


async def test_quotes_in_values_stay_values(sf: httpx.AsyncClient) -> None:
    created = await sf.post(f"{DATA}/sobjects/Account", json={"Name": "O'Brien's Deli"})
    assert created.status_code == 201
    found = await records(sf, "SELECT Name FROM Account WHERE Name = 'O\\'Brien\\'s Deli'")
    assert [r["Name"] for r in found] == ["O'Brien's Deli"]
    attempt = "SELECT Id FROM Account WHERE Name = 'x\\' OR Name != \\'y'"
    assert await records(sf, attempt) == []
    count = (await soql(sf, "SELECT COUNT() FROM Account")).json()["totalSize"]
    assert count == 61


async def test_errors_are_salesforce_arrays(sf: httpx.AsyncClient) -> None:
    cases = {
        "SELECT Nope FROM Account": "INVALID_FIELD",
        "SELECT Id FROM Widget": "INVALID_TYPE",
        "SELECT Id FROM Account WHERE Name = 5": "INVALID_FIELD",
        "SELECT Id FROM Account WHERE IsPersonAccount = 'true'": "INVALID_FIELD",
        "SELECT Id FROM Account WHERE CreatedDate > 2025-01-01": "INVALID_FIELD",
        "SELECT Id FROM Account WHERE Id = 'not-an-id'": "INVALID_QUERY_FILTER_OPERATOR",
        "SELECT Id FROM Account WHERE IsPersonAccount > true": "INVALID_QUERY_FILTER_OPERATOR",
        "SELECT Id FROM Task WHERE Description = 'x'": "INVALID_FIELD",
        "SELECT Id FROM Task ORDER BY Description": "INVALID_FIELD",
        "SELECT Id, id FROM Account": "MALFORMED_QUERY",
        "SELECT Id FROM Account WHERE Name < null": "MALFORMED_QUERY",
        "SELECT Id FROM Account OFFSET 2001": "NUMBER_OUTSIDE_VALID_RANGE",
        "SELEKT Id FROM Account": "MALFORMED_QUERY",
        "SELECT Id FROM Account WHERE CreatedDate > 0001-01-01T00:00:00+05:00": "MALFORMED_QUERY",
    }
    for query, code in cases.items():
        response = await soql(sf, query)
        assert response.status_code == 400, query
        assert error_of(response)["errorCode"] == code, (query, response.text)
    missing = await sf.get(f"{DATA}/query")
    assert missing.status_code == 400 and error_of(missing)["errorCode"] == "MALFORMED_QUERY"


async def test_an_unknown_field_error_says_where(sf: httpx.AsyncClient) -> None:
    response = await soql(sf, "SELECT Id, Nmae FROM Account")
    message = error_of(response)["message"]
    assert "ERROR at Row:1:Column:12" in message
    assert "No such column 'Nmae' on entity 'Account'" in message


async def _all_batches(sf: httpx.AsyncClient, first: httpx.Response) -> list[dict[str, object]]:
    body = first.json()
    total = body["totalSize"]
    seen = list(body["records"])
    while not body["done"]:
        response = await sf.get(body["nextRecordsUrl"])
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["totalSize"] == total
        seen.extend(body["records"])
    return seen


async def test_long_results_come_in_batches(sf: httpx.AsyncClient, world: DemoWorld) -> None:
    first = await soql(sf, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=7"})
    body = first.json()
    assert body["totalSize"] == 60 and body["done"] is False and len(body["records"]) == 7
    assert body["nextRecordsUrl"].startswith(f"{DATA}/query/01g")
    assert body["nextRecordsUrl"].endswith("-7")
    seen = await _all_batches(sf, first)
    assert [r["Id"] for r in seen] == sorted(c.crm_id for c in world.customers)


async def test_batches_respect_limit_and_offset(sf: httpx.AsyncClient, world: DemoWorld) -> None:
    first = await soql(
        sf, "SELECT Id FROM Account LIMIT 10 OFFSET 5", **{"Sforce-Query-Options": "batchSize=4"}
    )
    assert first.json()["totalSize"] == 10
    seen = await _all_batches(sf, first)
    assert [r["Id"] for r in seen] == sorted(c.crm_id for c in world.customers)[5:15]


async def test_salesforce_batches_are_at_least_200(seeded: Database) -> None:
    from conftest import asgi_client

    from system_apis.backends.crm import create_backend
    from system_apis.backends.faults import FaultState

    async with asgi_client(create_backend(seeded, FaultState())) as client:
        response = await soql(
            client, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=5"}
        )
    assert response.json()["done"] is True and len(response.json()["records"]) == 60


async def test_bad_batch_sizes_and_locators_are_refused(sf: httpx.AsyncClient) -> None:
    bad = await soql(sf, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=lots"})
    assert bad.status_code == 400 and error_of(bad)["errorCode"] == "INVALID_HEADER_TYPE"
    first = (
        await soql(sf, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=50"})
    ).json()
    locator = first["nextRecordsUrl"].rsplit("/", 1)[1].split("-")[0]
    for token in (f"{locator}-60", f"{locator}-0", f"{locator}-x", "01gDn0000009999IAA-5", "junk"):
        response = await sf.get(f"{DATA}/query/{token}")
        assert response.status_code == 400, token
        assert error_of(response)["errorCode"] == "INVALID_QUERY_LOCATOR"
    # A locator from query is not one of queryAll.
    response = await sf.get(f"{DATA}/queryAll/{locator}-50")
    assert error_of(response)["errorCode"] == "INVALID_QUERY_LOCATOR"


async def test_locators_expire(sf: httpx.AsyncClient, seeded: Database) -> None:
    first = (
        await soql(sf, "SELECT Id FROM Account", **{"Sforce-Query-Options": "batchSize=50"})
    ).json()
    async with seeded.session() as session:
        await session.execute(
            update(CrmQueryLocator).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    response = await sf.get(first["nextRecordsUrl"])
    assert response.status_code == 400
    assert error_of(response)["errorCode"] == "INVALID_QUERY_LOCATOR"


async def test_query_all_includes_deleted_records(sf: httpx.AsyncClient) -> None:
    deleted = await sf.delete(f"{DATA}/sobjects/Account/{GLOBEX}")
    assert deleted.status_code == 204
    live = await records(sf, f"SELECT Id FROM Account WHERE Id = '{GLOBEX}'")
    assert live == []
    response = await sf.get(
        f"{DATA}/queryAll",
        params={"q": f"SELECT Id, IsDeleted FROM Account WHERE Id = '{GLOBEX}'"},
    )
    assert [(r["Id"], r["IsDeleted"]) for r in response.json()["records"]] == [(GLOBEX, True)]


async def test_times_compare_at_the_millisecond(sf: httpx.AsyncClient) -> None:
    created = await sf.post(f"{DATA}/sobjects/Account", json={"Name": "Timely"})
    record = (await sf.get(f"{DATA}/sobjects/Account/{created.json()['id']}")).json()
    stamp = record["CreatedDate"]  # 2026-...T..:..:..SSS+0000
    literal = stamp[:23] + "Z"
    found = await records(sf, f"SELECT Name FROM Account WHERE CreatedDate = {literal}")
    assert [r["Name"] for r in found] == ["Timely"]
