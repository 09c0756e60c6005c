"""The outbox: what still has to reach Kafinea, and how far each delivery got.

Lives in the journal's SQLite file so that a validated ticket and its outbox row are written
in ONE transaction (`enqueue` runs inside the journal's transaction and never commits): a
ticket can never exist without its row, nor a row without its ticket. Unlike the journal, the
outbox is mutable bookkeeping: a row moves from `pending` to `done` (or `failed`, kept forever
in the errors list until a retry), and its `progress` records every remote id obtained so far
(invoice, each payment, ...) plus the *intent* written before each create is sent. An intent
without an id after a crash or a timeout is exactly the "outcome unknown" case: the sync
worker looks the reference up before creating again. That is the exactly-once rule, stored.

Rows are delivered in `id` order (the order of the journal); `ref` (register + document
number) is the idempotency key that also travels to Kafinea.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from appliance.ledger.db import Migration, migrate

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ref TEXT NOT NULL UNIQUE,
    journal_seq INTEGER,
    payload TEXT NOT NULL,
    progress TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS outbox_status ON outbox(status, id);
"""


class Status(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"  # refused by Kafinea for good: listed in the errors, retry by hand


class Kind(StrEnum):
    TICKET = "ticket"  # a sale, return or void (its journal TICKET payload)
    CASH = "cash"  # opening float, cash in, cash out
    CLOSURE = "closure"  # a Z


class OutboxError(Exception):
    """A bookkeeping refusal (unknown row, duplicate reference)."""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    kind: Kind
    ref: str
    journal_seq: int | None
    payload: dict[str, Any]
    progress: dict[str, Any]
    status: Status
    attempts: int
    next_attempt_at: float
    last_error: str
    created_at: str
    updated_at: str


MIGRATIONS = (Migration("outbox-0001-create", SCHEMA),)


def ensure_schema(db: sqlite3.Connection) -> None:
    """Create the outbox table in the journal's file (a named migration, applied once)."""
    migrate(db, MIGRATIONS)


def enqueue(
    db: sqlite3.Connection,
    *,
    kind: Kind,
    ref: str,
    payload: Mapping[str, Any],
    created_at: str,
    journal_seq: int | None = None,
) -> int:
    """Add a row inside the caller's open transaction (the journal's); never commits."""
    try:
        cursor = db.execute(
            "INSERT INTO outbox(kind, ref, journal_seq, payload, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (kind.value, ref, journal_seq, _dump(payload), created_at),
        )
    except sqlite3.IntegrityError as error:
        raise OutboxError(f"référence déjà en file d'envoi : {ref}") from error
    assert cursor.lastrowid is not None
    return cursor.lastrowid


_SELECT = (
    "SELECT id, kind, ref, journal_seq, payload, progress, status, attempts, next_attempt_at,"
    " last_error, created_at, updated_at FROM outbox"
)


class Outbox:
    """Reading and updating rows, on a connection of its own (the sync worker's thread).

    Every update commits at once: progress must be on disk before the next request leaves.
    """

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def head(self) -> OutboxRow | None:
        """The oldest pending row: delivery is in order, so this is the only candidate."""
        row = self._db.execute(
            _SELECT + " WHERE status = ? ORDER BY id LIMIT 1", (Status.PENDING.value,)
        ).fetchone()
        return _row(row) if row else None

    def get(self, row_id: int) -> OutboxRow:
        row = self._db.execute(_SELECT + " WHERE id = ?", (row_id,)).fetchone()
        if row is None:
            raise OutboxError(f"aucun envoi n° {row_id}")
        return _row(row)

    def by_ref(self, ref: str) -> OutboxRow | None:
        row = self._db.execute(_SELECT + " WHERE ref = ?", (ref,)).fetchone()
        return _row(row) if row else None

    def pending_count(self) -> int:
        return self._count(Status.PENDING)

    def failed_count(self) -> int:
        return self._count(Status.FAILED)

    def _count(self, status: Status) -> int:
        count: int = self._db.execute(
            "SELECT count(*) FROM outbox WHERE status = ?", (status.value,)
        ).fetchone()[0]
        return count

    def failed(self) -> list[OutboxRow]:
        rows = self._db.execute(
            _SELECT + " WHERE status = ? ORDER BY id", (Status.FAILED.value,)
        ).fetchall()
        return [_row(row) for row in rows]

    def save_progress(self, row_id: int, progress: Mapping[str, Any], at: str) -> None:
        self._update(
            row_id,
            "UPDATE outbox SET progress = ?, updated_at = ? WHERE id = ?",
            (_dump(progress), at),
        )

    def mark_done(self, row_id: int, progress: Mapping[str, Any], at: str) -> None:
        self._update(
            row_id,
            "UPDATE outbox SET status = ?, progress = ?, last_error = '', updated_at = ?"
            " WHERE id = ?",
            (Status.DONE.value, _dump(progress), at),
        )

    def defer(self, row_id: int, *, error: str, next_attempt_at: float, at: str) -> None:
        """A transient failure: count the attempt, keep the row at the head of the queue."""
        self._update(
            row_id,
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?,"
            " updated_at = ? WHERE id = ?",
            (error, next_attempt_at, at),
        )

    def mark_failed(self, row_id: int, *, reason: str, at: str) -> None:
        """Kafinea refused it for good: out of the queue, into the errors list (never lost)."""
        self._update(
            row_id,
            "UPDATE outbox SET status = ?, attempts = attempts + 1, last_error = ?, updated_at = ?"
            " WHERE id = ?",
            (Status.FAILED.value, reason, at),
        )

    def retry(self, row_id: int, at: str) -> None:
        """Put a failed row back in the queue, keeping its progress (ids already obtained)."""
        row = self.get(row_id)
        if row.status is not Status.FAILED:
            raise OutboxError(f"l'envoi n° {row_id} n'est pas en erreur")
        self._update(
            row_id,
            "UPDATE outbox SET status = ?, next_attempt_at = 0, updated_at = ? WHERE id = ?",
            (Status.PENDING.value, at),
        )

    def _update(self, row_id: int, statement: str, values: tuple[Any, ...]) -> None:
        with self._db:
            cursor = self._db.execute(statement, (*values, row_id))
        if cursor.rowcount != 1:
            raise OutboxError(f"aucun envoi n° {row_id}")


def _dump(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _row(row: tuple[Any, ...]) -> OutboxRow:
    (
        row_id,
        kind,
        ref,
        seq,
        payload,
        progress,
        status,
        attempts,
        next_at,
        error,
        created,
        updated,
    ) = row
    return OutboxRow(
        id=row_id,
        kind=Kind(kind),
        ref=ref,
        journal_seq=seq,
        payload=json.loads(payload),
        progress=json.loads(progress),
        status=Status(status),
        attempts=attempts,
        next_attempt_at=next_at,
        last_error=error,
        created_at=created,
        updated_at=updated,
    )
