"""The sandbox's VTQL reader, faithful to vtiger's lexer and grammar, failure modes included.

What a real vtiger 8.2 answers, as observed on a live server, and therefore what this does:
- a character the lexer cannot read (double quote, `.` of an unquoted decimal, `%`, `@`,
  non-ASCII letters outside quotes) or the empty literal `''` → INTERNAL_SERVER_ERROR;
- a grammar failure (missing `;`, parentheses other than `IN (…)`/`count(*)`, `<>`, a
  backslash escape, an unquoted date) → QUERY_SYNTAX_ERROR;
- an unquoted word as a value, or ORDER BY an unknown field → success with no rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.kafinea.sandbox.errors import SandboxError

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^']|'')*')
  | (?P<int>[-+]?\d+(?![A-Za-z_]))
  | (?P<word>[A-Za-z0-9_]+)
  | (?P<op><=|>=|!=|=|<|>)
  | (?P<punct>[(),*;])
    """,
    re.VERBOSE,
)

INTERNAL = ("INTERNAL_SERVER_ERROR", "Unknown Error while processing request")


@dataclass(frozen=True)
class Token:
    kind: str  # word | string | int | op | punct
    text: str

    @property
    def upper(self) -> str:
        return self.text.upper()


@dataclass(frozen=True)
class Value:
    kind: str  # string | int | word
    text: str  # decoded string, integer text or bare word


@dataclass(frozen=True)
class Term:
    field: str
    op: str  # = != < > <= >= LIKE IN
    values: tuple[Value, ...]


@dataclass
class Statement:
    columns: list[str] | None  # None = *
    count: bool
    module: str
    groups: list[list[Term]] = field(default_factory=list)  # OR of ANDs
    order: list[str] = field(default_factory=list)
    descending: bool = False
    offset: int = 0
    limit: int = 100


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            unterminated = text[pos] == "'"
            raise SandboxError(*(_syntax(text[pos : pos + 10]) if unterminated else INTERNAL))
        pos = match.end()
        kind = match.lastgroup
        assert kind is not None
        if kind == "space":
            continue
        if kind == "string" and match.group() == "''":
            raise SandboxError(*INTERNAL)
        tokens.append(Token(kind, match.group()))
    return tokens


def _syntax(token: str) -> tuple[str, str]:
    return (
        "QUERY_SYNTAX_ERROR",
        f"Syntax Error on line 1: token '{token}' Unexpected {token.upper() or 'end of query'}",
    )


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def next(self) -> Token:
        token = self.peek()
        if token is None:
            raise SandboxError("QUERY_SYNTAX_ERROR", "Parsing failed")
        self.pos += 1
        return token

    def fail(self, token: Token | None) -> SandboxError:
        if token is None:
            return SandboxError("QUERY_SYNTAX_ERROR", "Parsing failed")
        return SandboxError(*_syntax(token.text))

    def expect_keyword(self, word: str) -> None:
        token = self.next()
        if token.kind != "word" or token.upper != word:
            raise self.fail(token)

    def expect_punct(self, char: str) -> None:
        token = self.next()
        if token.text != char:
            raise self.fail(token)

    def word(self) -> str:
        token = self.next()
        if token.kind != "word":
            raise self.fail(token)
        return token.text

    def at_punct(self, char: str) -> bool:
        token = self.peek()
        return token is not None and token.text == char

    def at_keyword(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token.kind == "word" and token.upper == word

    def value(self) -> Value:
        token = self.next()
        if token.kind == "string":
            return Value("string", token.text[1:-1].replace("''", "'"))
        if token.kind in ("int", "word"):
            return Value(token.kind, token.text)
        raise self.fail(token)

    def select_list(self) -> tuple[list[str] | None, bool]:
        """`*`, `count(*)` or field names: (columns or None for all, is_count)."""
        token = self.next()
        if token.text == "*":
            return None, False
        if token.kind == "word" and token.text.lower() == "count" and self.at_punct("("):
            self.expect_punct("(")
            self.expect_punct("*")
            self.expect_punct(")")
            return None, True
        if token.kind != "word":
            raise self.fail(token)
        columns = [token.text]
        while self.at_punct(","):
            self.next()
            columns.append(self.word())
        return columns, False

    def parse(self) -> Statement:
        self.expect_keyword("SELECT")
        columns, count = self.select_list()
        self.expect_keyword("FROM")
        statement = Statement(columns=columns, count=count, module=self.word())
        if self.at_keyword("WHERE"):
            self.next()
            statement.groups = self.condition()
        if self.at_keyword("ORDER"):
            self.next()
            self.expect_keyword("BY")
            statement.order.append(self.word())
            while self.at_punct(","):
                self.next()
                statement.order.append(self.word())
            if self.at_keyword("ASC") or self.at_keyword("DESC"):
                statement.descending = self.next().upper == "DESC"
        if self.at_keyword("LIMIT"):
            self.next()
            first = self.integer()
            if self.at_punct(","):
                self.next()
                statement.offset, statement.limit = first, self.integer()
            else:
                statement.limit = first
        statement.limit = min(statement.limit, 100)
        end = self.peek()
        if end is None or end.text != ";":
            raise self.fail(end)
        self.next()
        if self.peek() is not None:
            raise self.fail(self.peek())
        return statement

    def integer(self) -> int:
        token = self.next()
        if token.kind != "int" or int(token.text) < 0:
            raise self.fail(token)
        return int(token.text)

    def condition(self) -> list[list[Term]]:
        groups: list[list[Term]] = [[self.term()]]
        while self.at_keyword("AND") or self.at_keyword("OR"):
            joiner = self.next().upper
            term = self.term()
            if joiner == "AND":
                groups[-1].append(term)
            else:
                groups.append([term])
        return groups

    def term(self) -> Term:
        name = self.word()
        token = self.next()
        if token.kind == "op":
            return Term(name, token.text, (self.value(),))
        if token.kind == "word" and token.upper == "LIKE":
            return Term(name, "LIKE", (self.value(),))
        if token.kind == "word" and token.upper == "IN":
            self.expect_punct("(")
            values = [self.value()]
            while self.at_punct(","):
                self.next()
                values.append(self.value())
            self.expect_punct(")")
            return Term(name, "IN", tuple(values))
        raise self.fail(token)


def parse(text: str) -> Statement:
    return _Parser(tokenize(text)).parse()
