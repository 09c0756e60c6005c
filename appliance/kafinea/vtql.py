"""Build VTQL text that a vtiger server parses the same way we meant it.

Why a builder: VTQL pastes values into SQL verbatim, so a quote or a semicolon in a search term
or a barcode must never reach the server unescaped. Every value goes through `quote()`
(`'` doubled, the only escape the lexer knows); identifiers are checked against a strict
pattern; nothing else is ever interpolated. The grammar has no parentheses, so conditions are
written as OR-groups of AND-terms, which is exactly what its SQL precedence gives.

Values that vtiger cannot express are refused here with `VtqlError` instead of producing a
server error: the empty string (the lexer cannot read `''`) and backslashes (MySQL treats them
as escapes inside strings).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from decimal import Decimal

PAGE_SIZE = 100  # the server caps every query at 100 rows whatever LIMIT says

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OPERATORS = frozenset({"=", "!=", "<", ">", "<=", ">=", "LIKE", "IN"})

Value = str | int | Decimal


class VtqlError(ValueError):
    """A query that cannot be written safely (bad identifier, unsupported value)."""


def identifier(name: str) -> str:
    if not isinstance(name, str) or not _IDENT.match(name):
        raise VtqlError(f"identifiant VTQL invalide : {name!r}")
    return name


def quote(value: Value) -> str:
    """One literal: integers bare, everything else single-quoted with `'` doubled."""
    if isinstance(value, bool):
        return "'1'" if value else "'0'"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal):
        value = format(value, "f")
    if not isinstance(value, str):
        raise VtqlError(f"type de valeur refusé par VTQL : {type(value).__name__}")
    if value == "":
        raise VtqlError("VTQL ne sait pas comparer avec une chaîne vide")
    if "\\" in value:
        raise VtqlError("une valeur VTQL ne peut pas contenir de barre oblique inverse")
    if any(ord(c) < 32 for c in value):
        raise VtqlError("une valeur VTQL ne peut pas contenir de caractère de contrôle")
    return "'" + value.replace("'", "''") + "'"


def like_escape(term: str) -> str:
    """A search term for LIKE '%…%': VTQL has no ESCAPE clause, so wildcards are dropped."""
    return term.replace("%", " ").replace("_", " ").strip()


@dataclass(frozen=True)
class Condition:
    field: str
    op: str
    value: Value | tuple[Value, ...]

    def render(self) -> str:
        name = identifier(self.field)
        op = self.op.upper()
        if op not in _OPERATORS:
            raise VtqlError(f"opérateur VTQL inconnu : {self.op!r}")
        if op == "IN":
            values = self.value if isinstance(self.value, tuple) else (self.value,)
            if not values:
                raise VtqlError("IN demande au moins une valeur")
            return f"{name} IN (" + ",".join(quote(v) for v in values) + ")"
        if isinstance(self.value, tuple):
            raise VtqlError(f"{op} prend une seule valeur")
        return f"{name} {op} {quote(self.value)}"


def cond(field_name: str, op: str, value: Value | Iterable[Value]) -> Condition:
    if not isinstance(value, str | int | Decimal):
        value = tuple(value)
    return Condition(field_name, op, value)


@dataclass(frozen=True)
class Query:
    """An immutable SELECT; each method returns a new query."""

    module: str
    fields: tuple[str, ...] = ()
    count: bool = False
    groups: tuple[tuple[Condition, ...], ...] = ()
    order: tuple[str, ...] = ()
    descending: bool = False
    limit_n: int | None = None
    offset: int = 0
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    def select(self, *fields: str) -> Query:
        return replace(self, fields=tuple(identifier(f) for f in fields), count=False)

    def counting(self) -> Query:
        return replace(self, count=True, fields=())

    def where(self, *conditions: Condition) -> Query:
        """AND these conditions into the last OR-group (starting one if none)."""
        if not self.groups:
            return replace(self, groups=(tuple(conditions),))
        return replace(self, groups=(*self.groups[:-1], self.groups[-1] + tuple(conditions)))

    def or_where(self, *conditions: Condition) -> Query:
        """Start a new OR-group: `… OR (these ANDed)` without parentheses."""
        return replace(self, groups=(*self.groups, tuple(conditions)))

    def order_by(self, *fields: str, descending: bool = False) -> Query:
        return replace(self, order=tuple(identifier(f) for f in fields), descending=descending)

    def limit(self, n: int, offset: int = 0) -> Query:
        if n < 1 or offset < 0:
            raise VtqlError("LIMIT demande n >= 1 et offset >= 0")
        return replace(self, limit_n=n, offset=offset)

    def render(self) -> str:
        columns = "count(*)" if self.count else (",".join(self.fields) or "*")
        text = f"SELECT {columns} FROM {identifier(self.module)}"  # noqa: S608 - VTQL, checked
        groups = [g for g in self.groups if g]
        if groups:
            text += " WHERE " + " OR ".join(
                " AND ".join(c.render() for c in group) for group in groups
            )
        if self.order:
            text += " ORDER BY " + ",".join(self.order)
            if self.descending:
                text += " DESC"
        if self.limit_n is not None:
            text += (
                f" LIMIT {self.offset},{self.limit_n}" if self.offset else f" LIMIT {self.limit_n}"
            )
        return text + ";"

    def __str__(self) -> str:
        return self.render()


def select(module: str, *fields: str) -> Query:
    """`select("Products", "productname", "unit_price")` → a query on one module."""
    return Query(identifier(module)).select(*fields)


def pages(query: Query, start: int = 0) -> Iterator[Query]:
    """Endless pages of PAGE_SIZE rows in a stable order (ORDER BY id unless one is set)."""
    base = query if query.order else query.order_by("id")
    offset = start
    while True:
        yield base.limit(PAGE_SIZE, offset)
        offset += PAGE_SIZE


def changed_since(query: Query, modifiedtime: str | None) -> Query:
    """Incremental listing by `modifiedtime` (vtiger 8's `sync` crashes, so never use it).

    `>=` rather than `>`: the timestamp has one-second resolution, so records saved in the same
    second as the last seen one must be listed again (the caller skips those it already has).
    """
    if modifiedtime is None:
        return query
    return query.where(Condition("modifiedtime", ">=", modifiedtime))
