"""One SQLite file caching what Kafinea holds (the catalogue, the customer accounts).

Kafinea keeps the truth, so a cache may lose its last writes in a power cut: WAL with
synchronous=NORMAL. The UI thread reads while the refresh thread writes, through one
connection under a lock (a search waits for one write batch at most).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import ClassVar


class CacheFile:
    """The connection, its lock, write transactions and the small `meta` table every cache
    keeps (watermarks, names); `schema` must create `meta(key PRIMARY KEY, value)` and the
    cached rows' table `TABLE`, keyed by Kafinea's `id` with its `modified` time."""

    TABLE: ClassVar[str]

    def __init__(self, path: Path, schema: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(schema)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def set_meta(self, key: str, value: str) -> None:
        """A small named value kept with the cache (watermarks, sync names, counters...)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?)"
                " ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def meta(self, key: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def modified_of(self, row_id: str) -> str | None:
        """The modification time held for a cached row (a refresh skips unchanged ones)."""
        with self._lock:
            row = self._db.execute(
                f"SELECT modified FROM {self.TABLE} WHERE id = ?",  # noqa: S608 - a class constant
                (row_id,),
            ).fetchone()
        return row[0] if row else None

    def count(self) -> int:
        with self._lock:
            count: int = self._db.execute(
                f"SELECT count(*) FROM {self.TABLE}"  # noqa: S608 - a class constant
            ).fetchone()[0]
        return count
