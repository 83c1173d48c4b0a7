"""SOQL's words: the tokens of a query, its string literals and the errors Salesforce gives
for text it cannot read. The parser in :mod:`.soql` builds the query tree from these."""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_QUERY_LENGTH = 100_000
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
