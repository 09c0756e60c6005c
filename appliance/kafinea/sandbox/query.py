"""Run a parsed VTQL statement against the Store, with vtiger's answers for odd queries.

Field names were checked by the grammar (`\\w+`), so they can be placed in a JSON path; values
are always bound as SQL parameters. Comparisons follow MySQL's habits that VTQL users rely on:
case-insensitive equality and LIKE, numeric comparison for numeric fields, ws ids for `id`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from appliance.kafinea.sandbox.errors import SandboxError
from appliance.kafinea.sandbox.modules import LINE_FIELDS, NUMERIC_TYPES, Module
from appliance.kafinea.sandbox.store import Store
from appliance.kafinea.sandbox.vtql_parser import Statement, Term, Value

Presenter = Callable[..., dict[str, Any]]
_COLUMNS = {"id": "id", "createdtime": "createdtime", "modifiedtime": "modifiedtime"}


class _NoRows(Exception):
    """The query is accepted but matches nothing (bare word value, unknown ORDER BY field)."""


def _queryable(module: Module) -> set[str]:
    return {f.name for f in module.fields if f.name not in module.hidden_in_query} | {"id"}


def _selectable(module: Module) -> set[str]:
    """Inventory modules also expose their line columns (through a join) in the select list."""
    return _queryable(module) | (set(LINE_FIELDS) if module.inventory else set())


def _joined_page(
    module: Module, rows: list[tuple[Any, ...]], statement: Statement, present: Presenter
) -> list[dict[str, Any]]:
    """vtiger 8 on `SELECT *` (or line columns) of an inventory module:
    one SQL row per line item, LIMIT counted on those rows, then rows collapsed by id with the
    last line's columns winning, so a page can hold fewer than `limit` records."""
    expanded = []
    for row in rows:
        data = json.loads(row[3])
        for line in data.get("LineItems") or [{}]:
            expanded.append((row, data, line))
    records: dict[int, dict[str, Any]] = {}
    for row, data, line in expanded[statement.offset : statement.offset + statement.limit]:
        record = present(module, row[0], data, created=row[1], modified=row[2], mode="query")
        record.update({name: line.get(name, "") for name in LINE_FIELDS})
        records[row[0]] = record
    if statement.columns is None:
        return list(records.values())
    keep = (*statement.columns, "id")
    return [{k: record.get(k, "") for k in keep} for record in records.values()]


def _expr(module: Module, name: str) -> str:
    if name in _COLUMNS:
        return _COLUMNS[name]
    path = f"json_extract(data, '$.{name}')"
    if module.by_name[name].type in NUMERIC_TYPES:
        return f"CAST({path} AS REAL)"
    return path


def _bind(module: Module, name: str, value: Value) -> Any:
    if value.kind == "word":
        raise _NoRows
    if name == "id":
        text = value.text
        if "x" in text:
            text = text.split("x", 1)[1]
        return int(text) if text.lstrip("-").isdigit() else -1
    field = module.by_name.get(name)
    if field is not None and field.type in ("reference", "owner") and "x" not in value.text:
        raise SandboxError("INVALID_ID_ATTRIBUTE", "Id specified is incorrect")
    if field is not None and field.type in NUMERIC_TYPES:
        try:
            return float(value.text)
        except ValueError:
            return value.text
    return value.text


def _term_sql(module: Module, term: Term, params: list[Any]) -> str:
    expr = _expr(module, term.field)
    text_field = term.field not in _COLUMNS and module.by_name[term.field].type not in NUMERIC_TYPES
    collate = " COLLATE NOCASE" if text_field else ""
    if term.op == "IN":
        params.extend(_bind(module, term.field, v) for v in term.values)
        marks = ",".join("?" for _ in term.values)
        return f"{expr}{collate} IN ({marks})"
    if term.op == "LIKE":
        params.append(
            term.values[0].text
            if term.values[0].kind != "word"
            else _bind(module, term.field, term.values[0])
        )
        return f"CAST({expr} AS TEXT) LIKE ?"
    params.append(_bind(module, term.field, term.values[0]))
    return f"{expr} {term.op} ?{collate}"


def run_query(
    store: Store, module: Module, statement: Statement, present: Presenter
) -> list[dict[str, Any]]:
    allowed = _queryable(module)
    for name in statement.columns or ():
        if name not in _selectable(module):
            raise SandboxError(
                "ACCESS_DENIED", f"Permission to access '.{name}.' attribute denied."
            )
    for group in statement.groups:
        for term in group:
            if term.field not in allowed:
                raise SandboxError(
                    "ACCESS_DENIED", f"Permission to access {term.field} attribute denied."
                )
    params: list[Any] = [module.name]
    try:
        where = " OR ".join(
            " AND ".join(_term_sql(module, term, params) for term in group)
            for group in statement.groups
        )
        if any(name not in allowed for name in statement.order):
            raise _NoRows
    except _NoRows:
        return []
    sql_where = "module = ? AND deleted = 0" + (f" AND ({where})" if where else "")
    if statement.count:
        rows = store.select(f"SELECT count(*) FROM entity WHERE {sql_where}", params)  # noqa: S608 - identifiers checked, values bound
        return [{"count": str(rows[0][0])}]
    order = ",".join(_expr(module, name) for name in statement.order) or "id"
    direction = " DESC" if statement.descending else ""
    if statement.order:
        order = ",".join(f"{_expr(module, name)}{direction}" for name in statement.order)
    sql = f"SELECT id, createdtime, modifiedtime, data FROM entity WHERE {sql_where}"  # noqa: S608
    if module.inventory and (
        statement.columns is None or any(c in LINE_FIELDS for c in statement.columns)
    ):
        rows = store.select(f"{sql} ORDER BY {order}", params)
        return _joined_page(module, rows, statement, present)
    sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
    rows = store.select(sql, [*params, statement.limit, statement.offset])
    return [
        present(
            module,
            row[0],
            json.loads(row[3]),
            created=row[1],
            modified=row[2],
            mode="query",
            columns=statement.columns,
        )
        for row in rows
    ]
