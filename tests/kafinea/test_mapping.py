"""The ticket -> Kafinea mapping and the next-step decisions: plain data in, plain data out."""

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.kafinea import mapping as m
from appliance.kafinea.sandbox import inventory
from appliance.pos.fiscal import ticket_payload
from appliance.pos.tax import PriceMode
from appliance.pos.tender import CashRounding, Tender, validate
from appliance.pos.ticket import Discount, OriginalTicket, Party, Ticket

AT = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
CTX = m.Context(
    register_id="52x3",
    register_code="C1",
    default_account_id="11x7",
    user_id="19x5",
    tax_keys={2000: "tax1", 1000: "tax2", 550: "tax3", 210: "tax4"},
)
TARGETS = m.Targets()
RATES = {"tax1": "20.000", "tax2": "10.000", "tax3": "5.500", "tax4": "2.100"}
KEY_OF = {2000: "tax1", 1000: "tax2", 550: "tax3", 210: "tax4"}


def sale_payload(lines, tenders=None, *, mode=PriceMode.TTC, discount=None, step=None, seller=None):
    ticket = Ticket.open(AT, price_mode=mode, seller=seller)
    for n, (qty, price, rate) in enumerate(lines, start=1):
        ticket = ticket.add_line(f"14x{n}", f"Article {n}", qty, price, rate)
    if discount:
        ticket = ticket.set_ticket_discount(discount)
    total = ticket.totals().total_ttc
    default = [Tender("CARD", total)] if total else []
    sale = validate(ticket, tenders or default, AT, step or CashRounding.NONE)
    return ticket_payload(sale)


def server_total(element):
    """What the sandbox (vtiger's formula) computes for this element."""
    data = {**element, "LineItems": [dict(line) for line in element["LineItems"]]}
    product_rate = {line["productid"]: line for line in element["LineItems"]}

    def taxes_of(product_id):
        line = product_rate[product_id]
        return {key: RATES[key] for key in RATES if key in line}

    inventory.compute_totals(data, taxes_of)
    return Decimal(data["hdnGrandTotal"])


def doc(payload, ref="C1-T000001", **kw):
    return m.Document(
        "ticket", ref, payload, "2026-11-28", journal_seq=7, journal_hash="ab" * 32, number=1, **kw
    )


def test_invoice_carries_register_reference_seller_and_journal_hash():
    payload = sale_payload([(2000, 250, 550), (1000, 1290, 2000)], seller=Party("19x9", "Alice"))
    element, _ = m.invoice_element(doc(payload), CTX, TARGETS)
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
    element, _ = m.invoice_element(doc(payload), CTX, TARGETS)
    total = server_total(element)
    assert m.same_cents(total, payload["total_ttc"])
    # far from any rounding boundary: the server's float sums cannot tip it over
    assert abs(total - Decimal(payload["total_ttc"]) / 100) < Decimal("0.0000001")


def test_cash_rounding_is_part_of_what_the_invoice_asks():
    payload = sale_payload(
        [(1000, 1234, 2000)], [Tender("CASH", 2000)], step=CashRounding.FIVE_CENTS
    )
    assert payload["rounding"] == 1
    element, _ = m.invoice_element(doc(payload), CTX, TARGETS)
    assert server_total(element) == Decimal("12.35")
    assert m.tender_amounts(payload) == [("CASH", 1235)]


def test_change_comes_off_the_cash_tenders():
    payload = sale_payload([(1000, 1240, 2000)], [Tender("CARD", 1000), Tender("CASH", 500)])
    assert m.tender_amounts(payload) == [("CARD", 1000), ("CASH", 240)]


def test_sale_steps_in_order_create_finalise_pay():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    step = m.next_step(d, {}, CTX, TARGETS)
    assert isinstance(step, m.Create) and step.module == "Invoice"
    progress = m.record(m.intent({}, step, 1), step, {"id": "7x10", "hdnGrandTotal": 12.4})
    step = m.next_step(d, progress, CTX, TARGETS)
    assert step == m.Revise("invoice_final", {"id": "7x10", "invoicestatus": "Approved"}, True)
    progress = m.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.40000000"})
    step = m.next_step(d, progress, CTX, TARGETS)
    assert isinstance(step, m.Create) and step.module == "Payments"
    assert step.element["amount"] == "12.40"
    assert step.element["related_to"] == "7x10"
    assert step.element["payment_method"] == "Carte bancaire"
    assert step.element["reference"] == "C1-T000001/P1"
    progress = m.record(progress, step, {"id": "48x11"})
    assert m.next_step(d, progress, CTX, TARGETS) == m.Done()


