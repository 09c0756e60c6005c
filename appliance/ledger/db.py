"""SQLite connections for the journal's database: PRAGMAs, one transaction helper, migrations.

Shape taken from sqlite-utils (`Database.atomic()`, `migrations.py`): the connection runs in
autocommit mode (`isolation_level=None`) so that *we* issue BEGIN and COMMIT and nothing is
ever committed by surprise; PRAGMAs are set when the connection opens, outside any
transaction (`journal_mode` cannot change inside one); `transaction()` takes the write lock
up front (BEGIN IMMEDIATE: the journal reads the chain head and writes the next record under
the same lock) and rolls back on any exception; schema changes are small named migrations,
each applied in the same transaction as the row that records it.

The outbox (another module) lives in the same database file so that a TICKET record and its
outbox row commit together; it registers its own migrations with `migrate`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PAGE_SIZE = 8192


class LedgerError(Exception):
    """Base of every error of the ledger layer: what the Till catches from below."""


class DatabaseError(LedgerError):
    """The database file cannot be opened, read or written (disk, permissions, corruption)."""


class JournalError(LedgerError):
    """Base of the journal's refusals; the message is a French sentence (here rather than in
    journal.py so that the journal's helper modules raise them too)."""


@dataclass(frozen=True)
class Migration:
    name: str  # unique and stable forever: "journal-0001-create"
    sql: str


def connect(path: Path, *, readonly: bool = False) -> sqlite3.Connection:
    """Open `path` with WAL, synchronous=FULL and foreign keys; autocommit mode."""
    try:
        if readonly:
            if not path.exists():
                raise DatabaseError(f"base introuvable : {path}")
            connection = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, isolation_level=None,
                check_same_thread=False,
            )
        else:
            new = not path.exists() or path.stat().st_size == 0
            connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            if new:  # journal rows are 1-2 KB: 4 KiB pages would hold only two of them
                connection.execute(f"PRAGMA page_size = {PAGE_SIZE}")
            connection.execute("PRAGMA journal_mode = WAL")
        connection.execute("PRAGMA synchronous = FULL")
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA busy_timeout = 5000")
    except sqlite3.Error as error:
        raise DatabaseError(f"impossible d'ouvrir {path} : {error}") from error
    return connection


@contextmanager
def transaction(connection: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """BEGIN IMMEDIATE ... COMMIT, or ROLLBACK on any exception (then re-raised).

    Not nestable on purpose: a fiscal write is one flat unit; a nested call is a bug.
    """
    if connection.in_transaction:
        raise DatabaseError("transaction déjà ouverte sur cette connexion")
    connection.execute("BEGIN IMMEDIATE")
    try:
        yield connection
    except BaseException:
        if connection.in_transaction:  # a RAISE(ROLLBACK) trigger may have ended it already
            connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def migrate(connection: sqlite3.Connection, migrations: Sequence[Migration]) -> list[str]:
    """Apply the migrations not yet recorded, in order; returns the names applied."""
    connection.execute(
        "CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, applied_seq INTEGER)"
    )
    applied = {row[0] for row in connection.execute("SELECT name FROM migrations")}
    done = []
    for migration in migrations:
        if migration.name in applied:
            continue
        with transaction(connection):
            for statement in _statements(migration.sql):
                connection.execute(statement)
            connection.execute("INSERT INTO migrations (name) VALUES (?)", (migration.name,))
        done.append(migration.name)
    return done


def _statements(sql: str) -> list[str]:
    """Split a script on complete statements (triggers contain inner semicolons)."""
    statements, current = [], ""
    for line in sql.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    if current.strip():
        statements.append(current.strip())
    return statements
