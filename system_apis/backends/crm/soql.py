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

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

MAX_QUERY_LENGTH = 100_000
MAX_LIMIT = 2_147_483_647

ValueKind = Literal["string", "number", "boolean", "null", "date", "datetime"]

_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
    |(?P<string>'(?:[^'\\]|\\.)*')
    |(?P<unterminated>')
    |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?(?:Z|[+-]\d{2}:\d{2}))
    |(?P<date>\d{4}-\d{2}-\d{2})
    |(?P<number>[+-]?\d+(?:\.\d+)?)
    |(?P<ident>[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)*)
    |(?P<op>!=|<>|<=|>=|=|<|>)
    |(?P<punct>[(),])
    """,
    re.VERBOSE | re.DOTALL,
)
_STRING_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'"}


class SoqlError(Exception):
    """A query Salesforce would refuse: the error code, what was wrong, and where."""

    def __init__(self, code: str, detail: str, position: int | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.position = position

    def message(self, soql: str) -> str:
        """Salesforce's own layout: the query line, a caret, the row and column, the reason."""
        if self.position is None:
            return self.detail
        row = soql.count("\n", 0, self.position) + 1
        line_start = soql.rfind("\n", 0, self.position) + 1
        line_end = soql.find("\n", self.position)
        line = soql[line_start : line_end if line_end != -1 else len(soql)]
        column = self.position - line_start + 1
        caret = " " * (column - 1) + "^"
        return f"\n{line}\n{caret}\nERROR at Row:{row}:Column:{column}\n{self.detail}"


def malformed(detail: str, position: int | None = None) -> SoqlError:
    return SoqlError("MALFORMED_QUERY", detail, position)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    position: int

    def is_keyword(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


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


def decode_string(body: str, position: int) -> str:
    """The value of a string literal's body, its backslash escapes resolved."""
    return "".join(_decode(body, position, like=False))


def like_pattern(body: str, position: int) -> str:
    """A LIKE literal as an SQL pattern with ``\\`` as its escape character: ``%`` and ``_``
    stay wildcards, ``\\%`` and ``\\_`` match themselves."""
    return "".join(_decode(body, position, like=True))


def _decode(body: str, position: int, *, like: bool) -> list[str]:
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(_checked_char(char, position))
            index += 1
            continue
        escaped = body[index + 1]
        if escaped in _STRING_ESCAPES:
            out.append(_STRING_ESCAPES[escaped])
        elif escaped == "\\":
            out.append("\\\\" if like else "\\")
        elif escaped in "%_":
            out.append("\\" + escaped if like else escaped)
        else:
            raise malformed(
                f"Invalid string literal '{body}'. Illegal character sequence "
                f"'\\{escaped}' in string literal.",
                position,
            )
        index += 2
    return out


def _checked_char(char: str, position: int) -> str:
    if char == "\x00" or 0xD800 <= ord(char) <= 0xDFFF:
        raise malformed("Invalid character in string literal", position)
    return char


def tokenize(soql: str) -> list[Token]:
    if len(soql) > MAX_QUERY_LENGTH:
        raise SoqlError(
            "MALFORMED_QUERY",
            f"Query is too long: {len(soql)} characters, the limit is {MAX_QUERY_LENGTH}",
        )
    tokens: list[Token] = []
    position = 0
    while position < len(soql):
        match = _TOKEN.match(soql, position)
        if match is None:
            raise malformed(f"unexpected token: '{soql[position]}'", position)
        kind = match.lastgroup or ""
        if kind == "unterminated":
            raise malformed(f"line 1:{position} no viable alternative at character '''", position)
        if kind != "ws":
            tokens.append(Token(kind, match.group(), position))
        position = match.end()
    tokens.append(Token("eof", "<EOF>", len(soql)))
    return tokens


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
