"""SQLite state of the sandbox: one table of records (JSON per record), counters, metadata.

Why JSON per record: the sandbox imitates many modules whose field lists come from
`modules.py`; one generic table keeps the schema stable while modules change, and SQLite's
`json_extract` is enough for VTQL's one-table WHERE clauses. Ids come from one sequence across
modules, like vtiger's crmid. One connection guarded by a lock: requests are short, and a
single writer is what SQLite wants anyway.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entity (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    module TEXT NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    createdtime TEXT NOT NULL,
    modifiedtime TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entity_module_id ON entity(module, deleted, id);
CREATE INDEX IF NOT EXISTS entity_module_mtime ON entity(module, modifiedtime);
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


_LOOKUP_FIELDS = {
    "ean": "cf_853",
    "code": "productcode",
    "category": "productcategory",
    "ticket": "cf_ticket_ref",
    "subject": "subject",
    "name": "productname",
    "account": "accountname",
}
# Fields the till looks records up by (barcode scans, ticket references, names): expression
# indexes matching exactly the `json_extract(...) = ? COLLATE NOCASE` that query.py emits,
# behind (module, deleted) so the planner prefers them to the plain module index.
_LOOKUP_INDEXES = [
    f"CREATE INDEX IF NOT EXISTS entity_{name} ON entity("
    f"module, deleted, json_extract(data, '$.{field}') COLLATE NOCASE)"
    for name, field in _LOOKUP_FIELDS.items()
]


class Store:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)
        self._create_lookup_indexes(self.db)

    @staticmethod
    def _create_lookup_indexes(db: sqlite3.Connection) -> None:
        for statement in _LOOKUP_INDEXES:
            db.execute(statement)

    def close(self) -> None:
        with self.lock:
            self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self.lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -------------------------------------------------------------- metadata and counters

    def get_meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def next_number(self, name: str, count: int = 1) -> int:
        """Reserve `count` numbers of sequence `name`; returns the first."""
        with self.lock:
            row = self.db.execute(
                "INSERT INTO counter(name, value) VALUES (?, ?)"
                " ON CONFLICT(name) DO UPDATE SET value = value + excluded.value"
                " RETURNING value",
                (name, count),
            ).fetchone()
        return int(row[0]) - count + 1

    # -------------------------------------------------------------- records

    def insert(self, module: str, data: dict[str, Any], now: str) -> int:
        with self.lock:
            cursor = self.db.execute(
                "INSERT INTO entity(module, createdtime, modifiedtime, data)"
                " VALUES (?, ?, ?, '{}')",
                (module, now, now),
            )
            record_id = int(cursor.lastrowid or 0)
            return record_id

    def bulk_insert(self, module: str, rows: Iterable[tuple[str, str, str]]) -> None:
        """Rows of (createdtime, modifiedtime, json data) in one transaction (fast seeding).

        The lookup indexes are dropped and rebuilt around the insert: building an index once
        over sorted keys is several times faster than 100,000 random B-tree inserts.
        """
        with self.transaction() as db:
            for name in _LOOKUP_FIELDS:
                db.execute(f"DROP INDEX IF EXISTS entity_{name}")
            db.executemany(
                "INSERT INTO entity(module, createdtime, modifiedtime, data) VALUES (?, ?, ?, ?)",
                ((module, c, m, d) for c, m, d in rows),
            )
            self._create_lookup_indexes(db)

    def max_id(self) -> int:
        with self.lock:
            row = self.db.execute("SELECT coalesce(max(id), 0) FROM entity").fetchone()
        return int(row[0])

    def get(self, record_id: int) -> tuple[str, bool, dict[str, Any]] | None:
        with self.lock:
            row = self.db.execute(
                "SELECT module, deleted, data FROM entity WHERE id = ?", (record_id,)
            ).fetchone()
        if row is None:
            return None
        return str(row[0]), bool(row[1]), json.loads(row[2])

    def save(self, record_id: int, data: dict[str, Any], now: str) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE entity SET data = ?, modifiedtime = ? WHERE id = ?",
                (json.dumps(data, ensure_ascii=False), now, record_id),
            )

    def mark_deleted(self, record_id: int, now: str) -> None:
        with self.lock:
            self.db.execute(
                "UPDATE entity SET deleted = 1, modifiedtime = ? WHERE id = ?", (now, record_id)
            )

    def select(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        with self.lock:
            return self.db.execute(sql, params).fetchall()
