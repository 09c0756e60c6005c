"""Typical tickets for the journal benchmarks: N lines over two VAT rates, a line discount,
a seller and a split payment (card + cash with change and 0.05 rounding)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from appliance.pos.fiscal import ticket_payload
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import Discount, Party, Ticket

ARTICLES = (
    ("14x2031", "Savon lavande 100 g", 2000, 450, 2000, "3760020507350"),
    ("14x2032", "Confiture abricot 370 g", 1000, 599, 550, "3250390001234"),
    ("14x2033", "Pain de campagne", 1000, 320, 550, ""),
    ("14x2034", "Bougie parfumée", 1000, 1290, 2000, "3700123456789"),
    ("14x2035", "Thé vert bio 100 g", 1000, 675, 550, "3760071230015"),
)


def typical_ticket(now: datetime, lines: int = 3) -> dict[str, Any]:
    ticket = Ticket.open(now).with_seller(Party("19x4", "Marie"))
    for index in range(lines):
        product, label, qty, price, vat_bp, barcode = ARTICLES[index % len(ARTICLES)]
        ticket = ticket.add_line(product, label, qty, price, vat_bp, barcode=barcode)
    ticket = ticket.discount_line(lines, Discount.percent(1000, "fin de série"))
    total = ticket.totals().total_ttc
    card = total // 2
    sale = validate(
        ticket,
        [Tender("CARD", card), Tender("CASH", total - card + 100)],
        now,
        CashRounding.FIVE_CENTS,
    )
    return ticket_payload(sale)
