"""Build the printable documents (`pos.receipt`) from validated sales and session figures.

Every decision about what a receipt says is taken here, once: VAT letters, discount labels,
French method names, the reversal mention. Renderers (ESC/POS, screen, e-mail) only lay the
result out. Times arrive already formatted for the shop (`local_text` helps the caller), since
the journal stores UTC and the customer reads local time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import tzinfo

from appliance.pos.receipt import (
    Receipt,
    ReceiptLine,
    Report,
    ReportRow,
    ReportSection,
    ShopIdentity,
    TenderRow,
    VatRow,
)
from appliance.pos.session import SessionFigures
from appliance.pos.tax import DEFAULT_VAT_TABLE, VatTable
from appliance.pos.tender import Sale
from appliance.pos.ticket import TicketTotals
from appliance.pos.timestamps import parse_utc_iso

METHOD_LABELS: Mapping[str, str] = {
    "CASH": "Espèces",
    "CARD": "Carte bancaire",
    "CHEQUE": "Chèque",
    "TRANSFER": "Virement",
    "VOUCHER": "Bon d'achat",
    "MEAL_VOUCHER": "Titre-restaurant",
    "CREDIT_NOTE": "Avoir",
}


def local_text(utc_iso: str, zone: tzinfo) -> str:
    """"2026-11-28T13:05:00.000Z" in Europe/Paris -> "28/11/2026 14:05"."""
    return parse_utc_iso(utc_iso).astimezone(zone).strftime("%d/%m/%Y %H:%M")


def method_label(method: str, labels: Mapping[str, str] = METHOD_LABELS) -> str:
    return labels.get(method, method.replace("_", " ").capitalize())


def build_receipt(
    sale: Sale,
    *,
    shop: ShopIdentity,
    register_name: str,
    ticket_number: str,
    issued_at: str,
    vat_table: VatTable = DEFAULT_VAT_TABLE,
    method_labels: Mapping[str, str] = METHOD_LABELS,
    original_issued_at: str = "",
    fiscal_lines: tuple[str, ...] = (),
    reference_code: str = "",
    duplicate_number: int | None = None,
    duplicate_printed_at: str = "",
    header_lines: tuple[str, ...] = (),
    footer_lines: tuple[str, ...] = (),
) -> Receipt:
    """The receipt of `sale` (a reprint passes `duplicate_number`: same content, marked)."""
    ticket, totals, settlement = sale.ticket, sale.totals, sale.settlement
    return Receipt(
        shop=shop,
        register_name=register_name,
        ticket_number=ticket_number,
        issued_at=issued_at,
        lines=_receipt_lines(totals, vat_table),
        vat_rows=tuple(
            VatRow(vat_table.code(rate.rate_bp), rate.rate_bp, rate.ht, rate.vat, rate.ttc)
            for rate in totals.vat
        ),
        total_ht_cents=totals.total_ht,
        total_ttc_cents=totals.total_ttc,
        tenders=tuple(
            TenderRow(method_label(tender.method, method_labels), tender.amount)
            for tender in settlement.tenders
        ),
        change_cents=settlement.change,
        kind=ticket.kind,
        seller=ticket.seller.name if ticket.seller else "",
        customer=ticket.customer.name if ticket.customer else "",
        ticket_discount_label=ticket.ticket_discount.label if ticket.ticket_discount else "",
        ticket_discount_cents=totals.ticket_discount,
        rounding_cents=settlement.rounding,
        original_ticket=str(ticket.original.number) if ticket.original else "",
        original_issued_at=original_issued_at,
        fiscal_lines=fiscal_lines,
        reference_code=reference_code,
        duplicate_number=duplicate_number,
        duplicate_printed_at=duplicate_printed_at,
        training=ticket.training,
        header_lines=header_lines,
        footer_lines=footer_lines,
    )


def _receipt_lines(totals: TicketTotals, vat_table: VatTable) -> tuple[ReceiptLine, ...]:
    """The printed lines: the total after the line's own discount (the ticket discount is
    printed once, under the lines), the VAT letter instead of the rate."""
    return tuple(
        ReceiptLine(
            label=figures.line.label,
            quantity_milli=figures.line.qty_milli,
            unit_price_cents=figures.line.unit_price,
            total_cents=figures.gross - figures.line_discount,
            vat_code=vat_table.code(figures.line.vat_bp),
            original_unit_price_cents=figures.line.original_unit_price,
            discount_label=figures.line.discount.label if figures.line.discount else "",
            discount_cents=figures.line_discount,
        )
        for figures in totals.lines
    )


def build_session_report(
    figures: SessionFigures,
    *,
    shop: ShopIdentity,
    register_name: str,
    issued_at: str,
    method_labels: Mapping[str, str] = METHOD_LABELS,
    fiscal_lines: tuple[str, ...] = (),
    training: bool = False,
) -> Report:
    """The X report (figures of an open session) or the closing report (Z figures)."""
    title = "RAPPORT Z - CLÔTURE DE CAISSE" if figures.closing else "RAPPORT X - LECTURE"
    activity = ReportSection(
        "Activité",
        (
            ReportRow("Tickets", value=str(figures.tickets)),
            ReportRow("Ventes", value=str(figures.sales)),
            ReportRow("Retours", value=str(figures.returns)),
            ReportRow("Annulations", value=str(figures.voids)),
            ReportRow("Tickets école (hors totaux)", value=str(figures.training_tickets)),
            ReportRow("Ventes TTC", figures.sales_ttc),
            ReportRow("Retours TTC", figures.returns_ttc),
            ReportRow("Net TTC", figures.net_ttc),
            ReportRow("Arrondis espèces", figures.rounding),
        ),
    )
    cash = ReportSection(
        "Espèces",
        (
            ReportRow("Fond de caisse", figures.opening_float),
            ReportRow("Entrées", figures.cash_in),
            ReportRow("Sorties", -figures.cash_out),
        ),
    )
    method_rows: list[ReportRow] = []
    for method in figures.methods:
        label = method_label(method.method, method_labels)
        method_rows.append(ReportRow(f"{label} attendu", method.expected))
        if method.counted is not None:
            method_rows.append(ReportRow(f"{label} compté", method.counted))
            method_rows.append(ReportRow(f"{label} écart", method.discrepancy))
    sections = [activity, cash, ReportSection("Moyens de paiement", tuple(method_rows))]
    if figures.closing:
        sections.append(ReportSection("Écart total", (ReportRow("Écart", figures.discrepancy),)))
    return Report(
        shop=shop,
        title=title,
        register_name=register_name,
        issued_at=issued_at,
        sections=tuple(sections),
        fiscal_lines=fiscal_lines,
        training=training,
    )
