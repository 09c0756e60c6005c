"""A validated sale as the journal's TICKET payload, and back.

The payload (its fields: docs/journal-format.md) is plain data: integers, strings, booleans,
lists and objects, no float and no null (absent values are absent keys), so the journal can
hash it canonically. It is complete: `sale_from_payload` rebuilds the `Sale` from it, which
gives three things at once: a reprint (DUPLICATA) renders exactly the original; a return or
void finds the original lines; and the verifier re-derives every amount from the lines and
compares (`ticket_payload(sale_from_payload(p)) == p`), which checks the arithmetic and the
rounding rule of every recorded ticket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from appliance.pos.errors import PosError
from appliance.pos.receipt import TicketKind
from appliance.pos.tax import PriceMode, VatRate, VatTable
from appliance.pos.tender import Sale, Settlement, Tender
from appliance.pos.ticket import (
    Discount,
    DiscountKind,
    OriginalTicket,
    Party,
    RemovedLine,
    Ticket,
    TicketLine,
)

Payload = dict[str, Any]


class MalformedPayload(PosError):
    """A TICKET payload that does not describe a sale (missing or mistyped field)."""


def ticket_payload(sale: Sale) -> Payload:
    ticket, totals, settlement = sale.ticket, sale.totals, sale.settlement
    payload: Payload = {
        "kind": ticket.kind.name,
        "price_mode": ticket.price_mode.value,
        "training": ticket.training,
        "opened_utc": ticket.opened_utc,
        "closed_utc": sale.closed_utc,
        "lines": [
            {
                **_line(figures.line),
                "gross": figures.gross,
                "line_discount": figures.line_discount,
                "ticket_discount": figures.ticket_discount,
                "total_ht": figures.ht,
                "total_vat": figures.vat,
                "total_ttc": figures.ttc,
            }
            for figures in totals.lines
        ],
        "removed_lines": [
            {**_line(removed.line), "removed_utc": removed.removed_utc}
            | ({"reason": removed.reason} if removed.reason else {})
            for removed in ticket.removed
        ],
        "vat": [
            {"vat_bp": rate.rate_bp, "base_ht": rate.ht, "vat": rate.vat, "ttc": rate.ttc}
            for rate in totals.vat
        ],
        "total_ht": totals.total_ht,
        "total_vat": totals.total_vat,
        "total_ttc": totals.total_ttc,
        "payments": [
            {"method": tender.method, "amount": tender.amount} for tender in settlement.tenders
        ],
        "rounding": settlement.rounding,
        "change": settlement.change,
        "line_count": len(totals.lines),
    }
    if ticket.ticket_discount:
        payload["ticket_discount"] = {
            **_discount(ticket.ticket_discount), "amount": totals.ticket_discount
        }
    if ticket.seller:
        payload["seller"] = _party(ticket.seller)
    if ticket.customer:
        payload["customer"] = _party(ticket.customer)
    if ticket.original:
        payload["ref"] = {
            "type_seq": ticket.original.number,
            "hash": ticket.original.hash_hex,
            "issued_utc": ticket.original.issued_utc,
        }
    return payload


def sale_from_payload(payload: Mapping[str, Any]) -> Sale:
    """Rebuild the `Sale` a payload was made from (refuses a malformed payload)."""
    try:
        rates = sorted({line["vat_bp"] for line in [*payload["lines"], *payload["removed_lines"]]})
        table = VatTable(tuple(VatRate(rate, str(rate)) for rate in rates))
        original = None
        if "ref" in payload:
            ref = payload["ref"]
            original = OriginalTicket(
                ref["type_seq"], ref["hash"], ref["issued_utc"], TicketKind.SALE,
                PriceMode(payload["price_mode"]), (),
            )
        ticket = Ticket(
            opened_utc=payload["opened_utc"],
            vat_table=table,
            price_mode=PriceMode(payload["price_mode"]),
            kind=TicketKind[payload["kind"]],
            lines=tuple(_line_from(line) for line in payload["lines"]),
            removed=tuple(
                RemovedLine(_line_from(line), line["removed_utc"], line.get("reason", ""))
                for line in payload["removed_lines"]
            ),
            ticket_discount=(
                _discount_from(payload["ticket_discount"]) if "ticket_discount" in payload else None
            ),
            seller=_party_from(payload["seller"]) if "seller" in payload else None,
            customer=_party_from(payload["customer"]) if "customer" in payload else None,
            training=payload["training"],
            original=original,
        )
        settlement = Settlement(
            payload["total_ttc"],
            payload["rounding"],
            tuple(Tender(item["method"], item["amount"]) for item in payload["payments"]),
            payload["change"],
        )
        return Sale(ticket, ticket.totals(), settlement, payload["closed_utc"])
    except (KeyError, TypeError, ValueError) as error:
        raise MalformedPayload("malformed_payload", detail=repr(error)) from error


def original_from_payload(payload: Mapping[str, Any], number: int, hash_hex: str) -> OriginalTicket:
    """The original ticket a RETURN or VOID refers to, from its journal record."""
    sale = sale_from_payload(payload)
    return OriginalTicket(
        number, hash_hex, sale.closed_utc, sale.ticket.kind, sale.ticket.price_mode,
        sale.totals.lines,
    )


def _line(line: TicketLine) -> Payload:
    data: Payload = {
        "n": line.n,
        "product_id": line.product_id,
        "label": line.label,
        "qty_milli": line.qty_milli,
        "unit_price": line.unit_price,
        "vat_bp": line.vat_bp,
    }
    if line.original_unit_price is not None:
        data["orig_unit_price"] = line.original_unit_price
    if line.discount:
        data["discount"] = _discount(line.discount)
    if line.barcode:
        data["barcode"] = line.barcode
    if line.origin_line:
        data["origin_line"] = line.origin_line
    return data


def _line_from(data: Mapping[str, Any]) -> TicketLine:
    return TicketLine(
        n=data["n"],
        product_id=data["product_id"],
        label=data["label"],
        qty_milli=data["qty_milli"],
        unit_price=data["unit_price"],
        vat_bp=data["vat_bp"],
        original_unit_price=data.get("orig_unit_price"),
        discount=_discount_from(data["discount"]) if "discount" in data else None,
        barcode=data.get("barcode", ""),
        origin_line=data.get("origin_line", 0),
    )


def _discount(discount: Discount) -> Payload:
    data: Payload = {"kind": discount.kind.value, "value": discount.value}
    if discount.reason:
        data["reason"] = discount.reason
    return data


def _discount_from(data: Mapping[str, Any]) -> Discount:
    return Discount(DiscountKind(data["kind"]), data["value"], data.get("reason", ""))


def _party(party: Party) -> Payload:
    return {"id": party.id, "name": party.name} if party.name else {"id": party.id}


def _party_from(data: Mapping[str, Any]) -> Party:
    return Party(data["id"], data.get("name", ""))


def cart_details(ticket: Ticket, reason: str = "") -> Payload:
    """The `details` of a CART_ABANDONED event: every line still on the cart and removed."""
    details: Payload = {
        "opened_utc": ticket.opened_utc,
        "lines": [_line(line) for line in ticket.lines],
        "removed_lines": [
            {**_line(removed.line), "removed_utc": removed.removed_utc}
            for removed in ticket.removed
        ],
        "training": ticket.training,
    }
    if reason:
        details["reason"] = reason
    if ticket.seller:
        details["seller"] = _party(ticket.seller)
    return details
