"""Receipt and report documents (`appliance.pos.receipt`) to ESC/POS bytes: a pure function.

Same document and layout, same bytes: the tests compare them, the virtual printer decodes
them, and the benchmark counts them. Layout rules: text in the main code page, long product
names wrapped, amounts right-aligned in the last columns, the TTC total in bold double height,
the VAT table with one row per rate, "DUPLICATA n° k" and the training mark
"MODE ÉCOLE – TICKET FACTICE – SANS VALEUR" at the top and the bottom, an optional logo, the
ticket reference as a QR code (returns scan it), then the cut.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from PIL import Image

from appliance.devices.escpos_build import EscPosBuilder
from appliance.devices.profiles import PrinterLayout
from appliance.pos.money import format_amount
from appliance.pos.receipt import Receipt, ReceiptLine, Report, ShopIdentity, TicketKind

TRAINING_MARK = "MODE ÉCOLE – TICKET FACTICE – SANS VALEUR"
KIND_TITLES = {TicketKind.RETURN: "RETOUR", TicketKind.VOID: "ANNULATION"}


@dataclass(frozen=True)
class RenderOptions:
    """What the shop chose beyond the document: a logo printed above the header."""

    logo: Image.Image | None = None


def render_receipt(
    receipt: Receipt, layout: PrinterLayout, options: RenderOptions | None = None
) -> bytes:
    """The whole receipt, initialise to cut."""
    marks = (receipt.training, receipt.duplicate_number)
    out = _begin(layout, marks, receipt.shop, receipt.header_lines, options)
    width = layout.columns
    _ticket_info(out, receipt)
    out.line("-" * width)
    for line in receipt.lines:
        for row in _line_rows(line, width):
            out.line(row)
    out.line("-" * width)
    _totals(out, receipt)
    _tail(out, receipt.fiscal_lines, receipt.footer_lines, receipt.reference_code)
    if receipt.duplicate_number is not None and receipt.duplicate_printed_at:
        out.align("center")
        out.line(f"Duplicata imprimé le {receipt.duplicate_printed_at}")
    return _end(out, marks)


def render_report(
    report: Report, layout: PrinterLayout, options: RenderOptions | None = None
) -> bytes:
    """An X/Z report, a cash movement slip or a test page: titled sections of rows."""
    marks = (report.training, None)
    out = _begin(layout, marks, report.shop, (), options)
    width = layout.columns
    out.align("center")
    out.bold(True)
    out.size(1, 2)
    out.line(report.title)
    out.size(1, 1)
    out.bold(False)
    out.align("left")
    _pair(out, f"Caisse : {report.register_name}", report.issued_at)
    for section in report.sections:
        out.line("-" * width)
        out.bold(True)
        out.line(section.title)
        out.bold(False)
        for row in section.rows:
            value = row.value if row.amount_cents is None else _amount(row.amount_cents)
            _pair(out, row.label, value)
    _tail(out, report.fiscal_lines, (), report.qr_code)
    return _end(out, marks)


# -- pieces ------------------------------------------------------------------------------------
def _begin(
    layout: PrinterLayout,
    marks: tuple[bool, int | None],
    shop: ShopIdentity,
    header_lines: tuple[str, ...],
    options: RenderOptions | None,
) -> EscPosBuilder:
    """Every document opens alike: a printer reset, the marks, the shop's header."""
    out = EscPosBuilder(layout)
    out.initialise()
    _marks(out, *marks)
    _header(out, shop, header_lines, options)
    return out


def _end(out: EscPosBuilder, marks: tuple[bool, int | None]) -> bytes:
    """...and closes alike: the marks again, so both ends of the paper carry them, the cut."""
    _marks(out, *marks)
    out.cut()
    return bytes(out)


def _marks(out: EscPosBuilder, training: bool, duplicate_number: int | None) -> None:
    out.align("center")
    if training:
        out.bold(True)
        out.line(TRAINING_MARK if len(TRAINING_MARK) <= out.layout.columns else "MODE ÉCOLE")
        if len(TRAINING_MARK) > out.layout.columns:
            out.line("TICKET FACTICE – SANS VALEUR")
        out.bold(False)
    if duplicate_number is not None:
        out.bold(True)
        out.size(1, 2)
        out.line(f"DUPLICATA n° {duplicate_number}")
        out.size(1, 1)
        out.bold(False)
    out.align("left")


def _header(
    out: EscPosBuilder,
    shop: ShopIdentity,
    header_lines: tuple[str, ...],
    options: RenderOptions | None,
) -> None:
    out.align("center")
    if options is not None and options.logo is not None:
        out.raster(options.logo)
    out.bold(True)
    out.size(1, 2)
    for row in _wrap(shop.trade_name, out.layout.columns):
        out.line(row)
    out.size(1, 1)
    out.bold(False)
    details = [shop.company_name, *shop.address_lines]
    if shop.phone:
        details.append(f"Tél. {shop.phone}")
    if shop.siret:
        details.append(f"SIRET {shop.siret}")
    if shop.vat_number:
        details.append(f"TVA {shop.vat_number}")
    for text in [*details, *header_lines]:
        for row in _wrap(text, out.layout.columns):
            out.line(row)
    out.align("left")


def _tail(
    out: EscPosBuilder, fiscal: tuple[str, ...], footer: tuple[str, ...], qr_payload: str
) -> None:
    width = out.layout.columns
    if fiscal:
        out.line("-" * width)
        for text in fiscal:
            for row in _wrap(text, width):
                out.line(row)
    out.align("center")
    for text in footer:
        for row in _wrap(text, width):
            out.line(row)
    if qr_payload:
        out.qr(qr_payload)
        out.line(qr_payload)
    out.align("left")


