from datetime import UTC, datetime

import pytest

from appliance.pos.errors import InsufficientTender, TenderMismatch, TicketStateError
from appliance.pos.tender import CashRounding, Tender, settle, validate
from appliance.pos.ticket import Ticket

NOW = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def test_split_payment_with_change_on_cash_only():
    settlement = settle(2799, [Tender("CARD", 2000), Tender("CASH", 1000)])
    assert settlement.change == 201
    assert settlement.net_by_method() == {"CARD": 2000, "CASH": 799}


def test_card_cannot_exceed_what_is_due():
    with pytest.raises(TenderMismatch, match="qu'en espèces"):
        settle(2799, [Tender("CARD", 3000)])


def test_short_payment_is_refused_with_the_missing_amount():
    with pytest.raises(InsufficientTender, match="il manque 0,99"):
        settle(2799, [Tender("CARD", 1800), Tender("CASH", 900)])
    with pytest.raises(InsufficientTender):
        settle(2799, [Tender("CARD", 2000)])
    with pytest.raises(InsufficientTender):
        settle(2799, [])


@pytest.mark.parametrize(
    ("step", "total", "rounding"),
    [(CashRounding.NONE, 2799, 0), (CashRounding.FIVE_CENTS, 2799, 1),
     (CashRounding.FIVE_CENTS, 2797, -2), (CashRounding.TEN_CENTS, 2795, 5),
     (CashRounding.TEN_CENTS, 2794, -4)],
)
def test_cash_rounding_is_its_own_amount(step, total, rounding):
    settlement = settle(total, [Tender("CASH", 5000)], step)
    assert settlement.rounding == rounding
    assert settlement.total == total
    assert settlement.change == 5000 - (total + rounding)


def test_cash_rounding_only_touches_the_cash_part():
    assert settle(2799, [Tender("CARD", 2799)], CashRounding.TEN_CENTS).rounding == 0
    mixed = settle(2799, [Tender("CARD", 1000), Tender("CASH", 2000)], CashRounding.TEN_CENTS)
    assert (mixed.rounding, mixed.change) == (1, 200)


def test_refunds_balance_exactly_and_carry_the_sign():
    assert settle(-450, [Tender("CASH", -450)]).change == 0
    with pytest.raises(TenderMismatch, match="exact"):
        settle(-450, [Tender("CASH", -500)])
    with pytest.raises(TenderMismatch, match="négatif"):
        settle(-450, [Tender("CASH", 450)])
    with pytest.raises(TenderMismatch):
        settle(450, [Tender("CASH", 0)])


def test_validate_refuses_an_empty_ticket_and_freezes_a_balanced_one():
    with pytest.raises(TicketStateError, match="vide"):
        validate(Ticket.open(NOW), [], NOW)
    ticket = Ticket.open(NOW).add_line("P", "Savon", 1000, 450, 2000)
    sale = validate(ticket, [Tender("CASH", 500)], NOW)
    assert (sale.totals.total_ttc, sale.settlement.change) == (450, 50)
    assert sale.closed_utc == "2026-03-01T10:00:00.000Z"
