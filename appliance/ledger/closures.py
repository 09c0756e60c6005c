"""When the journal closes a period, and what the CLOSURE record says.

Rules (the format: docs/journal-format.md): a DAY closure for every business day with tickets,
written by `close_day` (the Z at the end of the day) or automatically by `close_due` when
the first ticket of a later business day arrives (or when the Till's timer passes the
cut-off); a MONTH closure once the month of its DAY closures is over; a YEAR closure once the
fiscal year is over. Figures come from `chain.Totals` / `chain.closure_figures`, the very
functions the verifier recomputes them with. Everything happens inside the caller's journal
transaction, so a closure and the ticket that triggered it commit together or not at all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

from appliance.ledger import chain
from appliance.ledger.db import JournalError
from appliance.ledger.journal_settings import JournalSettings
from appliance.ledger.records import JournalRecord


class ClosureWriter(Protocol):
    """What closing a period needs of the journal transaction it runs in: the connection to
    read the period's records, the register's settings, the transaction's time, and its
    writes. `JournalTransaction` is the one implementation; closures depend on this shape
    rather than on the journal module, which imports them."""

    @property
    def connection(self) -> sqlite3.Connection: ...

    @property
    def settings(self) -> JournalSettings: ...

    def now(self) -> str: ...

    def last_record(self) -> JournalRecord | None: ...

    def event(self, code: str, *, label: str = "", operator: Mapping[str, str] | None = None,
              details: Mapping[str, Any] | None = None) -> JournalRecord: ...

    def write_closure(self, payload: dict[str, Any]) -> JournalRecord: ...


class AlteredTicket(JournalError):
    """A ticket of the period no longer adds up: it was altered outside the application since
    it was written (`append` refuses such tickets), so no Z can be computed from it."""


def close_day(tx: ClosureWriter, *, cash_count: Mapping[str, int] | None = None,
              operator: Mapping[str, str] | None = None) -> list[JournalRecord]:
    """The overdue closures, then the Z of the open business day (nothing if no ticket)."""
    written = close_due(tx)
    day = open_day(tx)
    if day is not None:
        written.append(_close_day(tx, day, auto=False, cash_count=cash_count))
        written.append(tx.event("CLOSURE_DONE", operator=operator,
                                details={"level": "DAY", "seq": written[-1].seq}))
    return written


def close_due(tx: ClosureWriter) -> list[JournalRecord]:
    """DAY, MONTH and YEAR closures that the current time makes due."""
    today = tx.settings.business_date(tx.now())
    written = []
    day = open_day(tx)
    if day is not None and day < today:
        written.append(_close_day(tx, day, auto=True))
    written.extend(_close_periods(tx, today))
    if written:
        written.append(tx.event(
            "CLOSURE_DONE", label="clôture automatique",
            details={"seqs": [record.seq for record in written]},
        ))
    return written


def last_closure(tx: ClosureWriter, level: str) -> JournalRecord | None:
    row = tx.connection.execute(
        "SELECT * FROM journal WHERE rtype = 'CLOSURE'"
        " AND json_extract(payload, '$.level') = ? ORDER BY seq DESC LIMIT 1", (level,),
    ).fetchone()
    return JournalRecord.from_row(row) if row else None

def open_day(tx: ClosureWriter) -> date | None:
    """Business date of the first ticket after the last DAY closure, if any."""
    last = last_closure(tx, "DAY")
    row = tx.connection.execute(  # "+rtype": walk the seq range, not the type index
        "SELECT payload FROM journal WHERE seq > ? AND +rtype = 'TICKET' ORDER BY seq"
        " LIMIT 1", (last.seq if last else 0,),
    ).fetchone()
    return date.fromisoformat(json.loads(row[0])["business_date"]) if row else None

def _close_day(tx: ClosureWriter, day: date, *, auto: bool,
               cash_count: Mapping[str, int] | None = None) -> JournalRecord:
    settings = tx.settings
    previous = last_closure(tx, "DAY")
    after = previous.seq if previous else 0
    totals = chain.Totals()
    rows = tx.connection.execute(
        "SELECT rtype, training, type_seq, payload, hash FROM journal"
        " WHERE seq > ? AND rtype IN ('TICKET', 'DUPLICATE') ORDER BY seq", (after,),
    )
    for rtype, training, type_seq, payload, hash_ in rows:
        if rtype == "TICKET":
            try:
                totals.add_ticket(json.loads(payload), bool(training), type_seq,
                                  bytes(hash_).hex())
            except ValueError as error:
                raise AlteredTicket(f"ticket n° {type_seq} : {error} ; lancez"
                                    " « appliance journal verify »") from None
        else:
            totals.add_duplicate()
    payload = _closure_payload(totals, "DAY", day, day, fy=settings.fiscal_year(day),
                                    previous=previous, auto=auto)
    last = tx.last_record()
    assert last is not None  # a day is open: its first ticket is a record
    payload["covers"] = {"first_seq": after + 1, "last_seq": last.seq}
    if cash_count:
        payload["cash_count"] = dict(cash_count)
    return tx.write_closure(payload)

def _close_periods(tx: ClosureWriter, today: date) -> list[JournalRecord]:
    settings = tx.settings
    written = []
    for level, child_level in (("MONTH", "DAY"), ("YEAR", "MONTH")):
        while True:
            previous = last_closure(tx, level)
            after = previous.seq if previous else 0
            first_row = tx.connection.execute(
                "SELECT json_extract(payload, '$.period.from') FROM journal"
                " WHERE rtype = 'CLOSURE' AND json_extract(payload, '$.level') = ?"
                " AND seq > ? ORDER BY seq LIMIT 1", (child_level, after),
            ).fetchone()
            if first_row is None:
                break
            first = date.fromisoformat(first_row[0])
            if level == "MONTH":
                start, end = chain.month_bounds(first)
            else:
                start, end = chain.fiscal_year_bounds(
                    settings.fiscal_year(first), settings.fiscal_year_start_month
                )
            if today <= end:
                break
            totals = chain.Totals()
            for child in _closures_after(tx, after, child_level):
                if child.payload["period"]["to"] <= end.isoformat():
                    totals.add_closure(child.payload, child.hash)
            payload = _closure_payload(totals, level, start, end,
                                            fy=settings.fiscal_year(start),
                                            previous=previous, auto=True)
            written.append(tx.write_closure(payload))
    return written

def _closures_after(tx: ClosureWriter, seq: int, level: str) -> list[JournalRecord]:
    rows = tx.connection.execute(
        "SELECT * FROM journal WHERE rtype = 'CLOSURE'"
        " AND json_extract(payload, '$.level') = ? AND seq > ? ORDER BY seq", (level, seq),
    )
    return [JournalRecord.from_row(row) for row in rows]

def _closure_payload(totals: chain.Totals, level: str, start: date, end: date, *,
                     fy: int, previous: JournalRecord | None, auto: bool
                     ) -> dict[str, Any]:
    payload = chain.closure_figures(
        totals, level=level, no=(previous.payload["no"] + 1) if previous else 1,
        period_from=start, period_to=end, fy=fy,
        previous=(previous.payload, previous.hash) if previous else None,
    )
    payload["auto"] = auto
    return payload
