"""The canonical model's rule for strings: what cannot travel to every backend is refused.

Refused everywhere: C0 controls (U+0000 to U+001F), DEL, lone surrogates and the XML-less
noncharacters U+FFFE and U+FFFF. Free-text fields (notes, descriptions, street lines) allow
tab, line feed and carriage return; ids and names allow none. Any other Unicode passes.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from system_apis.canonical import (
    TEXT_ERROR,
    Address,
    Customer,
    FreeText,
    Money,
    Text,
    character_problem,
)

LINE_BREAKS_AND_TAB = "\t\n\r"
ALWAYS_REFUSED = (
    [chr(code) for code in range(0x20) if chr(code) not in LINE_BREAKS_AND_TAB]
    + ["\x7f", "\ufffe", "\uffff"]
    + [chr(code) for code in range(0xD800, 0xE000)]
)
TEXT = TypeAdapter(Text)
FREE_TEXT = TypeAdapter(FreeText)

# Any character the rule lets through: letters of every script, emoji, marks, C1 controls...
allowed_characters = st.characters(
    exclude_categories=("Cs",),
    exclude_characters=set(ALWAYS_REFUSED) | set(LINE_BREAKS_AND_TAB),
)
allowed_text = st.text(allowed_characters, max_size=40)


def refusal(adapter: TypeAdapter[str], value: str) -> dict[str, Any]:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    [error] = caught.value.errors()
    assert error["type"] == TEXT_ERROR
    return dict(error)


@given(allowed_text, st.sampled_from(ALWAYS_REFUSED), allowed_text)
def test_every_refused_character_is_refused_anywhere(before: str, bad: str, after: str) -> None:
    value = before + bad + after
    for adapter in (TEXT, FREE_TEXT):
        error = refusal(adapter, value)
        assert f"U+{ord(bad):04X} at index {len(before)}" in error["msg"]


@given(allowed_text, st.sampled_from(LINE_BREAKS_AND_TAB), allowed_text)
def test_tab_and_line_breaks_pass_only_in_free_text(before: str, char: str, after: str) -> None:
    value = before + char + after
    assert FREE_TEXT.validate_python(value) == value
    error = refusal(TEXT, value)
    assert error["msg"] == f"has a control character (U+{ord(char):04X} at index {len(before)})"


@given(allowed_text)
def test_any_other_unicode_passes_unchanged(value: str) -> None:
    assert TEXT.validate_python(value) == value
    assert FREE_TEXT.validate_python(value) == value
    assert character_problem(value) is None


@pytest.mark.parametrize(
    "value",
    [
        "Zoë Ångström-Øresund",
        "שלום עולם",  # Hebrew, right to left
        "شركة الأمل للتجارة",  # Arabic, right to left
        "\u202bmixed direction\u202c",  # embedding marks are format characters, not controls
        "株式会社テスト",
        "👩‍👩‍👧 Family Store 🎉",  # emoji with zero-width joiners
        "e\u0301",  # a combining accent
        "\x85\x9f",  # C1 controls: XML 1.0, JSON and UTF-8 all carry them
        "\ufeffBOM",
        "line\u2028separator",
    ],
)
def test_normal_unicode_is_accepted(value: str) -> None:
    assert TEXT.validate_python(value) == value
    assert FREE_TEXT.validate_python(value) == value


def test_the_message_says_what_the_character_is() -> None:
    assert character_problem("a\ud800") == "has an unpaired surrogate (U+D800 at index 1)"
    assert character_problem("\uffff") == "has a noncharacter (U+FFFF at index 0)"
    assert character_problem("x\x12y") == "has a control character (U+0012 at index 1)"
    assert character_problem("x\x00", free_text=True) == (
        "has a control character (U+0000 at index 1); only tab, line feed and carriage return "
        "are allowed"
    )


def customer(**changes: Any) -> dict[str, Any]:
    return {
        "id": "001Dn0000000001IAA",
        "kind": "company",
        "name": "Globex",
        "created_at": "2025-01-09T15:46:00Z",
        "updated_at": "2025-01-09T15:46:00Z",
    } | changes


@pytest.mark.parametrize(
    ("changes", "where"),
    [
        ({"name": "Globex\x01"}, ("name",)),
        ({"id": "001\x00"}, ("id",)),
        ({"email": "a@b.example\n"}, ("email",)),
        ({"billing_address": {"city": "Paris\t"}}, ("billing_address", "city")),
        ({"billing_address": {"street": "1 Main St\x0b"}}, ("billing_address", "street")),
    ],
)
def test_a_canonical_model_names_the_field(changes: dict[str, Any], where: tuple[str, ...]) -> None:
    with pytest.raises(ValidationError) as caught:
        Customer.model_validate(customer(**changes))
    [error] = caught.value.errors()
    assert error["loc"] == where and error["type"] == TEXT_ERROR


def test_a_street_keeps_its_lines() -> None:
    street = "1 Main St\nSuite 200\r\nBuilding\tB"
    assert Address(street=street).street == street
    parsed = Customer.model_validate(customer(billing_address={"street": street}))
    assert parsed.billing_address.street == street


def test_a_pattern_of_a_field_still_applies_and_is_documented() -> None:
    with pytest.raises(ValidationError):
        Money(amount="1.00", currency="usd")  # type: ignore[arg-type]
    schema = Money.model_json_schema()
    assert schema["properties"]["currency"]["pattern"] == "^[A-Z]{3}$"
