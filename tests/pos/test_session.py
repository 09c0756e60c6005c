from datetime import UTC, datetime

import pytest

from appliance.pos.errors import InvalidCashMovement, SessionClosed
from appliance.pos.session import CashSession
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import Ticket

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _sale(price, tenders, training=False, step=CashRounding.NONE):
    ticket = Ticket.open(NOW, training=training).add_line("P", "Article", 1000, price, 2000)
    return validate(ticket, tenders, NOW, step)


def test_opening_float_by_denominations_or_total_but_not_both():
    assert CashSession.open(NOW, "Marie", denominations={2000: 2, 100: 5}).opening_float == 4500
    assert CashSession.open(NOW, "Marie", float_total=15000).opening_float == 15000
    with pytest.raises(InvalidCashMovement, match="soit"):
        CashSession.open(NOW, "Marie")
    with pytest.raises(InvalidCashMovement, match="coupure inconnue"):
        CashSession.open(NOW, "Marie", denominations={300: 1})


def test_expected_x_and_z_figures_with_discrepancy():
    session = CashSession.open(NOW, "Marie", float_total=10000)
    session = session.record(_sale(1250, [Tender("CASH", 2000)]))  # 750 change
    session = session.record(_sale(3000, [Tender("CARD", 3000)]))
    session = session.record(_sale(999, [Tender("CASH", 999)], training=True))
    session = session.cash_in(500, "Apport monnaie", NOW).cash_out(2000, "Achat timbres", NOW)
    assert session.expected() == {"CASH": 10000 + 1250 + 500 - 2000, "CARD": 3000}
    x = session.x_figures(NOW)
    assert (x.closing, x.tickets, x.training_tickets, x.sales_ttc) == (False, 2, 1, 4250)
    assert session.is_open
    closed, z = session.close({"CASH": 9740, "CARD": 3000}, NOW)
    assert z.closing and not closed.is_open
    assert [(m.method, m.expected, m.counted, m.discrepancy) for m in z.methods] == [
        ("CASH", 9750, 9740, -10), ("CARD", 3000, 3000, 0)]
    assert z.discrepancy == -10
    with pytest.raises(SessionClosed):
        closed.cash_in(100, "x", NOW)
    with pytest.raises(SessionClosed):
        closed.record(_sale(100, [Tender("CASH", 100)]))


def test_rounding_is_totalled_and_cash_expected_follows_it():
    session = CashSession.open(NOW, "Marie", float_total=0)
    session = session.record(_sale(1233, [Tender("CASH", 1235)], step=CashRounding.FIVE_CENTS))
    assert session.rounding == 2 and session.expected()["CASH"] == 1235


def test_cash_movements_need_a_reason_a_positive_amount_and_cash_to_take():
    session = CashSession.open(NOW, "Marie", float_total=1000)
    with pytest.raises(InvalidCashMovement, match="motif"):
        session.cash_in(100, "  ", NOW)
    with pytest.raises(InvalidCashMovement, match="positif"):
        session.cash_out(0, "x", NOW)
    with pytest.raises(InvalidCashMovement, match="ne contient"):
        session.cash_out(1001, "Banque", NOW)