def test_an_intent_without_an_id_is_looked_up_before_any_new_create():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    create = m.next_step(d, {}, CTX, TARGETS)
    progress = m.intent({}, create, 1)  # sent, then the answer was lost
    step = m.next_step(d, progress, CTX, TARGETS)
    assert isinstance(step, m.Lookup)
    assert (step.module, step.field, step.value) == ("Invoice", "cf_ticket_ref", "C1-T000001")
    # found: it continues from the record found, never creating a second one
    found = m.record(
        progress,
        step,
        {
            "id": "7x10",
            "hdnGrandTotal": "12.40000000",
            "txtAdjustment": "0.00000000",
            "invoicestatus": "Created",
        },
    )
    assert isinstance(m.next_step(d, found, CTX, TARGETS), m.Revise)
    # not found: the create is sent again
    assert m.next_step(d, m.record(progress, step, None), CTX, TARGETS) == create


def test_a_lookup_finding_a_finalised_invoice_goes_straight_to_payments():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000", "status": "Approved"}}
    assert isinstance(m.next_step(d, progress, CTX, TARGETS), m.Create)


def test_an_unknown_finalising_revise_is_read_back_not_resent():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000", "adjustment": "0"}}
    revise = m.next_step(d, progress, CTX, TARGETS)
    pending = m.intent(progress, revise, 1)
    step = m.next_step(d, pending, CTX, TARGETS)
    assert step == m.Retrieve("invoice_final", "7x10", "invoicestatus", "Approved")
    locked = m.record(
        pending, step, {"id": "7x10", "invoicestatus": "Approved", "hdnGrandTotal": "12.40000000"}
    )
    assert isinstance(m.next_step(d, locked, CTX, TARGETS), m.Create)  # payment next
    unchanged = m.record(pending, step, {"id": "7x10", "invoicestatus": "Created"})
    assert m.next_step(d, unchanged, CTX, TARGETS) == revise


def test_a_server_total_off_by_a_cent_is_corrected_once_then_reported():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.39000000", "adjustment": "0.00000000"}}
    step = m.next_step(d, progress, CTX, TARGETS)
    assert step == m.Revise("invoice_fix", {"id": "7x10", "txtAdjustment": "0.01000000"})
    fixed = m.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.40000000"})
    assert m.next_step(d, fixed, CTX, TARGETS).guarded  # then finalised
    still_wrong = m.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.00000000"})
    failure = m.next_step(d, still_wrong, CTX, TARGETS)
    assert isinstance(failure, m.Fail)
    assert "(12,00 €)" in failure.reason and "(12,40 €)" in failure.reason


def test_without_payments_module_the_invoice_records_received_and_paid():
    targets = m.Targets(payment_module=None)
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000"}}
    step = m.next_step(d, progress, CTX, targets)
    assert step.element == {"id": "7x10", "invoicestatus": "Paid", "received": "12.40"}
    done = m.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.4"})
    assert m.next_step(d, done, CTX, targets) == m.Done()


def void_of_first_ticket() -> m.Document:
    """Ticket 2 voids ticket 1 (two at 4.50 €, cash): the refund document to post."""
    original = OriginalTicket(
        1,
        "ab" * 32,
        AT.isoformat(),
        Ticket.open(AT).kind,
        PriceMode.TTC,
        Ticket.open(AT).add_line("14x1", "A", 2000, 450, 550).totals().lines,
    )
    void = Ticket.void_of(original, AT)
    refund = ticket_payload(validate(void, [Tender("CASH", -900)], AT))
    return m.Document(
        "ticket", "C1-T000002", refund, "2026-11-28", number=2, origin_ref="C1-T000001"
    )


