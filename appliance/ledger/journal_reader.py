"""The journal's table and read-only access to it.

`journal.sqlite` holds table `journal`: one row per record, its hashed canonical JSON in
column `payload`, guarded by triggers against UPDATE and DELETE. Other modules (the outbox)
keep their own tables in this same file. The writer (`journal.Journal`) is a reader too.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from appliance.ledger.db import Migration, connect
from appliance.ledger.journal_errors import JournalCorrupt, JournalNotFound
from appliance.ledger.records import JournalRecord

DB_NAME = "journal.sqlite"
PAGE = 500  # records per query of `records_after`

MIGRATIONS = (
    Migration(
        "journal-0001-create",
        """
        CREATE TABLE journal (
          seq            INTEGER PRIMARY KEY,
          rtype          TEXT    NOT NULL CHECK (rtype IN
                           ('INIT','TICKET','DUPLICATE','CLOSURE','EVENT','ARCHIVE')),
          training       INTEGER NOT NULL CHECK (training IN (0,1)),
          type_seq       INTEGER NOT NULL,
          created_utc    TEXT    NOT NULL,
          payload        TEXT    NOT NULL,
          prev_hash      BLOB    NOT NULL,
          prev_type_hash BLOB    NOT NULL,
          hash           BLOB    NOT NULL UNIQUE,
          sig            BLOB    NOT NULL,
          key_id         TEXT    NOT NULL,
          fmt            INTEGER NOT NULL,
          UNIQUE (rtype, training, type_seq)
        );
        CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
          BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
        CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
          BEGIN SELECT RAISE(ABORT, 'journal is append-only'); END;
        CREATE INDEX journal_ticket_ref ON journal (json_extract(payload, '$.ref.type_seq'))
          WHERE rtype = 'TICKET';
        CREATE INDEX journal_closure_level
          ON journal (json_extract(payload, '$.level'), seq) WHERE rtype = 'CLOSURE';
        """,
    ),
)


class JournalReader:
    """Read-only access to a journal database (`appliance journal show`, the Till's lookups)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    @classmethod
    def open_readonly(cls, data_dir: Path) -> JournalReader:
        path = data_dir / DB_NAME
        if not path.exists():
            raise JournalNotFound(f"aucun journal dans {data_dir}")
        return cls(connect(path, readonly=True))

    def close(self) -> None:
        self.connection.close()

    # -- reading --------------------------------------------------------------------------
    def record(self, seq: int) -> JournalRecord | None:
        row = self.connection.execute(
            "SELECT * FROM journal WHERE seq = ?", (seq,)
        ).fetchone()
        return JournalRecord.from_row(row) if row else None

    def ticket(self, number: int, *, training: bool = False) -> JournalRecord | None:
        row = self.connection.execute(
            "SELECT * FROM journal WHERE rtype = 'TICKET' AND training = ?"
            " AND type_seq = ?", (int(training), number),
        ).fetchone()
        return JournalRecord.from_row(row) if row else None

    def returned_quantities(self, number: int) -> dict[int, int]:
        """Quantity (positive thousandths) already taken back per line of ticket `number`."""
        taken: dict[int, int] = {}
        rows = self.connection.execute(
            "SELECT payload FROM journal WHERE rtype = 'TICKET' AND training = 0"
            " AND json_extract(payload, '$.ref.type_seq') = ?", (number,),
        )
        for (payload,) in rows:
            for line in json.loads(payload)["lines"]:
                if "origin_line" in line:
                    taken[line["origin_line"]] = taken.get(line["origin_line"], 0) - line[
                        "qty_milli"]
        return taken

    def closures(self, level: str) -> Iterator[JournalRecord]:
        rows = self.connection.execute(
            "SELECT * FROM journal WHERE rtype = 'CLOSURE'"
            " AND json_extract(payload, '$.level') = ? ORDER BY seq", (level,),
        )
        for row in rows:
            yield JournalRecord.from_row(row)

    def cash_session_records(self) -> Iterator[JournalRecord]:
        """The open cash session as journaled: its CASH_SESSION_OPEN event, then every TICKET
        and EVENT after it in seq order; nothing when no session is open (none yet, or the
        last one closed). The session is kept nowhere else: after a restart the Till rebuilds
        it from these records, so the drawer never disagrees with the journal."""
        row = self.connection.execute(
            "SELECT seq FROM journal WHERE rtype = 'EVENT' AND json_extract(payload, '$.code')"
            " IN ('CASH_SESSION_OPEN', 'CASH_SESSION_CLOSE') ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        opening = self.record(row[0]) if row else None
        if opening is None or opening.payload["code"] != "CASH_SESSION_OPEN":
            return
        yield opening
        rows = self.connection.execute(
            "SELECT * FROM journal WHERE seq > ? AND rtype IN ('TICKET', 'EVENT') ORDER BY seq",
            (opening.seq,),
        )
        for row in rows:
            yield JournalRecord.from_row(row)

    def records_after(self, seq: int) -> Iterator[JournalRecord]:
        """Every record with a seq greater than `seq`, in seq order (e.g. to replay the open
        cash session from its last closure). Streams in pages of `PAGE` records by seq: memory
        stays flat, and no statement stays open between pages, so the caller may append while
        iterating (records appended meanwhile are yielded too)."""
        last = seq
        while True:
            rows = self.connection.execute(
                "SELECT * FROM journal WHERE seq > ? ORDER BY seq LIMIT ?", (last, PAGE),
            ).fetchall()
            for row in rows:
                yield JournalRecord.from_row(row)
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    def last_record(self) -> JournalRecord:
        row = self.connection.execute(
            "SELECT * FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        if row is None:
            raise JournalCorrupt("journal vide")
        return JournalRecord.from_row(row)


def register_of(data_dir: Path) -> str | None:
    """The register whose fiscal journal `data_dir` holds (None: no journal there yet)."""
    try:
        reader = JournalReader.open_readonly(data_dir)
    except JournalNotFound:
        return None
    try:
        init = reader.record(1)
    finally:
        reader.close()
    return init.payload.get("register") if init is not None and init.rtype == "INIT" else None


def register_refusal(held: str | None, wanted: str) -> str | None:
    """Why this device cannot sell for register `wanted` while it holds the journal of
    register `held`, or None when it can."""
    if held is None or held == wanted:
        return None
    return (f"Ce boîtier tient le journal fiscal de la caisse « {held} » : il ne peut pas vendre"
            f" pour la caisse « {wanted} ». Gardez la caisse « {held} », ou archivez d'abord son"
            " journal (guide technicien, « Changer de caisse »)")
