"""A ticket being rung up: lines, discounts, seller, customer, returns and voids.

`Ticket` is an immutable value: every operation returns a new ticket, so the Till can keep the
previous one (undo, park, snapshot to disk) and journal exactly what was shown. Nothing here
reads a clock: times come in as aware datetimes and are stored as UTC ISO strings.

Signs: a SALE has positive quantities; a RETURN or a VOID has negative quantities (the
"moins" operation the law asks for) and always refers to its original ticket. Unit prices are
never negative. Amounts follow the register's price mode (`tax.PriceMode`): TTC or HT.

A removed line is not forgotten: it moves to `removed` with the time and the reason, and the
journal records it with the ticket (or with the abandoned cart).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from appliance.pos.errors import (
    DiscountTooLarge,
    InvalidPrice,
    InvalidQuantity,
    InvalidReference,
    TicketStateError,
    UnknownLine,
)
from appliance.pos.money import Cents, Milli, extend, format_amount, format_quantity, round_div
from appliance.pos.receipt import TicketKind
from appliance.pos.tax import (
    BASIS,
    DEFAULT_VAT_TABLE,
    PriceMode,
    VatAmounts,
    VatTable,
    allocate,
    breakdown,
)
from appliance.pos.timestamps import utc_iso

MAX_QUANTITY_MILLI: Milli = 10_000 * 1000  # 10 000 units or kg on one line: beyond is a typo
MAX_UNIT_PRICE: Cents = 10_000_000  # 100 000 EUR a unit
MAX_LINES = 500


class DiscountKind(StrEnum):
    PERCENT = "PERCENT"  # value in basis points: 1000 = 10 %
    AMOUNT = "AMOUNT"  # value in cents, in the ticket's price mode


@dataclass(frozen=True)
class Discount:
    kind: DiscountKind
    value: int
    reason: str = ""

    @classmethod
    def percent(cls, basis_points: int, reason: str = "") -> Discount:
        if basis_points <= 0 or basis_points > BASIS:
            raise DiscountTooLarge(
                "discount_percent_out_of_range", percent=f"{basis_points / 100:g}"
            )
        return cls(DiscountKind.PERCENT, basis_points, reason)

    @classmethod
    def amount(cls, cents: Cents, reason: str = "") -> Discount:
        if cents <= 0:
            raise DiscountTooLarge("discount_amount_not_positive", amount=format_amount(cents))
        return cls(DiscountKind.AMOUNT, cents, reason)

    def on(self, base: Cents) -> Cents:
        """The discount on `base` (same sign as `base`); refused when it exceeds it."""
        if self.kind is DiscountKind.PERCENT:
            return round_div(base * self.value, BASIS)
        if self.value > abs(base):
            raise DiscountTooLarge(
                "discount_exceeds_amount",
                amount=format_amount(self.value),
                base=format_amount(abs(base)),
            )
        return self.value if base >= 0 else -self.value

    @property
    def label(self) -> str:
        if self.kind is DiscountKind.PERCENT:
            units, fraction = divmod(self.value, 100)
            text = f"{units}" if fraction == 0 else f"{units}," + f"{fraction:02d}".rstrip("0")
            return f"Remise {text} %"
        return f"Remise {format_amount(self.value)}"


@dataclass(frozen=True)
class Party:
    """A seller or a customer account: Kafinea id and display name."""

    id: str
    name: str = ""


@dataclass(frozen=True)
class TicketLine:
    n: int  # stable line number on this ticket (removed numbers are not reused)
    product_id: str
    label: str
    qty_milli: Milli
    unit_price: Cents
    vat_bp: int
    original_unit_price: Cents | None = None  # set when the price was overridden by hand
    discount: Discount | None = None
    barcode: str = ""
    origin_line: int = 0  # RETURN/VOID: the line number on the original ticket

    @property
    def gross(self) -> Cents:
        return extend(self.unit_price, self.qty_milli)

    @property
    def line_discount(self) -> Cents:
        return self.discount.on(self.gross) if self.discount else 0

    @property
    def net(self) -> Cents:
        """After the line discount, before the ticket discount."""
        return self.gross - self.line_discount


@dataclass(frozen=True)
class RemovedLine:
    line: TicketLine
    removed_utc: str
    reason: str = ""


@dataclass(frozen=True)
class OriginalTicket:
    """What a RETURN or VOID needs of the ticket it reverses (rebuilt from its journal record)."""

    number: int  # type_seq of the TICKET record
    hash_hex: str
    issued_utc: str
    kind: TicketKind
    price_mode: PriceMode
    lines: tuple[LineFigures, ...]


@dataclass(frozen=True)
class LineFigures:
    """One line's computed amounts: `final` = gross - line discount - share of ticket discount.

    `ht + vat == ttc`; `final` equals `ttc` in TTC mode and `ht` in HT mode.
    """

    line: TicketLine
    gross: Cents
    line_discount: Cents
    ticket_discount: Cents
    ht: Cents
    vat: Cents
    ttc: Cents

    @property
    def final(self) -> Cents:
        return self.gross - self.line_discount - self.ticket_discount


@dataclass(frozen=True)
class TicketTotals:
    lines: tuple[LineFigures, ...]
    vat: tuple[VatAmounts, ...]
    ticket_discount: Cents
    total_ht: Cents
    total_vat: Cents
    total_ttc: Cents


@dataclass(frozen=True)
class Ticket:
    opened_utc: str
    vat_table: VatTable = DEFAULT_VAT_TABLE
    price_mode: PriceMode = PriceMode.TTC
    kind: TicketKind = TicketKind.SALE
    lines: tuple[TicketLine, ...] = ()
    removed: tuple[RemovedLine, ...] = ()
    ticket_discount: Discount | None = None
    seller: Party | None = None
    customer: Party | None = None
    training: bool = False
    original: OriginalTicket | None = None
    next_n: int = 1
    returned_before: tuple[tuple[int, Milli], ...] = ()

    # -- creation -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        at: datetime,
        *,
        vat_table: VatTable = DEFAULT_VAT_TABLE,
        price_mode: PriceMode = PriceMode.TTC,
        training: bool = False,
        seller: Party | None = None,
    ) -> Ticket:
        return cls(utc_iso(at), vat_table, price_mode, training=training, seller=seller)

    @classmethod
    def return_of(
        cls, original: OriginalTicket, at: datetime, *, vat_table: VatTable = DEFAULT_VAT_TABLE,
        training: bool = False, seller: Party | None = None,
        already_returned: Mapping[int, Milli] | None = None,
    ) -> Ticket:
        """An empty RETURN ticket; add lines with `return_line`.

        `already_returned` (original line number -> quantity, positive) comes from earlier
        RETURN tickets of the same original, which the Till finds in the journal.
        """
        if original.kind is not TicketKind.SALE:
            raise InvalidReference("return_of_non_sale", number=original.number)
        return cls(utc_iso(at), vat_table, original.price_mode, TicketKind.RETURN,
                   training=training, seller=seller, original=original,
                   returned_before=tuple(sorted((already_returned or {}).items())))

    @classmethod
    def void_of(
        cls, original: OriginalTicket, at: datetime, *, vat_table: VatTable = DEFAULT_VAT_TABLE,
        training: bool = False, seller: Party | None = None,
    ) -> Ticket:
        """A VOID ticket: every line of the original, negated, to the cent."""
        if original.kind is not TicketKind.SALE:
            raise InvalidReference("void_of_non_sale", number=original.number)
        ticket = cls(utc_iso(at), vat_table, original.price_mode, TicketKind.VOID,
                     training=training, seller=seller, original=original)
        lines = tuple(
            _reversed_line(n, figures, figures.line.qty_milli)
            for n, figures in enumerate(original.lines, start=1)
        )
        if not lines:
            raise InvalidReference("void_without_lines", number=original.number)
        return replace(ticket, lines=lines, next_n=len(lines) + 1)

    # -- lines ----------------------------------------------------------------------------
    def add_line(
        self, product_id: str, label: str, qty_milli: Milli, unit_price: Cents, vat_bp: int,
        *, barcode: str = "",
    ) -> Ticket:
        if self.kind is not TicketKind.SALE:
            raise TicketStateError("add_line_to_return")
        if len(self.lines) >= MAX_LINES:
            raise TicketStateError("ticket_full", limit=MAX_LINES)
        self.vat_table.get(vat_bp)
        _check_price(unit_price)
        _check_sale_quantity(qty_milli)
        line = TicketLine(self.next_n, product_id, label, qty_milli, unit_price, vat_bp,
                          barcode=barcode)
        return replace(self, lines=(*self.lines, line), next_n=self.next_n + 1)

    def return_line(self, origin_line: int, qty_milli: Milli) -> Ticket:
        """Take back `qty_milli` (positive) of the original ticket's line `origin_line`."""
        if self.kind is not TicketKind.RETURN or self.original is None:
            raise TicketStateError("return_line_on_sale")
        figures = next(
            (item for item in self.original.lines if item.line.n == origin_line), None
        )
        if figures is None:
            raise UnknownLine(
                "unknown_original_line", number=self.original.number, line=origin_line
            )
        already = dict(self.returned_before).get(origin_line, 0) + sum(
            -line.qty_milli for line in self.lines if line.origin_line == origin_line
        )
        if qty_milli <= 0 or already + qty_milli > figures.line.qty_milli:
            left = figures.line.qty_milli - already
            raise InvalidQuantity(
                "return_quantity_invalid",
                quantity=format_quantity(qty_milli),
                left=format_quantity(left),
                label=figures.line.label,
            )
        line = _reversed_line(self.next_n, figures, qty_milli)
        return replace(self, lines=(*self.lines, line), next_n=self.next_n + 1)

    def set_quantity(self, n: int, qty_milli: Milli) -> Ticket:
        line = self._sale_line(n)
        _check_sale_quantity(qty_milli)
        return self._replace_line(replace(line, qty_milli=qty_milli))

    def override_price(self, n: int, unit_price: Cents) -> Ticket:
        line = self._sale_line(n)
        _check_price(unit_price)
        original = line.unit_price
        if line.original_unit_price is not None:
            original = line.original_unit_price
        kept = None if unit_price == original else original
        return self._replace_line(replace(line, unit_price=unit_price, original_unit_price=kept))

    def discount_line(self, n: int, discount: Discount | None) -> Ticket:
        line = self._sale_line(n)
        updated = replace(line, discount=discount)
        updated.line_discount  # noqa: B018 - raises DiscountTooLarge before anything changes
        return self._replace_line(updated)

    def remove_line(self, n: int, at: datetime, reason: str = "") -> Ticket:
        line = self._line(n)
        removed = RemovedLine(line, utc_iso(at), reason)
        return replace(
            self,
            lines=tuple(other for other in self.lines if other.n != n),
            removed=(*self.removed, removed),
        )

    def set_ticket_discount(self, discount: Discount | None) -> Ticket:
        if self.kind is not TicketKind.SALE:
            raise TicketStateError("discount_on_return")
        updated = replace(self, ticket_discount=discount)
        updated.totals()  # raises DiscountTooLarge before anything changes
        return updated

    def with_seller(self, seller: Party | None) -> Ticket:
        return replace(self, seller=seller)

    def with_customer(self, customer: Party | None) -> Ticket:
        return replace(self, customer=customer)

    # -- figures --------------------------------------------------------------------------
    @property
    def is_empty(self) -> bool:
        return not self.lines

    def totals(self) -> TicketTotals:
        """Every amount of the ticket under the rule of `appliance.pos.tax`."""
        nets = [line.net for line in self.lines]
        base = sum(nets)
        ticket_discount = self.ticket_discount.on(base) if self.ticket_discount else 0
        shares = allocate(ticket_discount, nets) if self.lines else []
        finals = [net - share for net, share in zip(nets, shares, strict=True)]
        rates = breakdown(
            ((line.vat_bp, final) for line, final in zip(self.lines, finals, strict=True)),
            self.price_mode,
        )
        line_vat: dict[int, int] = {}
        for rate in rates:
            indexes = [i for i, line in enumerate(self.lines) if line.vat_bp == rate.rate_bp]
            for index, vat in zip(
                indexes, allocate(rate.vat, [finals[i] for i in indexes]), strict=True
            ):
                line_vat[index] = vat
        figures = []
        for index, line in enumerate(self.lines):
            vat = line_vat[index]
            final = finals[index]
            if self.price_mode is PriceMode.TTC:
                ht, ttc = final - vat, final
            else:
                ht, ttc = final, final + vat
            figures.append(
                LineFigures(line, line.gross, line.line_discount, shares[index], ht, vat, ttc)
            )
        return TicketTotals(
            lines=tuple(figures),
            vat=rates,
            ticket_discount=ticket_discount,
            total_ht=sum(rate.ht for rate in rates),
            total_vat=sum(rate.vat for rate in rates),
            total_ttc=sum(rate.ttc for rate in rates),
        )

    # -- helpers --------------------------------------------------------------------------
    def _line(self, n: int) -> TicketLine:
        for line in self.lines:
            if line.n == n:
                return line
        raise UnknownLine("unknown_line", line=n)

    def _sale_line(self, n: int) -> TicketLine:
        if self.kind is not TicketKind.SALE:
            raise TicketStateError("edit_return_line")
        return self._line(n)

    def _replace_line(self, new: TicketLine) -> Ticket:
        return replace(self, lines=tuple(new if line.n == new.n else line for line in self.lines))


