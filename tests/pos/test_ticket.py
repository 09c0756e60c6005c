from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.pos.errors import (
    DiscountTooLarge,
    InvalidPrice,
    InvalidQuantity,
    InvalidReference,
    TicketStateError,
    UnknownLine,
    UnknownVatRate,
)
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.receipt import TicketKind
from appliance.pos.tax import PriceMode
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import MAX_QUANTITY_MILLI, Discount, Party, Ticket

NOW = datetime(2026, 3, 1, 10, 15, 2, 123000, tzinfo=UTC)


def basket() -> Ticket:
    return (
        Ticket.open(NOW)
        .add_line("P1", "Savon lavande 100 g", 2000, 450, 2000)
        .add_line("P2", "Confiture", 1000, 399, 550)
        .add_line("P3", "Livre", 1000, 1500, 550)
    )


def test_a_ticket_is_an_immutable_value():
    empty = Ticket.open(NOW)
    one = empty.add_line("P1", "Savon", 1000, 450, 2000)
    assert empty.is_empty and len(one.lines) == 1
    assert one.opened_utc == "2026-03-01T10:15:02.123Z"


def test_totals_per_rate_and_per_ticket():
    totals = basket().totals()
    assert [(row.rate_bp, row.ttc, row.vat, row.ht) for row in totals.vat] == [
        (2000, 900, 150, 750),
        (550, 1899, 99, 1800),
    ]
    assert (totals.total_ttc, totals.total_vat, totals.total_ht) == (2799, 249, 2550)
    assert sum(line.vat for line in totals.lines) == totals.total_vat


@pytest.mark.parametrize(
    ("qty", "error"), [(0, "positive"), (-1000, "positive"), (MAX_QUANTITY_MILLI + 1, "au plus")]
)
def test_bad_quantities_are_refused_with_a_reason(qty, error):
    with pytest.raises(InvalidQuantity, match=error):
        Ticket.open(NOW).add_line("P1", "Savon", qty, 450, 2000)


def test_negative_price_and_unknown_rate_are_refused():
    with pytest.raises(InvalidPrice, match="jamais négatif"):
        Ticket.open(NOW).add_line("P1", "Savon", 1000, -1, 2000)
    with pytest.raises(UnknownVatRate):
        Ticket.open(NOW).add_line("P1", "Savon", 1000, 100, 1960)


def test_discounts_above_100_percent_or_the_amount_are_refused():
    with pytest.raises(DiscountTooLarge, match="100 %"):
        Discount.percent(10_001)
    ticket = basket()
    with pytest.raises(DiscountTooLarge, match="supérieure"):
        ticket.discount_line(1, Discount.amount(901))
    with pytest.raises(DiscountTooLarge, match="supérieure"):
        ticket.set_ticket_discount(Discount.amount(2800))
    assert ticket.set_ticket_discount(Discount.amount(2799)).totals().total_ttc == 0


def test_price_override_keeps_the_original_price_once():
    ticket = basket().override_price(1, 400).override_price(1, 350)
    assert (ticket.lines[0].unit_price, ticket.lines[0].original_unit_price) == (350, 450)
    assert basket().override_price(1, 450).lines[0].original_unit_price is None


def test_removed_lines_are_kept_with_time_and_reason():
    ticket = basket().remove_line(2, NOW, "erreur de scan")
    assert [line.n for line in ticket.lines] == [1, 3]
    assert ticket.removed[0].line.label == "Confiture"
    assert ticket.removed[0].reason == "erreur de scan"
    assert ticket.add_line("P4", "Thé", 1000, 500, 550).lines[-1].n == 4
    with pytest.raises(UnknownLine):
        ticket.set_quantity(2, 1000)


def test_ticket_discount_is_spread_over_lines_per_rate():
    totals = basket().set_ticket_discount(Discount.percent(1000)).totals()
    assert totals.ticket_discount == 280
    assert sum(line.ticket_discount for line in totals.lines) == 280
    assert totals.total_ttc == 2799 - 280
    assert sum(row.ttc for row in totals.vat) == totals.total_ttc


