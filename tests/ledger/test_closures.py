import sqlite3
from datetime import UTC, datetime

import pytest

from appliance.ledger.closures import AlteredTicket
from appliance.ledger.journal import DB_NAME, HEAD_NAME
from appliance.ledger.verify import verify_database
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Ticket

from .journal_support import Clock, new_journal, sell


def _run_year_end(tmp_path, fiscal_year_start_month=1):
    """Sales on days spread over Nov 2026 .. Feb 2027, with training tickets and a return."""
    clock = Clock(datetime(2026, 11, 27, 10, 0, tzinfo=UTC))
    journal = new_journal(tmp_path, clock, fiscal_year_start_month=fiscal_year_start_month)
    days = [(2026, 11, 27), (2026, 11, 30), (2026, 12, 1), (2026, 12, 31), (2027, 1, 2),
            (2027, 1, 3), (2027, 2, 1), (2027, 3, 1)]
    sold = {}
    for n, (year, month, day) in enumerate(days):
        clock.now = datetime(year, month, day, 10, 0, tzinfo=UTC)
        prices = (100 * (n + 1), 55 + n)
        sell(journal, clock, prices)
        sell(journal, clock, (999,), training=True)
        clock.advance(minutes=5)
        sell(journal, clock, (250,), vat_bp=550, method="CASH")
        sold[(year, month, day)] = sum(prices) + 250
    return journal, sold


def test_day_month_year_arithmetic_and_perpetual_totals(tmp_path):
    journal, sold = _run_year_end(tmp_path)
    days = list(journal.closures("DAY"))
    months = list(journal.closures("MONTH"))
    years = list(journal.closures("YEAR"))
    # every day but the last (still open) is closed; training never counts
    assert [d.payload["totals"]["net_ttc"] for d in days] == list(sold.values())[:-1]
    assert all(d.payload["counts"]["training_tickets"] == 1 for d in days)
    assert [m.payload["period"]["from"] for m in months] == [
        "2026-11-01", "2026-12-01", "2027-01-01", "2027-02-01"]
    for month in months:
        inside = [d for d in days if d.payload["period"]["from"][:7]
                  == month.payload["period"]["from"][:7]]
        assert month.payload["totals"]["net_ttc"] == sum(
            d.payload["totals"]["net_ttc"] for d in inside)
        assert [c["hash"] for c in month.payload["children"]] == [d.hash for d in inside]
        assert month.payload["gt"]["perpetual_net"] == inside[-1].payload["gt"]["perpetual_net"]
    (year,) = years
    assert year.payload["period"] == {"from": "2026-01-01", "to": "2026-12-31"}
    assert year.payload["totals"]["net_ttc"] == sum(
        m.payload["totals"]["net_ttc"] for m in months[:2])
    running = 0
    for day in days:
        running += day.payload["totals"]["net_ttc"]
        assert day.payload["gt"]["perpetual_net"] == running
    january = [d for d in days if d.payload["period"]["from"].startswith("2027")]
    assert january[0].payload["gt"]["fiscal_year_net"] == january[0].payload["totals"]["net_ttc"]
    assert january[0].payload["gt"]["perpetual_net"] > january[0].payload["gt"][
        "fiscal_year_net"]
    vat_rates = {row["vat_bp"] for row in days[0].payload["vat"]}
    assert vat_rates == {2000, 550}
    assert verify_database(tmp_path / DB_NAME, tmp_path / HEAD_NAME).ok
    journal.close()


def test_fiscal_year_follows_its_start_month(tmp_path):
    journal, _ = _run_year_end(tmp_path, fiscal_year_start_month=3)
    (year,) = journal.closures("YEAR")
    assert year.payload["period"] == {"from": "2026-03-01", "to": "2027-02-28"}
    assert year.payload["fiscal_year"] == 2026
    journal.close()


def test_explicit_z_carries_the_cash_count_and_refuses_nothing_twice(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    sell(journal, clock, (1000,), method="CASH")
    written = journal.close_day(cash_count={"expected": 1000, "counted": 990, "diff": -10})
    assert [r.rtype for r in written] == ["CLOSURE", "EVENT"]
    assert written[0].payload["cash_count"]["diff"] == -10
    assert written[0].payload["payments"] == [{"method": "CASH", "amount": 1000}]
    assert journal.close_day() == []  # nothing left to close
    journal.close()


def test_voids_count_in_the_absolute_perpetual_total(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    original = sell(journal, clock, (1000,))
    source = original_from_payload(original.payload, original.type_seq, original.hash)
    void = validate(Ticket.void_of(source, clock()), [Tender("CARD", -1000)], clock())
    journal.append("TICKET", ticket_payload(void))
    clock.advance(days=1)
    sell(journal, clock, (1,))
    (day,) = journal.closures("DAY")
    assert day.payload["totals"]["net_ttc"] == 0
    assert day.payload["gt"]["perpetual_abs"] == 2000
    assert day.payload["counts"]["voids"] == 1
    journal.close()


def test_a_ticket_altered_since_it_was_written_stops_the_z(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    sold = sell(journal, clock, (450,))
    raw = sqlite3.connect(tmp_path / DB_NAME, isolation_level=None)
    raw.execute("DROP TRIGGER journal_no_update")
    raw.execute("UPDATE journal SET payload = replace(payload, '\"total_ht\":375',"
                " '\"total_ht\":374') WHERE seq = ?", (sold.seq,))
    with (pytest.raises(AlteredTicket, match=f"ticket n° {sold.type_seq} : ticket incohérent"),
          journal.transaction() as tx):
        tx.close_day()
    assert [record.rtype for record in journal.closures("DAY")] == []
