"""Domain values -> the frozen views the screen receives (`appliance.till.views`).

Pure functions: the Till calls them under its lock and hands the result out, so the UI never
touches a `Ticket`, a catalogue row or a cash session. Labels come from the register's
payment methods; amounts stay integer cents.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import tzinfo

from appliance.ledger.catalog import CatalogProduct, PaymentMethod, RegisterRecord
from appliance.ledger.records import JournalRecord
from appliance.pos.document import build_receipt, local_text
from appliance.pos.errors import PosError
from appliance.pos.receipt import Receipt, TicketKind
from appliance.pos.session import CashSession, MethodFigures, SessionFigures
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Sale, Tender, settle
from appliance.pos.ticket import Ticket
from appliance.till.views import (
    LineView,
    MethodTotal,
    PaymentMethodView,
    PaymentView,
    ProductView,
    SessionState,
    SessionView,
    TicketView,
    TotalsView,
    VatView,
)


def method_view(method: PaymentMethod) -> PaymentMethodView:
    return PaymentMethodView(method.code, method.label, method.is_cash)


def product_view(product: CatalogProduct, mode: PriceMode) -> ProductView:
    price = product.price_ht if mode is PriceMode.HT else product.price_ttc
    return ProductView(
        id=product.id,
        name=product.name,
        price_cents=price or 0,
        vat_rate_bp=product.vat_bp,
        category=product.category,
        code=product.code,
        barcode=product.barcode,
        unit=product.unit,
    )


def ticket_view(
    ticket: Ticket,
    tenders: Sequence[Tender],
    labels: Mapping[str, str],
    rounding: CashRounding,
    *,
    seller_required: bool,
) -> TicketView:
    totals = ticket.totals()
    lines = tuple(
        LineView(
            index=figures.line.n,
            product_id=figures.line.product_id,
            label=figures.line.label,
            quantity_milli=figures.line.qty_milli,
            unit_price_cents=figures.line.unit_price,
            total_cents=figures.gross - figures.line_discount,
            vat_rate_bp=figures.line.vat_bp,
            barcode=figures.line.barcode,
            discount_cents=figures.line_discount,
            discount_label=figures.line.discount.label if figures.line.discount else "",
            original_unit_price_cents=figures.line.original_unit_price,
        )
        for figures in totals.lines
    )
    paid = sum(abs(tender.amount) for tender in tenders)
    balanced, rounding_cents, change = _settlement(totals.total_ttc, tenders, rounding)
    due = max(0, abs(totals.total_ttc) + abs(rounding_cents) - paid) if not balanced else 0
    view_totals = TotalsView(
        total_ttc_cents=totals.total_ttc,
        total_ht_cents=totals.total_ht,
        vat_cents=totals.total_vat,
        ticket_discount_cents=totals.ticket_discount,
        rounding_cents=rounding_cents,
        paid_cents=paid,
        due_cents=due,
        change_cents=change,
        vat=tuple(VatView(r.rate_bp, r.ht, r.vat, r.ttc) for r in totals.vat),
    )
    payments = tuple(
        PaymentView(
            index, tender.method, labels.get(tender.method, tender.method), abs(tender.amount)
        )
        for index, tender in enumerate(tenders)
    )
    seller_ok = ticket.seller is not None or not seller_required
    return TicketView(
        lines=lines,
        totals=view_totals,
        payments=payments,
        kind=ticket.kind,
        seller=ticket.seller.name if ticket.seller else "",
        customer_id=ticket.customer.id if ticket.customer else "",
        customer_name=ticket.customer.name if ticket.customer else "",
        ticket_discount_label=ticket.ticket_discount.label if ticket.ticket_discount else "",
        original_ticket=str(ticket.original.number) if ticket.original else "",
        training=ticket.training,
        can_validate=bool(lines) and balanced and seller_ok,
        prices_ht=ticket.price_mode is PriceMode.HT,
    )


def _settlement(
    total: int, tenders: Sequence[Tender], rounding: CashRounding
) -> tuple[bool, int, int]:
    """(balanced, rounding, change) when the tenders settle the total, else (False, 0, 0)."""
    if total == 0:
        return not tenders, 0, 0
    try:
        settlement = settle(total, tenders, rounding)
    except PosError:
        return False, 0, 0
    return True, settlement.rounding, settlement.change


def session_view(session: CashSession | None) -> SessionView:
    if session is None or not session.is_open:
        return SessionView(SessionState.CLOSED)
    return SessionView(
        state=SessionState.OPEN,
        opened_at=session.opened_utc,
        float_cents=session.opening_float,
        ticket_count=session.tickets,
        sales_total_cents=session.sales_ttc + session.returns_ttc,
        expected_cash_cents=session.expected().get("CASH", 0),
    )


def method_totals(figures: SessionFigures, labels: Mapping[str, str]) -> tuple[MethodTotal, ...]:
    return tuple(_method_total(method, labels) for method in figures.methods)


def _method_total(method: MethodFigures, labels: Mapping[str, str]) -> MethodTotal:
    return MethodTotal(
        method=method.method,
        label=labels.get(method.method, method.method),
        expected_cents=method.expected,
        counted_cents=method.counted,
        difference_cents=None if method.counted is None else method.discrepancy,
    )


def is_refund(ticket: Ticket) -> bool:
    return ticket.kind is not TicketKind.SALE


def receipt_for(
    record: JournalRecord,
    sale: Sale,
    register: RegisterRecord,
    labels: Mapping[str, str],
    zone: tzinfo,
    *,
    code: str,
    copy: int | None,
    now: str,
) -> Receipt:
    """The receipt of a journaled ticket (a duplicate when `copy` is its DUPLICATA number)."""
    return build_receipt(
        sale,
        shop=register.shop,
        register_name=register.name,
        ticket_number=str(record.type_seq),
        issued_at=local_text(record.created_utc, zone),
        method_labels=labels,
        fiscal_lines=(f"Journal {record.seq} - {record.excerpt}",),
        reference_code=code,
        duplicate_number=copy,
        duplicate_printed_at=local_text(now, zone) if copy else "",
        header_lines=register.receipt_header,
        footer_lines=register.receipt_footer,
    )
