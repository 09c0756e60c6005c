"""Ticket operations the Till composes from `pos` primitives (returns, discounts, parking).

Kept out of `till.py` so the façade stays a list of use cases: each function here is pure
(values in, a new `Ticket` or view out); the Till's own refusals are `InvalidInput`, the
domain's pass through.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from appliance.ledger.catalog import CatalogProduct
from appliance.pos.parking import Parked
from appliance.pos.receipt import TicketKind
from appliance.pos.tax import PriceMode
from appliance.pos.ticket import Discount, OriginalTicket, Party, Ticket
from appliance.till.errors import InvalidInput
from appliance.till.views import ParkedView


def discount_of(percent_bp: int | None, cents: int | None) -> Discount | None:
    """Exactly one of a percentage or an amount; both None removes the discount."""
    if percent_bp is not None and cents is not None:
        raise InvalidInput("percent_or_amount")
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
        raise InvalidInput("fully_returned", number=original.number)
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
        customer=ticket.customer.name if ticket.customer else "",
    )


def catalog_price(product: CatalogProduct, mode: PriceMode) -> int | None:
    return product.price_ht if mode is PriceMode.HT else product.price_ttc


def add_product_line(
    ticket: Ticket, product: CatalogProduct, qty_milli: int, unit: int | None, barcode: str
) -> Ticket:
    """One more unit on the same plain line, else a new line (weights always a new line)."""
    if ticket.kind is not TicketKind.SALE:
        raise InvalidInput("sale_products_only")
    if unit is None:
        raise InvalidInput("line_without_price", name=product.name)
    for line in ticket.lines:
        if (
            line.product_id == product.id
            and line.unit_price == unit
            and line.discount is None
            and line.qty_milli % 1000 == 0
            and qty_milli == 1000
        ):
            return ticket.set_quantity(line.n, line.qty_milli + 1000)
    return ticket.add_line(
        product.id, product.name, qty_milli, unit, product.vat_bp, barcode=barcode
    )