def _check_sale_quantity(qty_milli: Milli) -> None:
    if qty_milli <= 0:
        raise InvalidQuantity("sale_quantity_not_positive", quantity=format_quantity(qty_milli))
    if qty_milli > MAX_QUANTITY_MILLI:
        raise InvalidQuantity(
            "sale_quantity_too_large",
            quantity=format_quantity(qty_milli),
            limit=format_quantity(MAX_QUANTITY_MILLI),
        )


def _check_price(unit_price: Cents) -> None:
    if unit_price < 0:
        raise InvalidPrice("negative_price", price=format_amount(unit_price))
    if unit_price > MAX_UNIT_PRICE:
        raise InvalidPrice(
            "price_too_large", price=format_amount(unit_price), limit=format_amount(MAX_UNIT_PRICE)
        )


def _reversed_line(n: int, figures: LineFigures, qty_milli: Milli) -> TicketLine:
    """The negative twin of an original line for `qty_milli` of its quantity.

    Line and ticket discounts of the original become one amount discount, pro rata of the
    quantity taken back, so a full return or void refunds exactly what was paid.
    """
    original = figures.line
    total_discount = figures.line_discount + figures.ticket_discount
    discount_part = round_div(total_discount * qty_milli, original.qty_milli)
    gross_back = extend(original.unit_price, -qty_milli)
    discount = None
    if discount_part:
        discount = Discount(DiscountKind.AMOUNT, min(abs(discount_part), abs(gross_back)),
                            "remise du ticket d'origine")
    return TicketLine(
        n, original.product_id, original.label, -qty_milli, original.unit_price,
        original.vat_bp, original.original_unit_price, discount, original.barcode,
        origin_line=original.n,
    )

