from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from appliance.pos.document import build_receipt, build_session_report, local_text
from appliance.pos.fiscal import original_from_payload, ticket_payload
from appliance.pos.receipt import ShopIdentity, TicketKind
from appliance.pos.session import CashSession
from appliance.pos.tender import Tender, validate
from appliance.pos.ticket import Discount, Party, Ticket

NOW = datetime(2026, 11, 28, 13, 5, tzinfo=UTC)
SHOP = ShopIdentity("Épicerie Test", siret="12345678900011")


def test_receipt_has_lines_vat_table_tenders_and_marks():
    ticket = (Ticket.open(NOW, training=True).add_line("P1", "Savon", 2000, 450, 2000)
              .add_line("P2", "Pain", 1000, 120, 550).override_price(2, 100)
              .set_ticket_discount(Discount.amount(10)).with_seller(Party("U1", "Marie")))
    sale = validate(ticket, [Tender("CASH", 2000)], NOW)
    receipt = build_receipt(sale, shop=SHOP, register_name="C01", ticket_number="X-4",
                            issued_at=local_text(sale.closed_utc, ZoneInfo("Europe/Paris")),
                            fiscal_lines=("seq 12 · 1a2b3c4d",), duplicate_number=2)
    assert receipt.issued_at == "28/11/2026 14:05"
    assert [(line.vat_code, line.total_cents) for line in receipt.lines] == [("A", 900), ("C", 100)]
    assert receipt.lines[1].original_unit_price_cents == 120
    assert [row.code for row in receipt.vat_rows] == ["A", "C"]
    assert receipt.total_ttc_cents == 990 and receipt.ticket_discount_cents == 10
    assert receipt.tenders[0].label == "Espèces" and receipt.change_cents == 1010
    assert receipt.training and receipt.duplicate_number == 2 and receipt.seller == "Marie"
    assert receipt.line_count == 2


def test_void_receipt_refers_to_the_original():
    sale = validate(Ticket.open(NOW).add_line("P1", "Savon", 1000, 450, 2000),
                    [Tender("CARD", 450)], NOW)
    original = original_from_payload(ticket_payload(sale), 981, "ab" * 32)
    void = validate(Ticket.void_of(original, NOW), [Tender("CARD", -450)], NOW)
    receipt = build_receipt(void, shop=SHOP, register_name="C01", ticket_number="982",
                            issued_at="28/11/2026 14:05", original_issued_at="28/11/2026 14:00")
    assert receipt.kind is TicketKind.VOID and receipt.original_ticket == "981"
    assert receipt.total_ttc_cents == -450


def test_x_and_z_reports_show_expected_counted_and_discrepancy():
    session = CashSession.open(NOW, "Marie", float_total=5000)
    x = build_session_report(session.x_figures(NOW), shop=SHOP, register_name="C01",
                             issued_at="now")
    assert x.title.startswith("RAPPORT X")
    _, figures = session.close({"CASH": 4990}, NOW)
    z = build_session_report(figures, shop=SHOP, register_name="C01", issued_at="now")
    rows = {row.label: row.amount_cents for section in z.sections for row in section.rows}
    assert rows["Espèces attendu"] == 5000 and rows["Espèces compté"] == 4990
    assert rows["Espèces écart"] == -10 and rows["Écart"] == -10
