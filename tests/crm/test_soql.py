"""The SOQL subset: what parses, what Salesforce would refuse, and string literals written by
the system API reading back as exactly the value they quote."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from system_apis.backends.crm.soql import (
    Comparison,
    Junction,
    Negation,
    SoqlError,
    decode_string,
    like_pattern,
    parse,
)
from system_apis.crm.soql import Select, contains, quote

storable_text = st.text(
    alphabet=st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"),
    max_size=60,
)


def test_a_full_query_parses_into_its_parts() -> None:
    query = parse(
        "select Id, Name from Account where Name like 'Acme%' and BillingCity in ('Oakland', "
        "'Seattle') order by Name desc nulls first, Id limit 10 offset 5"
    )
    assert [field.name for field in query.fields] == ["Id", "Name"]
    assert query.sobject.name == "Account"
    assert isinstance(query.where, Junction) and query.where.operator == "AND"
    like, membership = query.where.parts
    assert isinstance(like, Comparison) and like.operator == "LIKE"
    assert isinstance(membership, Comparison) and membership.operator == "IN"
    assert [value.as_string() for value in membership.values] == ["Oakland", "Seattle"]
    assert [(o.field, o.descending, o.nulls_last) for o in query.order_by] == [
        ("Name", True, False),
        ("Id", False, False),
    ]
    assert (query.limit, query.offset) == (10, 5)


def test_count_not_in_not_and_parentheses() -> None:
    query = parse(
        "SELECT COUNT() FROM Task WHERE NOT (Status = 'Completed' OR Type NOT IN ('Call')) "
        "AND ActivityDate >= 2025-01-01 AND CreatedDate < 2025-02-01T00:00:00Z"
    )
    assert query.count_only
    assert isinstance(query.where, Junction)
    negated, date_from, created_before = query.where.parts
    assert isinstance(negated, Negation) and isinstance(negated.part, Junction)
    assert isinstance(date_from, Comparison) and date_from.values[0].kind == "date"
    assert isinstance(created_before, Comparison)
    assert created_before.values[0].kind == "datetime"


def test_not_equal_has_two_spellings() -> None:
    for operator in ("!=", "<>"):
        where = parse(f"SELECT Id FROM Account WHERE Name {operator} 'x'").where
        assert isinstance(where, Comparison) and where.operator == "!="


@pytest.mark.parametrize(
    "soql",
    [
        "SELECT Id FROM Account WHERE Name = 'a' AND Phone = 'b' OR Industry = 'c'",
        "SELECT Id FROM Account WHERE Name = 'a' OR Phone = 'b' AND Industry = 'c'",
    ],
)
def test_and_and_or_need_parentheses_to_mix(soql: str) -> None:
    with pytest.raises(SoqlError) as error:
        parse(soql)
    assert error.value.code == "MALFORMED_QUERY"
    parse("SELECT Id FROM Account WHERE Name = 'a' AND (Phone = 'b' OR Industry = 'c')")


@pytest.mark.parametrize(
    ("soql", "unexpected"),
    [
        ("SELECT FROM Account", "FROM"),
        ("SELECT Id Account", "Account"),
        ("SELECT Id FROM Account WHERE", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name = ", "<EOF>"),
        ("SELECT Id FROM Account WHERE Name 'x'", "'x'"),
        ("SELECT Id FROM Account LIMIT ten", "ten"),
        ("SELECT Id FROM Account LIMIT -1", "-1"),
        ("SELECT Id FROM Account OFFSET 1 LIMIT 2", "LIMIT"),
        ("SELECT Id FROM Account; DROP TABLE crm_accounts", ";"),
        ("SELECT Id FROM Account WHERE Name IN ()", ")"),
        ("SELECT Id, FROM Account", "FROM"),
    ],
)
def test_malformed_queries_name_the_unexpected_token(soql: str, unexpected: str) -> None:
    with pytest.raises(SoqlError) as error:
        parse(soql)
    assert error.value.code == "MALFORMED_QUERY"
    assert unexpected in error.value.detail


def test_the_message_points_at_the_row_and_column() -> None:
    soql = "SELECT Id\nFROM Account\nWHERE Name = 'a' OR OR"
    with pytest.raises(SoqlError) as error:
        parse(soql)
    message = error.value.message(soql)
    assert "ERROR at Row:3:Column:21" in message
    assert message.splitlines()[1:3] == ["WHERE Name = 'a' OR OR", " " * 20 + "^"]


def test_unterminated_strings_and_bad_literals_are_malformed() -> None:
    for soql in (
        "SELECT Id FROM Account WHERE Name = 'open",
        "SELECT Id FROM Account WHERE CreatedDate > 2025-13-45T00:00:00Z",
        "SELECT Id FROM Account WHERE Name = 'a\\qb'",
        'SELECT Id FROM Account WHERE Name = "double"',
    ):
        with pytest.raises(SoqlError) as error:
            parsed = parse(soql)
            assert isinstance(parsed.where, Comparison)
            parsed.where.values[0].as_string()
        assert error.value.code == "MALFORMED_QUERY", soql


def test_overlong_limits_and_queries_are_refused() -> None:
    with pytest.raises(SoqlError) as error:
        parse("SELECT Id FROM Account LIMIT 99999999999999999999")
    assert error.value.code == "NUMBER_OUTSIDE_VALID_RANGE"
    with pytest.raises(SoqlError) as error:
        parse("SELECT Id FROM Account WHERE Name = '" + "x" * 100_001 + "'")
    assert error.value.code == "MALFORMED_QUERY"


def test_escapes_in_string_literals() -> None:
    assert decode_string(r"O\'Brien \\ \n\t", 0) == "O'Brien \\ \n\t"
    # In LIKE, % and _ are wildcards unless escaped; a backslash stays escaped for SQL.
    assert like_pattern(r"100\% _x% a\\b", 0) == r"100\% _x% a\\b"
    assert decode_string(r"100\%", 0) == "100%"


@given(storable_text)
def test_a_quoted_value_reads_back_as_itself(value: str) -> None:
    where = parse(f"SELECT Id FROM Account WHERE Name = {quote(value)}").where
    assert isinstance(where, Comparison)
    assert where.values[0].as_string() == value


@given(storable_text)
def test_a_contains_pattern_keeps_wildcards_only_at_the_ends(value: str) -> None:
    where = parse(f"SELECT Id FROM Account WHERE Name LIKE {contains(value)}").where
    assert isinstance(where, Comparison)
    pattern = where.values[0].as_like_pattern()
    assert pattern.startswith("%") and pattern.endswith("%")
    inner = pattern[1:-1]
    # Unescaping the inner part gives back the value: every % and _ in it is escaped.
    unescaped, index = [], 0
    while index < len(inner):
        if inner[index] == "\\":
            unescaped.append(inner[index + 1])
            index += 2
        else:
            assert inner[index] not in "%_"
            unescaped.append(inner[index])
            index += 1
    assert "".join(unescaped) == value


def test_the_select_builder_brackets_each_condition() -> None:
    query = Select("Account", ["Id", "Name"], order_by=["Id"], limit=3, offset=2)
    query.where("Name = 'a' OR Name = 'b'").where("Active__c = 'Yes'")
    assert str(query) == (
        "SELECT Id, Name FROM Account WHERE (Name = 'a' OR Name = 'b') AND (Active__c = 'Yes') "
        "ORDER BY Id LIMIT 3 OFFSET 2"
    )
    parse(str(query))
