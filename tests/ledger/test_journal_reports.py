from appliance.ledger.journal_reports import closure_report, fiscal_lines
from appliance.pos.fiscal import cart_details
from appliance.pos.receipt import ShopIdentity
from appliance.pos.ticket import Ticket

from .journal_support import Clock, new_journal, sell


def test_z_report_is_built_from_the_closure_record(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    sell(journal, clock, (450, 1290))
    sell(journal, clock, (700,), training=True)
    closure = journal.close_day()[0]
    report = closure_report(closure, shop=ShopIdentity("Épicerie"), register_name="C01",
                            issued_at="02/03/2026 18:00", software="appliance 0.1.0")
    rows = {row.label: row for section in report.sections for row in section.rows}
    assert report.title == "RAPPORT Z JOURNALIER"
    assert rows["Net TTC"].amount_cents == 1740
    assert rows["Grand total perpétuel"].amount_cents == 1740
    assert rows["Tickets école (hors totaux)"].value == "1"
    assert closure.excerpt in report.fiscal_lines[0]
    journal.close()


def test_fiscal_lines_mark_training_series(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    record = sell(journal, clock, training=True)
    assert fiscal_lines(record, "appliance 0.1.0")[0].startswith("Ticket n° X-1 · journal n°")
    journal.close()


def test_abandoned_cart_is_journaled_with_its_lines(tmp_path):
    clock = Clock()
    journal = new_journal(tmp_path, clock)
    cart = Ticket.open(clock()).add_line("P1", "Savon", 1000, 450, 2000)
    cart = cart.add_line("P2", "Pain", 1000, 120, 550).remove_line(2, clock())
    event = journal.event("CART_ABANDONED", details=cart_details(cart, "client parti"))
    assert [line["label"] for line in event.payload["details"]["lines"]] == ["Savon"]
    assert event.payload["details"]["removed_lines"][0]["label"] == "Pain"
    journal.close()
