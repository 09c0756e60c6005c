"""Paying a ticket: split tenders, cash rounding, change, and the validated `Sale`.

Rules (each refusal is its own exception, see `appliance.pos.errors`):
- a ticket may be paid by several methods; amounts are never zero and carry the ticket's sign
  (positive for a sale, negative for a refund);
- change is given only in cash: non-cash tenders may not exceed what is left to pay, and the
  change may not exceed the cash handed over;
- cash rounding (none, 0.05 or 0.10, a register setting) applies to the part paid in cash,
  rounded half away from zero, and is recorded as its own amount (`Settlement.rounding`),
  never hidden in a line: the sale total stays the ticket's exact TTC;
- a refund balances exactly (no change on money we hand out);
- nothing validates unless it balances.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum

from appliance.pos.errors import InsufficientTender, TenderMismatch, TicketStateError
from appliance.pos.money import Cents, format_amount, round_div
from appliance.pos.ticket import Ticket, TicketTotals
from appliance.pos.timestamps import utc_iso

CASH = "CASH"


class CashRounding(IntEnum):
    """Step of cash rounding in cents (register setting)."""

    NONE = 1
    FIVE_CENTS = 5
    TEN_CENTS = 10


@dataclass(frozen=True)
class Tender:
    method: str  # CASH, CARD, CHEQUE, ... (the register's payment methods)
    amount: Cents

    @property
    def is_cash(self) -> bool:
        return self.method == CASH


@dataclass(frozen=True)
class Settlement:
    """How a total was paid. `due = total + rounding`; `sum(tenders) - change == due`."""

    total: Cents
    rounding: Cents
    tenders: tuple[Tender, ...]
    change: Cents

    @property
    def due(self) -> Cents:
        return self.total + self.rounding

    def net_by_method(self) -> dict[str, Cents]:
        """What each method really brought in (cash net of the change), in tender order."""
        net: dict[str, Cents] = {}
        for tender in self.tenders:
            net[tender.method] = net.get(tender.method, 0) + tender.amount
        if self.change:
            net[CASH] = net.get(CASH, 0) - self.change
        return net


def settle(
    total: Cents, tenders: Sequence[Tender], step: CashRounding = CashRounding.NONE
) -> Settlement:
    """Check that `tenders` pay `total` and compute rounding and change, or refuse."""
    sign = -1 if total < 0 else 1
    for tender in tenders:
        if tender.amount == 0 or (tender.amount < 0) != (total < 0) or total == 0:
            method, amount = tender.method, format_amount(tender.amount)
            if total == 0:
                raise TenderMismatch("tender_on_zero_ticket", method=method, amount=amount)
            if total < 0:
                raise TenderMismatch("tender_must_be_negative", method=method, amount=amount)
            raise TenderMismatch("tender_must_be_positive", method=method, amount=amount)
    if total == 0:
        return Settlement(0, 0, (), 0)
    # Work on magnitudes; a refund is the mirror image of a sale.
    magnitude = abs(total)
    non_cash = sum(abs(tender.amount) for tender in tenders if not tender.is_cash)
    cash = sum(abs(tender.amount) for tender in tenders if tender.is_cash)
    if non_cash > magnitude:
        raise TenderMismatch(
            "non_cash_exceeds_total",
            paid=format_amount(sign * non_cash),
            total=format_amount(total),
        )
    cash_part = magnitude - non_cash
    rounding = 0
    if cash:
        if cash_part == 0:
            raise TenderMismatch("nothing_left_for_cash")
        rounded = round_div(cash_part, int(step)) * int(step)
        rounding, cash_part = rounded - cash_part, rounded
    if cash < cash_part:
        raise InsufficientTender(
            "insufficient_tender",
            missing=format_amount(cash_part - cash),
            due=format_amount(abs(total) + rounding),
        )
    change = cash - cash_part
    if total < 0 and change:
        raise TenderMismatch(
            "refund_must_be_exact",
            cash=format_amount(sign * cash),
            due=format_amount(sign * cash_part),
        )
    return Settlement(total, sign * rounding, tuple(tenders), change)


@dataclass(frozen=True)
class Sale:
    """A validated ticket: what the Till journals, prints and posts. Nothing edits it."""

    ticket: Ticket
    totals: TicketTotals
    settlement: Settlement
    closed_utc: str


def validate(
    ticket: Ticket,
    tenders: Sequence[Tender],
    at: datetime,
    step: CashRounding = CashRounding.NONE,
) -> Sale:
    """Freeze `ticket` into a `Sale` when it has lines and `tenders` balance; else refuse."""
    if ticket.is_empty:
        raise TicketStateError("validate_empty_ticket")
    totals = ticket.totals()
    return Sale(ticket, totals, settle(totals.total_ttc, tenders, step), utc_iso(at))
