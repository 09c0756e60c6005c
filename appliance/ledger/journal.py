"""The fiscal journal: append-only, hash-chained, signed, closed by day, month and year.

Design: `reference/nf525.md` section 4; format (canonical JSON, envelope, closure arithmetic):
`appliance.ledger.chain`; verification: `appliance.ledger.verify`.

Files in the data directory:
- `journal.sqlite`: table `journal` (one row per record, the hashed canonical JSON in column
  `payload`), guarded by triggers against UPDATE and DELETE; WAL, synchronous=FULL. Other
  modules (the outbox) keep their own tables in this same file.
- `journal-key.pem`: the device's ECDSA P-256 private key (0600), created at initialisation;
  its public key is in the INIT record, so verifying needs no secret.
- `journal-head.json`: seq, hash and signature of the last record, rewritten and fsynced after
  every commit: deleting the last records of the database is then detected.

Writing a ticket together with its outbox row (one SQLite transaction, the Till's job):

    with journal.transaction() as tx:
        record = tx.append("TICKET", pos.fiscal.ticket_payload(sale))
        tx.connection.execute("INSERT INTO outbox (...) VALUES (?, ...)", (record.seq, ...))
    # committed and fsynced here; the head file is written; only now print the receipt

`tx.append` returns the `JournalRecord` (seq, type_seq = the ticket number, hash, excerpt).
Any exception inside the block rolls everything back: no record, no outbox row, no gap.

Rules enforced at append time (each refusal a `JournalError` subclass, nothing written):
- payload canonical (no float, no null) and, for a TICKET, arithmetically sound;
- RETURN/VOID reference an existing ticket by number and hash;
- the clock never goes backwards beyond `CLOCK_TOLERANCE` (refused, and a CLOCK_ANOMALY event
  is journaled); smaller steps back are clamped to the last record's time;
- a ticket on a new business day first closes the previous day with sales (automatic DAY
  closure, and MONTH / YEAR closures when the month or fiscal year changed), in the same
  transaction; a ticket dated in an already closed day is refused.

`start()` journals APP_START and, when the previous run never journaled APP_STOP, an
UNCLEAN_STOP event first; `stop()` journals APP_STOP.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils

from appliance.ledger import chain, closures
from appliance.ledger.db import JournalError, Migration, connect, migrate, transaction
from appliance.ledger.journal_settings import JournalSettings
from appliance.ledger.records import JournalRecord
from appliance.ledger.verify import Report, verify_database

DB_NAME = "journal.sqlite"
KEY_NAME = "journal-key.pem"
HEAD_NAME = "journal-head.json"
ALGORITHM = "ECDSA-P256-SHA256"
CLOCK_TOLERANCE = timedelta(seconds=5)
WAL_AUTOCHECKPOINT_PAGES = 10_000
PAGE = 500  # records per query of `records_after`
SIGNATURE = ec.ECDSA(utils.Prehashed(hashes.SHA256()))

# Codes of the technical event log, with the NF525 JET code where a public mapping exists.
EVENT_JET: Mapping[str, int] = {
    "APP_STOP": 40,
    "UNCLEAN_STOP": 40,
    "CLOSURE_DONE": 50,
    "ARCHIVE_DONE": 20,
    "ERP_OFFLINE": 70,
    "ERP_ONLINE": 120,
}
EVENT_CODES = frozenset({
    "APP_START", "APP_STOP", "UNCLEAN_STOP", "LOGIN", "LOGOUT", "CLOSURE_DONE", "ARCHIVE_DONE",
    "EXPORT", "TRAINING_ON", "TRAINING_OFF", "SOFTWARE_UPDATE", "CONFIG_CHANGE", "ERP_OFFLINE",
    "ERP_ONLINE", "CLOCK_ANOMALY", "INTEGRITY_CHECK", "DRAWER_OPEN_NO_SALE", "CART_ABANDONED",
    "MANAGER_OVERRIDE", "CASH_SESSION_OPEN", "CASH_IN", "CASH_OUT", "CASH_SESSION_CLOSE",
    "RESTORE",
})

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


class JournalNotFound(JournalError):
    pass


class JournalExists(JournalError):
    pass


class InvalidRecord(JournalError):
    """A payload refused before anything is written (format, arithmetic, reference)."""


class ClockWentBackwards(JournalError):
    pass


class BackdatedTicket(JournalError):
    pass


class JournalCorrupt(JournalError):
    """The database does not match its head file (records removed) or misses its INIT."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class RegisterMismatch(JournalError):
    """The configuration names another register than the one whose journal the data
    directory holds: a journal records one register's sales, from its INIT on."""


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


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()[:16]


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



