"""Helpers shared by the journal tests: a settable clock and a one-call sale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from appliance.ledger.journal import Journal, JournalRecord
from appliance.pos.fiscal import ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Paris


class Clock:
    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


def new_journal(data: Path, clock: Clock, **settings) -> Journal:
    return Journal.initialise(data, register="FR-12345678900011-C01",
                              shop={"trade_name": "Épicerie Test", "siret": "12345678900011"},
                              software="appliance 0.1.0", clock=clock, **settings)


def sale_payload(clock: Clock, prices=(450,), *, training=False, vat_bp=2000, method="CARD"):
    ticket = Ticket.open(clock(), training=training)
    for price in prices:
        ticket = ticket.add_line("P1", "Savon", 1000, price, vat_bp)
    total = ticket.totals().total_ttc
    tenders = [Tender(method, total)] if total else []
    return ticket_payload(validate(ticket, tenders, clock()))


def sell(journal: Journal, clock: Clock, prices=(450,), **kwargs) -> JournalRecord:
    with journal.transaction() as tx:
        return tx.append("TICKET", sale_payload(clock, prices, **kwargs))
