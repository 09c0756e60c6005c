"""What a ticket, a refund, a tender or a cash movement becomes in Kafinea: data in, data out."""

from dataclasses import replace
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.kafinea import documents
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Tender
from appliance.pos.ticket import Discount, Party
from tests.kafinea.samples import (
    CTX,
    TARGETS,
    doc,
    sale_payload,
    server_total,
    void_of_first_ticket,
)


def test_invoice_carries_register_reference_seller_and_journal_hash():
    payload = sale_payload([(2000, 250, 550), (1000, 1290, 2000)], seller=Party("19x9", "Alice"))
    element, _ = documents.invoice_element(doc(payload), CTX, TARGETS)
    assert element["cf_ticket_ref"] == "C1-T000001"
    assert element["cf_cashregister_id"] == "52x3"
    assert element["cf_seller"] == "Alice"
    assert element["account_id"] == "11x7"
    assert element["invoicestatus"] == "Created"
    assert "journal n° 7" in element["description"] and "abababab" in element["description"]
    assert element["productid"] == "14x1" and len(element["LineItems"]) == 2
    assert element["LineItems"][0]["tax3"] == "5.500"
    assert server_total(element) == Decimal("17.90")


ticket_lines = st.lists(
    st.tuples(
        st.sampled_from([1000, 2000, 3000, 250, 1250, 333, 7000]),
        st.integers(min_value=1, max_value=99_999),
        st.sampled_from([2000, 1000, 550, 210]),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(
    lines=ticket_lines,
    mode=st.sampled_from([PriceMode.TTC, PriceMode.HT]),
    percent=st.one_of(st.none(), st.integers(min_value=1, max_value=5000)),
)
def test_server_grand_total_equals_the_ticket_to_the_cent(lines, mode, percent):
    discount = Discount.percent(percent) if percent else None
    payload = sale_payload(lines, mode=mode, discount=discount)
    element, _ = documents.invoice_element(doc(payload), CTX, TARGETS)
    total = server_total(element)
    assert documents.same_cents(total, payload["total_ttc"])
    # far from any rounding boundary: the server's float sums cannot tip it over
    assert abs(total - Decimal(payload["total_ttc"]) / 100) < Decimal("0.0000001")


def test_cash_rounding_is_part_of_what_the_invoice_asks():
    payload = sale_payload(
        [(1000, 1234, 2000)], [Tender("CASH", 2000)], step=CashRounding.FIVE_CENTS
    )
    assert payload["rounding"] == 1
    element, _ = documents.invoice_element(doc(payload), CTX, TARGETS)
    assert server_total(element) == Decimal("12.35")
    assert documents.tender_amounts(payload) == [("CASH", 1235)]


def test_change_comes_off_the_cash_tenders():
    payload = sale_payload([(1000, 1240, 2000)], [Tender("CARD", 1000), Tender("CASH", 500)])
    assert documents.tender_amounts(payload) == [("CARD", 1000), ("CASH", 240)]


def test_a_void_credit_note_names_what_it_undoes():
    void = void_of_first_ticket()
    element, _ = documents.credit_note_element(void, CTX, TARGETS, "7x10")
    assert element["subject"] == "Annulation ticket 2 - caisse C1"
    assert element["description"].startswith("Annulation du ticket C1-T000001. Ticket 2 ")
    as_invoice, _ = documents.credit_invoice_element(void, CTX, TARGETS)
    assert as_invoice["subject"] == "Avoir : annulation ticket 2 - caisse C1"
    assert as_invoice["description"] == element["description"]


def test_records_are_assigned_to_the_technical_user_only_when_there_is_one():
    payload = sale_payload([(1000, 1240, 2000)])
    anonymous = replace(CTX, user_id="")
    for ctx, expected in ((CTX, "19x5"), (anonymous, None)):
        invoice, _ = documents.invoice_element(doc(payload), ctx, TARGETS)
        payment = documents.payment_element(doc(payload), ctx, TARGETS, 0, "7x10")
        cash = documents.cash_element(
            ctx, TARGETS, ref="C1-M000001", kind="in", cents=100, when="t", text=""
        )
        for element in (invoice, payment, cash):
            assert element.get("assigned_user_id") == expected