class Journal(JournalReader):
    """The writable journal of this register (one per data directory, one writer)."""

    def __init__(
        self, data_dir: Path, connection: sqlite3.Connection,
        private_key: ec.EllipticCurvePrivateKey, settings: JournalSettings,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__(connection)
        self.data_dir = data_dir
        self.settings = settings
        self._key = private_key
        self._key_id = key_id(private_key.public_key())
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
        private_key = ec.generate_private_key(ec.SECP256R1())
        pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        connection = connect(db_path)
        migrate(connection, MIGRATIONS)
        public_der = private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        init = {
            "code": "INIT",
            "jet": 260,
            "register": register,
            "shop": dict(shop),
            "software": software,
            "alg": ALGORITHM,
            "public_key": base64.b64encode(public_der).decode(),
            "key_id": key_id(private_key.public_key()),
            "tz": tz,
            "cutoff": f"{int(hours):02d}:{int(minutes):02d}",
            "fiscal_year_start_month": fiscal_year_start_month,
        }
        settings = JournalSettings.from_init(init)
        journal = cls(data_dir, connection, private_key, settings, clock)
        with journal.transaction() as tx:
            tx.append("INIT", init)
        return journal

    @classmethod
    def open(cls, data_dir: Path, *, clock: Callable[[], datetime] = utc_now) -> Journal:
        """Open an existing journal for writing; refuses one whose tail was removed."""
        db_path, key_path = data_dir / DB_NAME, data_dir / KEY_NAME
        if not db_path.exists() or not key_path.exists():
            raise JournalNotFound(f"aucun journal dans {data_dir} (initialisez la caisse)")
        private_key = serialization.load_pem_private_key(key_path.read_bytes(), None)
        if not isinstance(private_key, ec.EllipticCurvePrivateKey):
            raise JournalCorrupt(f"{key_path} n'est pas une clé ECDSA")
        connection = connect(db_path)
        migrate(connection, MIGRATIONS)
        row = connection.execute("SELECT * FROM journal WHERE seq = 1").fetchone()
        if row is None or row[1] != "INIT":
            raise JournalCorrupt(f"{db_path} : enregistrement INIT absent")
        init = JournalRecord.from_row(row)
        if init.payload["key_id"] != key_id(private_key.public_key()):
            raise JournalCorrupt("la clé de l'appareil ne correspond pas à celle du journal")
        journal = cls(data_dir, connection, private_key, JournalSettings.from_init(init.payload),
                      clock)
        journal.check_head()
        return journal

    def check_head(self) -> None:
        """Compare the database with the head file; a missing tail is `JournalCorrupt`."""
        head = read_head(self.data_dir / HEAD_NAME)
        last = self.connection.execute("SELECT MAX(seq) FROM journal").fetchone()[0] or 0
        if head is None:
            if last > 1:
                raise JournalCorrupt("fichier de tête du journal absent")
            return
        row = self.connection.execute(
            "SELECT hash FROM journal WHERE seq = ?", (head["seq"],)
        ).fetchone()
        if row is None:
            raise JournalCorrupt(
                f"journal tronqué : la tête indique l'enregistrement {head['seq']},"
                f" la base s'arrête à {last}"
            )
        if bytes(row[0]).hex() != head["hash"]:
            raise JournalCorrupt(f"l'enregistrement {head['seq']} ne correspond pas à la tête")

    def start(self, *, operator: Mapping[str, str] | None = None) -> list[JournalRecord]:
        """Journal APP_START (after UNCLEAN_STOP when the last run did not stop cleanly)."""
        with self.transaction() as tx:
            written = []
            last = tx.last_event_among(("APP_START", "APP_STOP"))
            if last is not None and last.payload["code"] == "APP_START":
                final = tx.last_record()
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
            tx = JournalTransaction(self, self.connection)
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
            tx = JournalTransaction(self, self.connection, clamp_clock=True)
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
        return self._key.sign(digest, SIGNATURE)

    def public_key_pem(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)

    def business_date(self, moment: datetime | None = None) -> date:
        return self.settings.business_date(_iso(moment or self._clock()))


class JournalTransaction:
    """The handle `Journal.transaction()` yields: append records, share the connection."""

    def __init__(self, journal: Journal, connection: sqlite3.Connection,
                 clamp_clock: bool = False) -> None:
        self._journal = journal
        self.connection = connection
        self.written: list[JournalRecord] = []
        self._clamp_clock = clamp_clock
        self._now: str | None = None

    @property
    def settings(self) -> JournalSettings:
        return self._journal.settings

    # -- public ---------------------------------------------------------------------------
    def append(self, rtype: str, payload: Mapping[str, Any]) -> JournalRecord:
        """Append one record; a TICKET may first trigger the overdue closures."""
        if rtype not in chain.RECORD_TYPES:
            raise InvalidRecord(f"type d'enregistrement inconnu : {rtype!r}")
        if rtype == "INIT" and self.last_record() is not None:
            raise InvalidRecord("INIT n'est permis qu'en tête du journal")
        if rtype == "CLOSURE":
            raise InvalidRecord("les clôtures sont calculées par le journal (close_day)")
        data = dict(payload)
        training = False
        if rtype == "TICKET":
            data, training = self._prepare_ticket(data)
        elif rtype == "DUPLICATE":
            raise InvalidRecord("un duplicata s'écrit avec duplicate()")
        elif rtype == "EVENT" and data.get("code") not in EVENT_CODES:
            raise InvalidRecord(f"code d'événement inconnu : {data.get('code')!r}")
        return self._write(rtype, data, training)

    def event(self, code: str, *, label: str = "", operator: Mapping[str, str] | None = None,
              details: Mapping[str, Any] | None = None) -> JournalRecord:
        payload: dict[str, Any] = {"code": code}
        if code in EVENT_JET:
            payload["jet"] = EVENT_JET[code]
        if label:
            payload["label"] = label
        if operator:
            payload["operator"] = dict(operator)
        if details:
            payload["details"] = dict(details)
        return self.append("EVENT", payload)

    def duplicate(self, ticket_no: int, *, training: bool = False,
                  operator: Mapping[str, str] | None = None, channel: str = "PRINT"
                  ) -> JournalRecord:
        original = self._journal.ticket(ticket_no, training=training)
        if original is None:
            raise InvalidRecord(f"ticket n° {ticket_no} introuvable : pas de duplicata")
        copies = self.connection.execute(
            "SELECT COUNT(*) FROM journal WHERE rtype = 'DUPLICATE' AND training = ?"
            " AND json_extract(payload, '$.of.type_seq') = ?", (int(training), ticket_no),
        ).fetchone()[0]
        payload: dict[str, Any] = {
            "of": {"rtype": "TICKET", "type_seq": ticket_no, "hash": original.hash},
            "copy_no": copies + 1,
            "channel": channel,
        }
        if operator:
            payload["operator"] = dict(operator)
        return self._write("DUPLICATE", payload, training)

    def write_closure(self, payload: dict[str, Any]) -> JournalRecord:
        """Write a CLOSURE computed by `closures`: the one way in for closures, which
        `append` refuses because their figures are the journal's to compute."""
        return self._write("CLOSURE", payload, False)

    def close_day(self, *, cash_count: Mapping[str, int] | None = None,
                  operator: Mapping[str, str] | None = None) -> list[JournalRecord]:
        """The Z of the open business day (after any overdue closures)."""
        return closures.close_day(self, cash_count=cash_count, operator=operator)

    def close_due(self) -> list[JournalRecord]:
        """DAY, MONTH and YEAR closures that the current time makes due."""
        return closures.close_due(self)

    def last_record(self) -> JournalRecord | None:
        row = self.connection.execute(
            "SELECT * FROM journal ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        return JournalRecord.from_row(row) if row else None

    def last_event_among(self, codes: tuple[str, ...]) -> JournalRecord | None:
        rows = self.connection.execute(
            "SELECT * FROM journal WHERE rtype = 'EVENT' ORDER BY type_seq DESC"
        )
        for row in rows:
            record = JournalRecord.from_row(row)
            if record.payload.get("code") in codes:
                return record
        return None

    def now(self) -> str:
        """This transaction's timestamp: the clock, checked against the last record once."""
        if self._now is None:
            now = _iso(self._journal._clock())
            last = self.last_record()
            if last is not None and now < last.created_utc:
                behind = chain.parse_utc(last.created_utc) - chain.parse_utc(now)
                if behind > CLOCK_TOLERANCE and not self._clamp_clock:
                    raise ClockWentBackwards(
                        f"horloge en arrière de {behind.total_seconds():.0f} s par rapport au"
                        f" dernier enregistrement ({last.created_utc}) : vente refusée,"
                        " corrigez l'heure de la caisse"
                    )
                now = last.created_utc
            self._now = now
        return self._now

    # -- tickets --------------------------------------------------------------------------
    def _prepare_ticket(self, data: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        training = data.get("training")
        if not isinstance(training, bool):
            raise InvalidRecord("ticket sans indicateur « training » booléen")
        problem = chain.ticket_problem(data)
        if problem:
            raise InvalidRecord(f"ticket incohérent, rien n'est enregistré : {problem}")
        if data.get("kind") in ("RETURN", "VOID"):
            ref = data.get("ref")
            if not isinstance(ref, dict):
                raise InvalidRecord("un retour ou une annulation doit citer le ticket d'origine")
            original = self._journal.ticket(ref.get("type_seq", 0), training=training)
            if original is None or original.hash != ref.get("hash"):
                raise InvalidRecord(
                    f"ticket d'origine n° {ref.get('type_seq')} introuvable ou différent"
                )
        elif "ref" in data:
            raise InvalidRecord("une vente ne cite pas de ticket d'origine")
        self.close_due()
        day = self._journal.settings.business_date(self.now())
        last_day = closures.last_closure(self, "DAY")
        if last_day is not None and day.isoformat() <= last_day.payload["period"]["to"]:
            raise BackdatedTicket(
                f"la journée du {day.isoformat()} est déjà clôturée : aucune vente ne peut"
                " y être ajoutée"
            )
        data["business_date"] = day.isoformat()
        return data, training

    # -- the write itself -----------------------------------------------------------------
    def _write(self, rtype: str, payload: dict[str, Any], training: bool) -> JournalRecord:
        journal = self._journal
        created = self.now()
        last = self.connection.execute(
            "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").fetchone()
        seq = last[0] + 1 if last else 1
        prev_hash = bytes(last[1]).hex() if last else chain.ZERO_HASH
        row = self.connection.execute(
            "SELECT type_seq, hash FROM journal WHERE rtype = ? AND training = ?"
            " ORDER BY type_seq DESC LIMIT 1", (rtype, int(training)),
        ).fetchone()
        type_seq = row[0] + 1 if row else 1
        prev_type_hash = bytes(row[1]).hex() if row else chain.ZERO_HASH
        try:
            payload_bytes = chain.canonical_bytes(payload)
        except chain.CanonicalError as error:
            raise InvalidRecord(f"contenu refusé : {error}") from error
        envelope = chain.envelope_bytes(
            seq=seq, rtype=rtype, training=training, type_seq=type_seq, created_utc=created,
            register=journal.settings.register, prev_hash=prev_hash,
            prev_type_hash=prev_type_hash, payload=payload_bytes,
        )
        hash_hex = chain.record_hash(envelope)
        sig = journal._key.sign(bytes.fromhex(hash_hex), SIGNATURE)
        text = payload_bytes.decode("utf-8")
        self.connection.execute(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, rtype, int(training), type_seq, created, text, bytes.fromhex(prev_hash),
             bytes.fromhex(prev_type_hash), bytes.fromhex(hash_hex), sig, journal._key_id,
             chain.FMT),
        )
        record = JournalRecord(seq, rtype, training, type_seq, created, json.loads(text), text,
                               prev_hash, prev_type_hash, hash_hex, sig, journal._key_id,
                               chain.FMT)
        self.written.append(record)
        return record


# -------------------------------------------------------------------------- head file


def write_head(path: Path, record: JournalRecord) -> None:
    """Atomically replace the head checkpoint (new file fsynced, then renamed over the old).

    The directory is not fsynced: after a power cut the head may name an older record, which
    verification accepts (the head may lag, never lead); what it must never do is name a
    record the database no longer has. This keeps an append at two fsyncs (WAL + head).
    """
    data = json.dumps({"seq": record.seq, "hash": record.hash, "sig": record.sig.hex(),
                       "created_utc": record.created_utc}, sort_keys=True).encode()
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")  # two writers never share it
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(temporary, path)


def read_head(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_bytes())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        raise JournalCorrupt(f"fichier de tête illisible : {path} ({error})") from error
