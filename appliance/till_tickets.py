"""Ticket operations the Till composes from `pos` primitives (returns, discounts, parking).

Kept out of `till.py` so the façade stays a list of use cases: each function here is pure
(values in, a new `Ticket` or view out) and raises the domain's own errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from appliance.pos.errors import InvalidQuantity
from appliance.pos.parking import Parked
from appliance.pos.ticket import Discount, OriginalTicket, Party, Ticket
from appliance.till_views import ParkedView


def discount_of(percent_bp: int | None, cents: int | None) -> Discount | None:
    """Exactly one of a percentage or an amount; both None removes the discount."""
    if percent_bp is not None and cents is not None:
        raise InvalidQuantity("remise : donnez un pourcentage ou un montant, pas les deux")
    if percent_bp is not None:
        return Discount.percent(percent_bp)
    if cents is not None:
        return Discount.amount(cents)
    return None


def full_return(
    original: OriginalTicket,
    at: datetime,
    taken: Mapping[int, int],
    training: bool,
    seller: Party | None,
) -> Ticket:
    """A RETURN with every line still returnable, at its remaining quantity."""
    ticket = Ticket.return_of(
        original, at, training=training, seller=seller, already_returned=taken
    )
    for figures in original.lines:
        left = figures.line.qty_milli - taken.get(figures.line.n, 0)
        if left > 0:
            ticket = ticket.return_line(figures.line.n, left)
    if ticket.is_empty:
        raise InvalidQuantity(f"tout le ticket n° {original.number} a déjà été repris")
    return ticket


def set_return_quantity(ticket: Ticket, n: int, qty_milli: int, at: datetime) -> Ticket:
    """A return line brought back in a smaller quantity (positive thousandths)."""
    line = next((item for item in ticket.lines if item.n == n), None)
    if line is None:
        return ticket.set_quantity(n, qty_milli)  # raises UnknownLine with the domain's words
    updated = ticket.remove_line(n, at, "quantité reprise modifiée")
    return updated.return_line(line.origin_line, qty_milli)


def parked_view(entry: Parked) -> ParkedView:
    ticket = entry.ticket
    return ParkedView(
        id=entry.number,
        parked_at=entry.parked_utc,
        line_count=len(ticket.lines),
        total_cents=ticket.totals().total_ttc,
        seller=ticket.seller.name if ticket.seller else "",
        label=", ".join(line.label for line in ticket.lines[:3]),
    )
