"""A real subset of SOQL, parsed into a tree (compiled to SQL by :mod:`.query`).

    SELECT field, ... | COUNT()  FROM object
    [WHERE condition]            comparisons with = != <> < <= > >= LIKE IN NOT IN, joined by
                                 AND or OR, grouped with parentheses, negated with NOT
    [ORDER BY field [ASC|DESC] [NULLS FIRST|LAST], ...]
    [LIMIT n] [OFFSET n]

As in Salesforce, AND and OR cannot be mixed at one level without parentheses, keywords and
names are case-insensitive, strings are single-quoted with backslash escapes, and dates and
date-times are bare literals (``2025-01-09``, ``2025-01-09T15:46:00Z``). Values never become
SQL text: the compiler binds them as parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

from system_apis.backends.crm.soql_lexer import (
    SoqlError,
    Token,
    decode_string,
    like_pattern,
    malformed,
    tokenize,
)

__all__ = [
    "Comparison",
    "Condition",
    "Junction",
    "Negation",
    "Ordering",
    "Query",
    "SoqlError",
    "Value",
    "decode_string",
    "like_pattern",
    "parse",
]

MAX_LIMIT = 2_147_483_647

ValueKind = Literal["string", "number", "boolean", "null", "date", "datetime"]


@dataclass(frozen=True)
class Value:
    kind: ValueKind
    text: str  # for strings, the body between the quotes with its escapes still in
    position: int

    def as_string(self) -> str:
        return decode_string(self.text, self.position)

    def as_like_pattern(self) -> str:
        return like_pattern(self.text, self.position)

    def as_datetime(self) -> datetime:
        return datetime.fromisoformat(self.text)

    def as_date(self) -> date:
        return date.fromisoformat(self.text)


@dataclass(frozen=True)
class Comparison:
    field: str
    operator: str  # = != < <= > >= LIKE IN NOT IN
    values: tuple[Value, ...]
    position: int


@dataclass(frozen=True)
class Junction:
    operator: Literal["AND", "OR"]
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    part: Condition


Condition = Comparison | Junction | Negation


@dataclass(frozen=True)
class Ordering:
    field: str
    descending: bool
    nulls_last: bool
    position: int


@dataclass(frozen=True)
class FieldRef:
    name: str
    position: int


@dataclass(frozen=True)
class Query:
    fields: tuple[FieldRef, ...]  # empty for SELECT COUNT()
    sobject: FieldRef
    where: Condition | None = None
    order_by: tuple[Ordering, ...] = ()
    limit: int | None = None
    offset: int | None = None

    @property
    def count_only(self) -> bool:
        return not self.fields


def parse(soql: str) -> Query:
    """The query tree; raises :class:`SoqlError` for anything Salesforce would refuse."""
    return _Parser(tokenize(soql)).query()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.index = 0

    @property
    def current(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.current
        self.index += 1
        return token

    def unexpected(self) -> SoqlError:
        token = self.current
        shown = token.text if token.kind == "eof" else f"'{token.text}'"
        return malformed(f"unexpected token: {shown}", token.position)

    def keyword(self, *words: str) -> Token:
        if not self.current.is_keyword(*words):
            raise self.unexpected()
        return self.advance()

    def accept(self, *words: str) -> bool:
        if self.current.is_keyword(*words):
            self.advance()
            return True
        return False

    def punct(self, char: str) -> None:
        if self.current.kind != "punct" or self.current.text != char:
            raise self.unexpected()
        self.advance()

    def name(self) -> FieldRef:
        token = self.current
        if token.kind != "ident" or token.text.upper() in _RESERVED:
            raise self.unexpected()
        self.advance()
        return FieldRef(token.text, token.position)

    def query(self) -> Query:
        self.keyword("SELECT")
        fields = self.select_list()
        self.keyword("FROM")
        sobject = self.name()
        where = self.condition() if self.accept("WHERE") else None
        order_by: tuple[Ordering, ...] = ()
        if self.accept("ORDER"):
            self.keyword("BY")
            order_by = self.order_list()
        limit = self.integer() if self.accept("LIMIT") else None
        offset = self.integer() if self.accept("OFFSET") else None
        if self.current.kind != "eof":
            raise self.unexpected()
        return Query(fields, sobject, where, order_by, limit, offset)

    def select_list(self) -> tuple[FieldRef, ...]:
        if self.current.is_keyword("COUNT") and self.tokens[self.index + 1].text == "(":
            self.advance()
            self.punct("(")
            self.punct(")")
            return ()
        fields = [self.name()]
        while self.current.text == ",":
            self.advance()
            fields.append(self.name())
        return tuple(fields)

    def order_list(self) -> tuple[Ordering, ...]:
        orderings = [self.ordering()]
        while self.current.text == ",":
            self.advance()
            orderings.append(self.ordering())
        return tuple(orderings)

    def ordering(self) -> Ordering:
        field = self.name()
        descending = False
        if self.current.is_keyword("ASC", "DESC"):
            descending = self.advance().text.upper() == "DESC"
        nulls_last = descending
        if self.accept("NULLS"):
            nulls_last = self.keyword("FIRST", "LAST").text.upper() == "LAST"
        return Ordering(field.name, descending, nulls_last, field.position)

    def integer(self) -> int:
        token = self.current
        if token.kind != "number" or not token.text.isdigit():
            raise self.unexpected()
        self.advance()
        value = int(token.text)
        if value > MAX_LIMIT:
            raise SoqlError(
                "NUMBER_OUTSIDE_VALID_RANGE",
                f"{token.text} is outside the valid range",
                token.position,
            )
        return value

    def condition(self) -> Condition:
        parts = [self.term()]
        joiner: str | None = None
        while self.current.is_keyword("AND", "OR"):
            word = self.current.text.upper()
            if joiner is not None and word != joiner:
                # Salesforce needs parentheses to mix AND and OR; it never guesses precedence.
                raise self.unexpected()
            joiner = word
            self.advance()
            parts.append(self.term())
        if joiner is None:
            return parts[0]
        return Junction("AND" if joiner == "AND" else "OR", tuple(parts))

    def term(self) -> Condition:
        if self.accept("NOT"):
            return Negation(self.term())
        if self.current.text == "(":
            self.advance()
            inner = self.condition()
            self.punct(")")
            return inner
        return self.comparison()

    def comparison(self) -> Comparison:
        field = self.name()
        token = self.current
        if token.kind == "op":
            self.advance()
            operator = "!=" if token.text == "<>" else token.text
            return Comparison(field.name, operator, (self.value(),), field.position)
        if self.accept("LIKE"):
            return Comparison(field.name, "LIKE", (self.value(),), field.position)
        if self.accept("NOT"):
            self.keyword("IN")
            return Comparison(field.name, "NOT IN", self.value_list(), field.position)
        if self.accept("IN"):
            return Comparison(field.name, "IN", self.value_list(), field.position)
        raise self.unexpected()

    def value_list(self) -> tuple[Value, ...]:
        self.punct("(")
        values = [self.value()]
        while self.current.text == ",":
            self.advance()
            values.append(self.value())
        self.punct(")")
        return tuple(values)

    def value(self) -> Value:
        token = self.current
        if token.kind == "string":
            self.advance()
            return Value("string", token.text[1:-1], token.position)
        if token.kind in ("datetime", "date"):
            self.advance()
            return _temporal(token)
        if token.kind == "number":
            self.advance()
            return Value("number", token.text, token.position)
        if token.is_keyword("TRUE", "FALSE"):
            self.advance()
            return Value("boolean", token.text.lower(), token.position)
        if token.is_keyword("NULL"):
            self.advance()
            return Value("null", "null", token.position)
        raise self.unexpected()


def _temporal(token: Token) -> Value:
    try:
        if token.kind == "date":
            date.fromisoformat(token.text)
        else:
            datetime.fromisoformat(token.text)
    except ValueError:
        raise malformed(
            f"line 1:{token.position} invalid date: {token.text}", token.position
        ) from None
    return Value("date" if token.kind == "date" else "datetime", token.text, token.position)


_RESERVED = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "LIKE",
        "IN",
        "ORDER",
        "BY",
        "ASC",
        "DESC",
        "NULLS",
        "LIMIT",
        "OFFSET",
        "NULL",
        "TRUE",
        "FALSE",
    }
)
