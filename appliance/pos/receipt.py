"""Printable documents: the receipt of a ticket and the text reports (X, Z, test page).

A document is data, not bytes: the ESC/POS renderer (`appliance.devices`), the screen and an
e-mail all render the same object, so what the customer holds and what the journal recorded
cannot disagree. A receipt carries what French law asks of one: the seller's identity and
SIRET, date and time, ticket number, each line with its VAT letter, the VAT per rate, totals
HT and TTC, the payments, and the journal's fiscal lines; a reprint says DUPLICATA and its
number, a training ticket says it is worthless. Amounts are integer cents, quantities integer
thousandths; every field is already decided (labels, VAT codes, marks), so renderers only lay
text out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class TicketKind(StrEnum):
    SALE = "sale"
    RETURN = "return"
    VOID = "void"


@dataclass(frozen=True)
class ShopIdentity:
    """Header of every document: who sold (trade name, company, address, SIRET, VAT number)."""

    trade_name: str
    company_name: str = ""
    address_lines: tuple[str, ...] = ()
    siret: str = ""
    vat_number: str = ""
    phone: str = ""


@dataclass(frozen=True)
class ReceiptLine:
    """One ticket line as printed.

    `total_cents` is the line total after the line discount and before the ticket discount.
    `original_unit_price_cents` is set when the price was overridden (the law wants the old
    price shown). `vat_code` is the letter of the VAT table (A = 20 %, ...).
    """

    label: str
    quantity_milli: int
    unit_price_cents: int
    total_cents: int
    vat_code: str
    original_unit_price_cents: int | None = None
    discount_label: str = ""
    discount_cents: int = 0


@dataclass(frozen=True)
class VatRow:
    code: str
    rate_bp: int
    base_ht_cents: int
    vat_cents: int
    total_ttc_cents: int


@dataclass(frozen=True)
class TenderRow:
    label: str
    amount_cents: int


@dataclass(frozen=True)
class Receipt:
    """Everything a sale, return or void receipt shows, top to bottom."""

    shop: ShopIdentity
    register_name: str
    ticket_number: str
    issued_at: str  # local date and time, already formatted "28/11/2026 14:05"
    lines: tuple[ReceiptLine, ...]
    vat_rows: tuple[VatRow, ...]
    total_ht_cents: int
    total_ttc_cents: int
    tenders: tuple[TenderRow, ...] = ()
    change_cents: int = 0
    kind: TicketKind = TicketKind.SALE
    seller: str = ""
    customer: str = ""
    ticket_discount_label: str = ""
    ticket_discount_cents: int = 0
    rounding_cents: int = 0
    original_ticket: str = ""  # "ANNULATION du ticket n° 981 du 28/02/2026" refers to it
    original_issued_at: str = ""
    fiscal_lines: tuple[str, ...] = ()  # journal seq + hash excerpt, software name and version
    reference_code: str = ""  # what the QR code carries, to find the ticket again for a return
    duplicate_number: int | None = None  # "DUPLICATA n° k"
    duplicate_printed_at: str = ""
    training: bool = False  # "MODE ÉCOLE – TICKET FACTICE – SANS VALEUR" top and bottom
    header_lines: tuple[str, ...] = ()  # the register's receipt options
    footer_lines: tuple[str, ...] = ()

    @property
    def line_count(self) -> int:
        return len(self.lines)


@dataclass(frozen=True)
class ReportRow:
    label: str
    amount_cents: int | None = None  # None: a text row, `value` is printed instead
    value: str = ""


@dataclass(frozen=True)
class ReportSection:
    title: str
    rows: tuple[ReportRow, ...] = ()


@dataclass(frozen=True)
class Report:
    """A text document: X or Z report, closing, cash movement slip, printer test page."""

    shop: ShopIdentity
    title: str
    register_name: str
    issued_at: str
    sections: tuple[ReportSection, ...] = field(default_factory=tuple)
    fiscal_lines: tuple[str, ...] = ()
    training: bool = False
    qr_code: str = ""
