"""Everything the Till writes: journal records and their outbox rows, in one transaction each.

The order of the first principle (docs/ARCHITECTURE.md, section 2): a validated ticket, a
cash movement or a Z is committed to the fiscal journal *with* its outbox row before anything
is printed; a training ticket is journaled (numbered apart) and never queued. The cash session
is not stored anywhere else: after a restart it is rebuilt by replaying the journal since the
last opening, so what the drawer should hold can never disagree with what was recorded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from appliance.ledger.journal import Journal, JournalTransaction
from appliance.ledger.outbox import Kind, enqueue
from appliance.ledger.records import JournalRecord
from appliance.pos.fiscal import sale_from_payload, ticket_payload
from appliance.pos.references import closure_ref, movement_ref, parse_ticket_ref, ticket_ref
from appliance.pos.session import CashSession, MovementKind, SessionFigures
from appliance.pos.tender import Sale
from appliance.pos.timestamps import parse_utc_iso


@dataclass(frozen=True)
class Recorded:
    record: JournalRecord
    sale: Sale


class Recorder:
    """Journal writes with their outbox rows; one instance per Till, used under its lock."""

    def __init__(self, journal: Journal, code: str, zone: tzinfo) -> None:
        self.journal = journal
        self.code = code
        self.zone = zone

    def _local(self, utc_text: str, fmt: str) -> str:
        return parse_utc_iso(utc_text).astimezone(self.zone).strftime(fmt)

    def _queue(
        self,
        tx: JournalTransaction,
        kind: Kind,
        ref: str,
        record: JournalRecord,
        posted: Mapping[str, Any],
        **facts: Any,
    ) -> None:
        """The outbox row of `record`, in its transaction: what to post, the local date and
        time it happened, and the journal facts the sync worker writes beside it."""
        enqueue(
            tx.connection,
            kind=kind,
            ref=ref,
            payload={
                "payload": posted,
                "date": self._local(record.created_utc, "%Y-%m-%d"),
                "journal_seq": record.seq,
                "journal_hash": record.hash,
                **facts,
            },
            created_at=record.created_utc,
            journal_seq=record.seq,
        )

    def _local_time(self, record: JournalRecord) -> str:
        return self._local(record.created_utc, "%Y-%m-%d %H:%M:%S")

    # -- tickets ----------------------------------------------------------------------------

    def ticket(self, sale: Sale) -> Recorded:
        """Journal the TICKET and, unless training, queue it; one transaction."""
        payload = ticket_payload(sale)
        with self.journal.transaction() as tx:
            record = tx.append("TICKET", payload)
            if not record.training:
                origin = ""
                if sale.ticket.original is not None:
                    origin = ticket_ref(self.code, sale.ticket.original.number)
                ref = ticket_ref(self.code, record.type_seq)
                self._queue(
                    tx, Kind.TICKET, ref, record, record.payload,
                    number=record.type_seq, origin_ref=origin,
                )  # fmt: skip
        return Recorded(record, sale)

    def duplicate(self, number: int, training: bool) -> JournalRecord:
        return self.journal.duplicate(number, training=training)

    def find(self, ticket_ref: str, training: bool) -> JournalRecord | None:
        """A ticket by number (in the current mode's series) or by its receipt code."""
        try:
            number, series = parse_ticket_ref(ticket_ref)
        except ValueError:
            return None
        return self.journal.ticket(number, training=training if series is None else series)

    # -- cash session -----------------------------------------------------------------------

    def open_session(self, session: CashSession) -> JournalRecord:
        details = {
            "float": session.opening_float,
            "denominations": [[value, count] for value, count in session.float_denominations],
        }
        return self._cash_event(
            "CASH_SESSION_OPEN",
            details,
            {"kind": "float", "amount": session.opening_float, "reason": "fond de caisse"},
        )

    def movement(self, kind: MovementKind, amount: int, reason: str) -> JournalRecord:
        code = "CASH_IN" if kind is MovementKind.IN else "CASH_OUT"
        details = {"amount": amount, "reason": reason}
        posted = {
            "kind": "in" if kind is MovementKind.IN else "out",
            "amount": amount,
            "reason": reason,
        }
        return self._cash_event(code, details, posted)

    def _cash_event(
        self, code: str, details: Mapping[str, Any], posted: Mapping[str, Any]
    ) -> JournalRecord:
        with self.journal.transaction() as tx:
            record = tx.event(code, details=details)
            posted = {**posted, "at": self._local_time(record)}
            self._queue(tx, Kind.CASH, movement_ref(self.code, record.seq), record, posted)
        return record

    def close_session(
        self, figures: SessionFigures, counted: Mapping[str, int]
    ) -> tuple[int, JournalRecord]:
        """The CASH_SESSION_CLOSE event, the day's Z (when tickets were sold), the outbox row.

        Returns the Z number (0 when the day had nothing to close) and the closing event.
        """
        cash = next((m for m in figures.methods if m.method == "CASH"), None)
        with self.journal.transaction() as tx:
            event = tx.event(
                "CASH_SESSION_CLOSE",
                details={
                    "counted": dict(counted),
                    "expected": {m.method: m.expected for m in figures.methods},
                },
            )
            closures = tx.close_day(cash_count=dict(counted))
            day = next(
                (r for r in closures if r.rtype == "CLOSURE" and r.payload.get("level") == "DAY"),
                None,
            )
            number = day.payload["no"] if day is not None else 0
            posted = {
                "cash_discrepancy": cash.discrepancy if cash else 0,
                "cash_counted": (cash.counted or 0) if cash else 0,
                "at": self._local_time(event),
            }
            ref = closure_ref(self.code, event.seq)
            self._queue(tx, Kind.CLOSURE, ref, event, posted, number=number)
        return number, event

    def current_session(self) -> CashSession | None:
        """The open cash session rebuilt from the journal, or None when closed."""
        records = self.journal.cash_session_records()
        opening = next(records, None)
        if opening is None:
            return None
        details = opening.payload.get("details", {})
        at = parse_utc_iso(opening.created_utc)
        denominations = {int(v): int(c) for v, c in details.get("denominations", [])}
        if denominations:
            session = CashSession.open(at, "", denominations=denominations)
        else:
            session = CashSession.open(at, "", float_total=int(details.get("float", 0)))
        for record in records:
            session = _replay(session, record)
        return session


def _replay(session: CashSession, record: JournalRecord) -> CashSession:
    if record.rtype == "TICKET":
        return session.record(sale_from_payload(record.payload))
    code = record.payload.get("code")
    if code not in ("CASH_IN", "CASH_OUT"):
        return session
    details = record.payload["details"]
    at: datetime = parse_utc_iso(record.created_utc)
    move = session.cash_in if code == "CASH_IN" else session.cash_out
    return move(int(details["amount"]), str(details["reason"]), at)