def test_a_void_is_a_credit_note_on_the_original_invoice_with_a_refund():
    payload = sale_payload([(2000, 450, 550)], [Tender("CASH", 1000)])
    d = void_of_first_ticket()
    step = m.next_step(d, {}, CTX, TARGETS)
    assert step == m.Lookup("origin", "Invoice", "cf_ticket_ref", "C1-T000001", required=True)
    assert m.record({}, step, None) == {"origin": {"missing": True}}
    assert isinstance(m.next_step(d, {"origin": {"missing": True}}, CTX, TARGETS), m.Fail)
    step = m.next_step(d, {}, CTX, TARGETS, origin_invoice_id="7x10")
    assert step.module == "CreditNotes"
    assert step.element["invoice_id"] == "7x10"
    assert step.element["LineItems"][0]["quantity"] == "2.000"
    assert server_total(step.element) == Decimal("9.00")
    progress = {
        "credit": {"id": "49x3", "total": "9.00000000"},
        "credit_final": {"id": "49x3", "total": "9.00000000"},
    }
    step = m.next_step(d, progress, CTX, TARGETS, origin_invoice_id="7x10")
    assert step.element["amount"] == "-9.00" and step.element["related_to"] == "49x3"
    assert payload["payments"][0]["amount"] == 1000  # the original sale, untouched


def test_training_tickets_are_never_posted():
    payload = {**sale_payload([(1000, 100, 2000)]), "training": True}
    assert isinstance(m.next_step(doc(payload), {}, CTX, TARGETS), m.Fail)


def test_cash_movements_and_closure():
    float_doc = m.Document(
        "cash",
        "C1-M000003",
        {"kind": "float", "amount": 15000, "at": "2026-11-28 08:00:00"},
        "2026-11-28",
    )
    step = m.next_step(float_doc, {}, CTX, TARGETS)
    assert step.module == "CashTransactions"
    assert step.element["amount"] == "150.00"
    assert step.element["transaction_type"] == "Fond de caisse"
    assert step.element["description"].startswith("C1-M000003 ")
    pending = m.intent({}, step, 1)
    lookup = m.next_step(float_doc, pending, CTX, TARGETS)
    assert (lookup.value, lookup.like) == ("C1-M000003 ", True)
    progress = m.record(pending, step, {"id": "53x1"})
    step = m.next_step(float_doc, progress, CTX, TARGETS)
    assert step.element == {
        "id": "52x3",
        "cashregister_status": "Ouverte",
        "cash_balance": "150.00",
    }
    out = m.Document(
        "cash",
        "C1-M000004",
        {"kind": "out", "amount": 5000, "reason": "banque", "at": "t"},
        "2026-11-28",
    )
    assert m.next_step(out, {}, CTX, TARGETS).element["amount"] == "-50.00"
    z = m.Document(
        "closure",
        "C1-Z000001",
        {"cash_discrepancy": -120, "cash_counted": 31240, "at": "t"},
        "2026-11-28",
        number=1,
    )
    step = m.next_step(z, {}, CTX, TARGETS)
    assert (step.element["amount"], step.element["transaction_type"]) == ("-1.20", "Retrait")
    step = m.next_step(z, {"cash": {"id": "53x9"}}, CTX, TARGETS)
    assert step.element["cashregister_status"] == "Fermée"
    assert (
        m.next_step(z, {"cash": {"id": "53x9"}, "register": {"id": "52x3"}}, CTX, TARGETS)
        == m.Done()
    )


def test_retry_forgets_not_found_verdicts_only():
    assert m.for_retry({"origin": {"missing": True}, "credit": {"id": "49x1"}}) == {
        "credit": {"id": "49x1"}
    }


def test_without_credit_note_module_a_return_is_a_credit_invoice():
    targets = m.Targets(credit_module="")
    payload = sale_payload([(2000, 450, 550)], [Tender("CASH", 900)])
    d = void_of_first_ticket()
    step = m.next_step(d, {}, CTX, targets, origin_invoice_id="7x10")
    assert step.module == "Invoice" and step.element["cf_ticket_ref"] == "C1-T000002"
    assert "C1-T000001" in step.element["description"]
    assert server_total(step.element) == Decimal("9.00")
    progress = {"credit": {"id": "7x11", "total": "9.00000000"}}
    final = m.next_step(d, progress, CTX, targets, origin_invoice_id="7x10")
    assert final.element == {"id": "7x11", "invoicestatus": "Credit Invoice"}
    assert payload["total_ttc"] == 900
