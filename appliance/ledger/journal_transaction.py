"""Appending to the journal: the handle `Journal.transaction()` yields.

Rules enforced at append time (each refusal a `JournalError` subclass, nothing written):
- payload canonical (no float, no null) and, for a TICKET, arithmetically sound;
- RETURN/VOID reference an existing ticket by number and hash;
- the clock never goes backwards beyond `CLOCK_TOLERANCE` (refused; the journal then
  journals a CLOCK_ANOMALY event); smaller steps back are clamped to the last record's time;
- a ticket on a new business day first closes the previous day with sales (automatic DAY
  closure, and MONTH / YEAR closures when the month or fiscal year changed), in the same
  transaction; a ticket dated in an already closed day is refused.

Each record is chained to the last one (`prev_hash`) and to the last one of its type and
training flag (`prev_type_hash`, `type_seq`), hashed over its envelope (`chain`) and signed
with the device key.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from appliance.ledger import chain, closures
from appliance.ledger.device_key import DeviceKey
from appliance.ledger.journal_errors import BackdatedTicket, ClockWentBackwards, InvalidRecord
from appliance.ledger.journal_reader import JournalReader
from appliance.ledger.journal_settings import JournalSettings
from appliance.ledger.records import JournalRecord
from appliance.pos.timestamps import utc_iso

CLOCK_TOLERANCE = timedelta(seconds=5)

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


class JournalTransaction:
    """The handle `Journal.transaction()` yields: append records, share the connection."""

    def __init__(self, connection: sqlite3.Connection, settings: JournalSettings,
                 key: DeviceKey, clock: Callable[[], datetime], *,
                 clamp_clock: bool = False) -> None:
        self.connection = connection
        self.settings = settings
        self.written: list[JournalRecord] = []
        self._reader = JournalReader(connection)
        self._key = key
        self._clock = clock
        self._clamp_clock = clamp_clock
        self._now: str | None = None

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
        original = self._reader.ticket(ticket_no, training=training)
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
            now = utc_iso(self._clock())
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
            original = self._reader.ticket(ref.get("type_seq", 0), training=training)
            if original is None or original.hash != ref.get("hash"):
                raise InvalidRecord(
                    f"ticket d'origine n° {ref.get('type_seq')} introuvable ou différent"
                )
        elif "ref" in data:
            raise InvalidRecord("une vente ne cite pas de ticket d'origine")
        self.close_due()
        day = self.settings.business_date(self.now())
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
            register=self.settings.register, prev_hash=prev_hash,
            prev_type_hash=prev_type_hash, payload=payload_bytes,
        )
        hash_hex = chain.record_hash(envelope)
        sig = self._key.sign(bytes.fromhex(hash_hex))
        text = payload_bytes.decode("utf-8")
        self.connection.execute(
            "INSERT INTO journal VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, rtype, int(training), type_seq, created, text, bytes.fromhex(prev_hash),
             bytes.fromhex(prev_type_hash), bytes.fromhex(hash_hex), sig, self._key.id,
             chain.FMT),
        )
        record = JournalRecord(seq, rtype, training, type_seq, created, json.loads(text), text,
                               prev_hash, prev_type_hash, hash_hex, sig, self._key.id,
                               chain.FMT)
        self.written.append(record)
        return record