def _ticket_info(out: EscPosBuilder, receipt: Receipt) -> None:
    width = out.layout.columns
    _pair(out, f"Ticket n° {receipt.ticket_number}", receipt.issued_at)
    out.line(f"Caisse : {receipt.register_name}")
    if receipt.seller:
        out.line(f"Vendeur : {receipt.seller}")
    if receipt.customer:
        out.line(f"Client : {receipt.customer}")
    if receipt.kind in KIND_TITLES:
        out.align("center")
        out.bold(True)
        out.line(KIND_TITLES[receipt.kind])
        out.bold(False)
        out.align("left")
    if receipt.original_ticket:
        for row in _wrap(receipt.original_ticket, width):
            out.line(row)
    if receipt.original_issued_at:
        out.line(f"du {receipt.original_issued_at}")


def _totals(out: EscPosBuilder, receipt: Receipt) -> None:
    width = out.layout.columns
    if receipt.ticket_discount_cents:
        label = receipt.ticket_discount_label or "Remise"
        _pair(out, label, _amount(-abs(receipt.ticket_discount_cents)))
    if receipt.rounding_cents:
        _pair(out, "Arrondi", _amount(receipt.rounding_cents))
    _pair(out, "Total HT", _amount(receipt.total_ht_cents))
    out.bold(True)
    out.size(1, 2)
    _pair(out, "TOTAL TTC", _amount(receipt.total_ttc_cents))
    out.size(1, 1)
    out.bold(False)
    for tender in receipt.tenders:
        _pair(out, tender.label, _amount(tender.amount_cents))
    if receipt.change_cents:
        _pair(out, "Rendu monnaie", _amount(receipt.change_cents))
    if receipt.vat_rows:
        out.line("-" * width)
        for row in _vat_table(receipt, width):
            out.line(row)


def _line_rows(line: ReceiptLine, width: int) -> list[str]:
    """A product line: label (wrapped), then quantity x unit price and the total with VAT code.

    A single unit whose label fits shares one row with its total, which keeps typical
    receipts short (the 2 KB target of the benchmark).
    """
    total = f"{_amount(line.total_cents)} {line.vat_code}"
    rows: list[str]
    if line.quantity_milli == 1000 and len(line.label) + 1 + len(total) <= width:
        rows = [_two(line.label, total, width)]
    else:
        rows = _wrap(line.label, width)
        detail = f"  {format_quantity(line.quantity_milli)} x {_amount(line.unit_price_cents)}"
        rows.extend(_two_rows(detail, total, width))
    if line.original_unit_price_cents is not None:
        rows.append(f"  (prix initial {_amount(line.original_unit_price_cents)})")
    if line.discount_cents:
        label = f"  {line.discount_label or 'Remise'}"
        rows.extend(_two_rows(label, _amount(-abs(line.discount_cents)), width))
    return rows


def _vat_table(receipt: Receipt, width: int) -> list[str]:
    """Code, rate, HT, TVA, TTC per rate; one block per rate when amounts are too wide."""
    field = (width - 8) // 3
    amounts = [
        _amount(cents, False)
        for vat in receipt.vat_rows
        for cents in (vat.base_ht_cents, vat.vat_cents, vat.total_ttc_cents)
    ]
    if max(map(len, amounts)) >= field:
        return _vat_blocks(receipt, width)
    rows = [f"{'':2}{'Taux':>6}{'HT':>{field}}{'TVA':>{field}}{'TTC':>{field}}"]
    for vat in receipt.vat_rows:
        rows.append(
            f"{vat.code:<2}{format_rate(vat.rate_bp):>6}"
            f"{_amount(vat.base_ht_cents, False):>{field}}"
            f"{_amount(vat.vat_cents, False):>{field}}"
            f"{_amount(vat.total_ttc_cents, False):>{field}}"
        )
    return rows


def _vat_blocks(receipt: Receipt, width: int) -> list[str]:
    rows: list[str] = []
    for vat in receipt.vat_rows:
        rows.append(f"TVA {vat.code} {format_rate(vat.rate_bp)}")
        rows.append(_two("  HT", _amount(vat.base_ht_cents), width))
        rows.append(_two("  TVA", _amount(vat.vat_cents), width))
        rows.append(_two("  TTC", _amount(vat.total_ttc_cents), width))
    return rows


def _amount(cents: int, symbol: bool = True) -> str:
    return format_amount(cents, symbol=symbol).replace("\u202f", " ")


def format_quantity(quantity_milli: int) -> str:
    """1000 -> "1", 1250 -> "1,25", -2000 -> "-2": thousandths without trailing zeros."""
    sign = "-" if quantity_milli < 0 else ""
    units, milli = divmod(abs(quantity_milli), 1000)
    return f"{sign}{units}" + (f",{milli:03d}".rstrip("0") if milli else "")


def format_rate(rate_bp: int) -> str:
    """Basis points to the French form: 2000 -> "20 %", 550 -> "5,5 %"."""
    units, rest = divmod(rate_bp, 100)
    return f"{units}" + (f",{rest:02d}".rstrip("0") if rest else "") + " %"


def _pair(out: EscPosBuilder, left: str, right: str) -> None:
    for row in _two_rows(left, right, out.layout.columns):
        out.line(row)


def _two(left: str, right: str, width: int) -> str:
    """Left text and right-aligned amount on one row (the caller checked it fits)."""
    return left + " " * max(1, width - len(left) - len(right)) + right


def _two_rows(left: str, right: str, width: int) -> list[str]:
    """One row when both fit, else the left side wrapped and the right on its own row."""
    if len(left) + 1 + len(right) <= width:
        return [_two(left, right, width)]
    return [*_wrap(left, width), right.rjust(width)]


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(text, width) or [""]
