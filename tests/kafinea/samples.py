"""Tickets, documents and a register context for the mapping tests: plain data, no server."""

from datetime import UTC, datetime
from decimal import Decimal

from appliance.kafinea.documents import Context, Document, Targets
from appliance.kafinea.sandbox import inventory
from appliance.pos.fiscal import ticket_payload
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import OriginalTicket, Ticket

AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
CTX = Context(
    register_id="52x3",
    register_code="C1",
    default_account_id="11x7",
    user_id="19x5",
    tax_keys={2000: "tax1", 1000: "tax2", 550: "tax3", 210: "tax4"},
)
TARGETS = Targets()
RATES = {"tax1": "20.000", "tax2": "10.000", "tax3": "5.500", "tax4": "2.100"}


def sale_payload(lines, tenders=None, *, mode=PriceMode.TTC, discount=None, step=None, seller=None):
    ticket = Ticket.open(AT, price_mode=mode, seller=seller)
    for n, (qty, price, rate) in enumerate(lines, start=1):
        ticket = ticket.add_line(f"14x{n}", f"Article {n}", qty, price, rate)
    if discount:
        ticket = ticket.set_ticket_discount(discount)
    total = ticket.totals().total_ttc
    default = [Tender("CARD", total)] if total else []
    sale = validate(ticket, tenders or default, AT, step or CashRounding.NONE)
    return ticket_payload(sale)


def server_total(element):
    """What the sandbox (vtiger's formula) computes for this element."""
    data = {**element, "LineItems": [dict(line) for line in element["LineItems"]]}
    product_rate = {line["productid"]: line for line in element["LineItems"]}

    def taxes_of(product_id):
        line = product_rate[product_id]
        return {key: RATES[key] for key in RATES if key in line}

    inventory.compute_totals(data, taxes_of)
    return Decimal(data["hdnGrandTotal"])


def doc(payload, ref="C1-T000001", **kw):
    return Document(
        "ticket", ref, payload, "2026-11-28", journal_seq=7, journal_hash="ab" * 32, number=1, **kw
    )


def void_of_first_ticket() -> Document:
    """Ticket 2 voids ticket 1 (two at 4.50 €, cash): the refund document to post."""
    original = OriginalTicket(
        1,
        "ab" * 32,
        AT.isoformat(),
        Ticket.open(AT).kind,
        PriceMode.TTC,
        Ticket.open(AT).add_line("14x1", "A", 2000, 450, 550).totals().lines,
    )
    void = Ticket.void_of(original, AT)
    refund = ticket_payload(validate(void, [Tender("CASH", -900)], AT))
    return Document("ticket", "C1-T000002", refund, "2026-11-28", number=2, origin_ref="C1-T000001")
