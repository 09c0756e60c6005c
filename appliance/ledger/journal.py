"""The fiscal journal: append-only, hash-chained, signed, closed by day, month and year.

The format (canonical JSON, envelope, closure arithmetic) is `appliance.ledger.chain`,
described for readers in docs/journal-format.md; verification is `appliance.ledger.verify`.
This module opens and creates the journal and is its public face: the names other packages
use are importable from here, wherever they are defined.

Files in the data directory:
- `journal.sqlite`: the `journal` table (`journal_reader`), WAL, synchronous=FULL;
- `journal-key.pem`: the device's ECDSA P-256 private key (`device_key`), created at
  initialisation; its public key is in the INIT record, so verifying needs no secret;
- `journal-head.json`: seq, hash and signature of the last record (`journal_head`),
  rewritten and fsynced after every commit: deleting the last records is then detected.

Writing a ticket together with its outbox row (one SQLite transaction, the Till's job):

    with journal.transaction() as tx:
        record = tx.append("TICKET", pos.fiscal.ticket_payload(sale))
        tx.connection.execute("INSERT INTO outbox (...) VALUES (?, ...)", (record.seq, ...))
    # committed and fsynced here; the head file is written; only now print the receipt

`tx.append` returns the `JournalRecord` (seq, type_seq = the ticket number, hash, excerpt).
Any exception inside the block rolls everything back: no record, no outbox row, no gap. The
rules checked at append time are in `journal_transaction`.

`start()` journals APP_START and, when the previous run never journaled APP_STOP, an
UNCLEAN_STOP event first; `stop()` journals APP_STOP.
"""

from __future__ import annotations

import base64
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from appliance.ledger.db import JournalError, connect, migrate, transaction
from appliance.ledger.device_key import ALGORITHM, DeviceKey, key_id
from appliance.ledger.journal_errors import (
    BackdatedTicket,
    ClockWentBackwards,
    InvalidRecord,
    JournalCorrupt,
    JournalExists,
    JournalNotFound,
    RegisterMismatch,
)
from appliance.ledger.journal_head import HEAD_NAME, check_head, write_head
from appliance.ledger.journal_reader import (
    DB_NAME,
    MIGRATIONS,
    JournalReader,
    register_of,
    register_refusal,
)
from appliance.ledger.journal_settings import JournalSettings
from appliance.ledger.journal_transaction import JournalTransaction
from appliance.ledger.records import JournalRecord
from appliance.ledger.verify import Report, verify_database

__all__ = [
    "DB_NAME",
    "HEAD_NAME",
    "KEY_NAME",
    "BackdatedTicket",
    "ClockWentBackwards",
    "InvalidRecord",
    "Journal",
    "JournalCorrupt",
    "JournalError",
    "JournalExists",
    "JournalNotFound",
    "JournalReader",
    "JournalRecord",
    "JournalTransaction",
    "RegisterMismatch",
    "key_id",
    "register_of",
    "register_refusal",
    "utc_now",
]

KEY_NAME = "journal-key.pem"
WAL_AUTOCHECKPOINT_PAGES = 10_000


def utc_now() -> datetime:
    return datetime.now(UTC)


