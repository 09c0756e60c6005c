"""Parked tickets: put a ticket aside to serve someone else, recall it later.

An immutable lot keyed by a small number the cashier reads on screen. A parked ticket is
not journaled as a sale; if it is never recalled, the Till journals it as an abandoned cart
(EVENT CART_ABANDONED with its lines) so nothing scanned vanishes silently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from appliance.pos.errors import TicketStateError
from appliance.pos.ticket import Ticket
from appliance.pos.timestamps import utc_iso

MAX_PARKED = 20


@dataclass(frozen=True)
class Parked:
    number: int
    ticket: Ticket
    parked_utc: str


@dataclass(frozen=True)
class ParkingLot:
    parked: tuple[Parked, ...] = ()
    next_number: int = 1

    def park(self, ticket: Ticket, at: datetime) -> tuple[ParkingLot, int]:
        if ticket.is_empty:
            raise TicketStateError("park_empty_ticket")
        if len(self.parked) >= MAX_PARKED:
            raise TicketStateError("too_many_parked", limit=MAX_PARKED)
        entry = Parked(self.next_number, ticket, utc_iso(at))
        lot = replace(self, parked=(*self.parked, entry), next_number=self.next_number + 1)
        return lot, entry.number

    def recall(self, number: int) -> tuple[ParkingLot, Ticket]:
        for entry in self.parked:
            if entry.number == number:
                rest = tuple(other for other in self.parked if other.number != number)
                return replace(self, parked=rest), entry.ticket
        raise TicketStateError("no_parked_ticket", number=number)