def test_ht_price_mode_keeps_ht_exact():
    ticket = Ticket.open(NOW, price_mode=PriceMode.HT).add_line("P", "Conseil", 3000, 3333, 2000)
    totals = ticket.totals()
    assert (totals.total_ht, totals.total_vat, totals.total_ttc) == (9999, 2000, 11999)


def _sold(ticket):
    sale = validate(ticket, [Tender("CARD", ticket.totals().total_ttc)], NOW)
    return original_from_payload(ticket_payload(sale), 17, "ab" * 32)


def test_void_reverses_every_amount_to_the_cent():
    original = basket().discount_line(1, Discount.percent(3333)).set_ticket_discount(
        Discount.amount(77)
    )
    void = Ticket.void_of(_sold(original), NOW)
    assert void.kind is TicketKind.VOID and void.original.number == 17
    sold, voided = original.totals(), void.totals()
    assert voided.total_ttc == -sold.total_ttc
    assert [(r.rate_bp, r.ht, r.vat) for r in voided.vat] == [
        (r.rate_bp, -r.ht, -r.vat) for r in sold.vat
    ]


def test_return_takes_back_at_most_what_was_sold():
    original = _sold(basket())
    ticket = Ticket.return_of(original, NOW).return_line(1, 1000)
    assert ticket.totals().total_ttc == -450
    with pytest.raises(InvalidQuantity, match="au plus 1"):
        ticket.return_line(1, 1001)
    with pytest.raises(InvalidQuantity, match="au plus 0"):
        Ticket.return_of(original, NOW, already_returned={2: 1000}).return_line(2, 1000)
    with pytest.raises(UnknownLine):
        ticket.return_line(9, 1000)
    with pytest.raises(TicketStateError):
        ticket.add_line("P9", "X", 1000, 100, 2000)


def test_a_return_cannot_reverse_a_return():
    original = _sold(basket())
    ret = Ticket.return_of(original, NOW).return_line(1, 1000)
    sale = validate(ret, [Tender("CASH", -450)], NOW)
    with pytest.raises(InvalidReference):
        Ticket.void_of(original_from_payload(ticket_payload(sale), 18, "cd" * 32), NOW)


def test_seller_customer_and_training_are_carried():
    ticket = Ticket.open(NOW, training=True).with_seller(Party("U3", "Marie"))
    ticket = ticket.with_customer(Party("11x42", "Dupont SARL"))
    assert ticket.training and ticket.seller.name == "Marie" and ticket.customer.id == "11x42"


line_st = st.tuples(
    st.integers(min_value=1, max_value=100_000),  # qty milli
    st.integers(min_value=0, max_value=500_000),  # unit price
    st.sampled_from([2000, 1000, 550, 210]),
    st.integers(min_value=0, max_value=10_000),  # line discount bp
)


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(st.lists(line_st, min_size=1, max_size=12), st.integers(min_value=0, max_value=10_000),
       st.sampled_from(list(PriceMode)))
def test_discounts_never_make_a_line_negative_and_totals_add_up(lines, ticket_bp, mode):
    ticket = Ticket.open(NOW, price_mode=mode)
    for qty, price, rate, bp in lines:
        ticket = ticket.add_line("P", "x", qty, price, rate)
        if bp:
            ticket = ticket.discount_line(ticket.lines[-1].n, Discount.percent(bp))
    if ticket_bp:
        ticket = ticket.set_ticket_discount(Discount.percent(ticket_bp))
    totals = ticket.totals()
    assert all(line.final >= 0 and line.ht >= 0 and line.vat >= 0 for line in totals.lines)
    assert totals.total_ht + totals.total_vat == totals.total_ttc
    assert sum(line.ttc for line in totals.lines) == totals.total_ttc
    assert sum(line.ht for line in totals.lines) == totals.total_ht
    for row in totals.vat:
        same = [line for line in totals.lines if line.line.vat_bp == row.rate_bp]
        assert sum(line.vat for line in same) == row.vat
    assert ticket.totals() == totals  # stable