class Journal(JournalReader):
    """The writable journal of this register (one per data directory, one writer)."""

    def __init__(
        self, data_dir: Path, connection: sqlite3.Connection, key: DeviceKey,
        settings: JournalSettings, clock: Callable[[], datetime],
    ) -> None:
        super().__init__(connection)
        self.data_dir = data_dir
        self.settings = settings
        self._key = key
        self._clock = clock
        self._lock = threading.RLock()
        # Checkpointing the WAL fsyncs the database file: keep it off the sale path (about
        # one ticket in 3,000 instead of one in 300); `checkpoint()` runs it when idle.
        connection.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")

    # -- lifecycle ------------------------------------------------------------------------
    @classmethod
    def initialise(
        cls, data_dir: Path, *, register: str, shop: Mapping[str, str], software: str,
        tz: str = "Europe/Paris", cutoff: str = "04:00", fiscal_year_start_month: int = 1,
        clock: Callable[[], datetime] = utc_now,
    ) -> Journal:
        """Create the key, the database and the INIT record (refuses an existing journal)."""
        data_dir.mkdir(parents=True, exist_ok=True)
        db_path, key_path = data_dir / DB_NAME, data_dir / KEY_NAME
        if db_path.exists() or key_path.exists():
            raise JournalExists(f"un journal existe déjà dans {data_dir} : il ne se recrée pas")
        if not 1 <= fiscal_year_start_month <= 12:
            raise InvalidRecord("mois de début d'exercice invalide (1 à 12)")
        hours, _, minutes = cutoff.partition(":")
        if not (hours.isdigit() and minutes.isdigit() and int(hours) < 24 and int(minutes) < 60):
            raise InvalidRecord(f"heure de clôture invalide : {cutoff!r} (attendu HH:MM)")
        key = DeviceKey.create(key_path)
        connection = connect(db_path)
        migrate(connection, MIGRATIONS)
        init = {
            "code": "INIT",
            "jet": 260,
            "register": register,
            "shop": dict(shop),
            "software": software,
            "alg": ALGORITHM,
            "public_key": base64.b64encode(key.public_der()).decode(),
            "key_id": key.id,
            "tz": tz,
            "cutoff": f"{int(hours):02d}:{int(minutes):02d}",
            "fiscal_year_start_month": fiscal_year_start_month,
        }
        journal = cls(data_dir, connection, key, JournalSettings.from_init(init), clock)
        with journal.transaction() as tx:
            tx.append("INIT", init)
        return journal

    @classmethod
    def open(cls, data_dir: Path, *, clock: Callable[[], datetime] = utc_now) -> Journal:
        """Open an existing journal for writing; refuses one whose tail was removed."""
        db_path, key_path = data_dir / DB_NAME, data_dir / KEY_NAME
        if not db_path.exists() or not key_path.exists():
            raise JournalNotFound(f"aucun journal dans {data_dir} (initialisez la caisse)")
        key = DeviceKey.load(key_path)
        connection = connect(db_path)
        migrate(connection, MIGRATIONS)
        row = connection.execute("SELECT * FROM journal WHERE seq = 1").fetchone()
        if row is None or row[1] != "INIT":
            raise JournalCorrupt(f"{db_path} : enregistrement INIT absent")
        init = JournalRecord.from_row(row)
        if init.payload["key_id"] != key.id:
            raise JournalCorrupt("la clé de l'appareil ne correspond pas à celle du journal")
        journal = cls(data_dir, connection, key, JournalSettings.from_init(init.payload), clock)
        check_head(connection, data_dir / HEAD_NAME)
        return journal

    def start(self, *, operator: Mapping[str, str] | None = None) -> list[JournalRecord]:
        """Journal APP_START (after UNCLEAN_STOP when the last run did not stop cleanly)."""
        with self.transaction() as tx:
            written = []
            last = tx.last_event_among(("APP_START", "APP_STOP"))
            if last is not None and last.payload["code"] == "APP_START":
                final = self.last_record()
                written.append(tx.event(
                    "UNCLEAN_STOP", label="arrêt non propre détecté au démarrage",
                    details={"started_seq": last.seq, "last_seq": final.seq,
                             "last_utc": final.created_utc},
                ))
            written.append(tx.event("APP_START", operator=operator))
        return written

    def stop(self) -> JournalRecord:
        with self.transaction() as tx:
            record = tx.event("APP_STOP")
        self.checkpoint()
        return record

    def checkpoint(self) -> None:
        """Fold the WAL into the database file (call when idle: after a Z, at stop)."""
        with self._lock:
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    # -- writing --------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[JournalTransaction]:
        """One SQLite transaction; see the module docstring. Head file written after commit."""
        with self._lock:
            tx = JournalTransaction(self.connection, self.settings, self._key, self._clock)
            try:
                with transaction(self.connection):
                    yield tx
            except ClockWentBackwards as error:
                self._journal_clock_anomaly(error)
                raise
            except sqlite3.Error as error:
                raise JournalError(f"écriture du journal impossible : {error}") from error
            if tx.written:
                write_head(self.data_dir / HEAD_NAME, tx.written[-1])

    def append(self, rtype: str, payload: Mapping[str, Any]) -> JournalRecord:
        with self.transaction() as tx:
            return tx.append(rtype, payload)

    def event(self, code: str, **kwargs: Any) -> JournalRecord:
        with self.transaction() as tx:
            return tx.event(code, **kwargs)

    def duplicate(self, ticket_no: int, *, training: bool = False,
                  operator: Mapping[str, str] | None = None, channel: str = "PRINT"
                  ) -> JournalRecord:
        """Count and sign a reprint of ticket `ticket_no`; `copy_no` in the record's payload."""
        with self.transaction() as tx:
            return tx.duplicate(ticket_no, training=training, operator=operator,
                                channel=channel)

    def close_day(self, *, cash_count: Mapping[str, int] | None = None,
                  operator: Mapping[str, str] | None = None) -> list[JournalRecord]:
        """The Z of the open business day (nothing when no ticket since the last DAY Z)."""
        with self.transaction() as tx:
            return tx.close_day(cash_count=cash_count, operator=operator)

    def close_due(self) -> list[JournalRecord]:
        """Closures overdue at this time (the Till calls it on a timer past the cut-off)."""
        with self.transaction() as tx:
            return tx.close_due()

    def _journal_clock_anomaly(self, error: ClockWentBackwards) -> None:
        with transaction(self.connection):
            tx = JournalTransaction(self.connection, self.settings, self._key, self._clock,
                                    clamp_clock=True)
            tx.event("CLOCK_ANOMALY", label="horloge en arrière", details={"error": str(error)})
        write_head(self.data_dir / HEAD_NAME, tx.written[-1])

    def check_integrity(self, *, workers: int = 1) -> Report:
        """Verify the whole journal and journal the result (INTEGRITY_CHECK event)."""
        report = verify_database(self.data_dir / DB_NAME, self.data_dir / HEAD_NAME,
                                 workers=workers)
        details: dict[str, Any] = {"ok": report.ok, "records": report.records}
        if not report.ok:
            details |= {"failure_seq": report.failure_seq, "failure": report.failure}
        self.event("INTEGRITY_CHECK", label=report.sentence(), details=details)
        return report

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a SHA-256 digest with the device key (archive manifests)."""
        return self._key.sign(digest)

    def public_key_pem(self) -> bytes:
        return self._key.public_pem()
