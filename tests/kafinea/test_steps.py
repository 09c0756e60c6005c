"""What to do next for an outbox row, given its progress: plain data in, plain data out."""

from decimal import Decimal

from appliance.kafinea import steps
from appliance.kafinea.documents import Document, Targets
from appliance.pos.tender import Tender
from tests.kafinea.samples import (
    CTX,
    TARGETS,
    doc,
    sale_payload,
    server_total,
    void_of_first_ticket,
)


def test_sale_steps_in_order_create_finalise_pay():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    step = steps.next_step(d, {}, CTX, TARGETS)
    assert isinstance(step, steps.Create) and step.module == "Invoice"
    progress = steps.record(steps.intent({}, step, 1), step, {"id": "7x10", "hdnGrandTotal": 12.4})
    step = steps.next_step(d, progress, CTX, TARGETS)
    assert step == steps.Revise("invoice_final", {"id": "7x10", "invoicestatus": "Approved"}, True)
    progress = steps.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.40000000"})
    step = steps.next_step(d, progress, CTX, TARGETS)
    assert isinstance(step, steps.Create) and step.module == "Payments"
    assert step.element["amount"] == "12.40"
    assert step.element["related_to"] == "7x10"
    assert step.element["payment_method"] == "Carte bancaire"
    assert step.element["reference"] == "C1-T000001/P1"
    progress = steps.record(progress, step, {"id": "48x11"})
    assert steps.next_step(d, progress, CTX, TARGETS) == steps.Done()


def test_an_intent_without_an_id_is_looked_up_before_any_new_create():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    create = steps.next_step(d, {}, CTX, TARGETS)
    progress = steps.intent({}, create, 1)  # sent, then the answer was lost
    step = steps.next_step(d, progress, CTX, TARGETS)
    assert isinstance(step, steps.Lookup)
    assert (step.module, step.field, step.value) == ("Invoice", "cf_ticket_ref", "C1-T000001")
    # found: it continues from the record found, never creating a second one
    found = steps.record(
        progress,
        step,
        {
            "id": "7x10",
            "hdnGrandTotal": "12.40000000",
            "txtAdjustment": "0.00000000",
            "invoicestatus": "Created",
        },
    )
    assert isinstance(steps.next_step(d, found, CTX, TARGETS), steps.Revise)
    # not found: the create is sent again
    assert steps.next_step(d, steps.record(progress, step, None), CTX, TARGETS) == create


def test_a_lookup_finding_a_finalised_invoice_goes_straight_to_payments():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000", "status": "Approved"}}
    assert isinstance(steps.next_step(d, progress, CTX, TARGETS), steps.Create)


def test_an_unknown_finalising_revise_is_read_back_not_resent():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000", "adjustment": "0"}}
    revise = steps.next_step(d, progress, CTX, TARGETS)
    pending = steps.intent(progress, revise, 1)
    step = steps.next_step(d, pending, CTX, TARGETS)
    assert step == steps.Retrieve("invoice_final", "7x10", "invoicestatus", "Approved")
    locked = steps.record(
        pending, step, {"id": "7x10", "invoicestatus": "Approved", "hdnGrandTotal": "12.40000000"}
    )
    assert isinstance(steps.next_step(d, locked, CTX, TARGETS), steps.Create)  # payment next
    unchanged = steps.record(pending, step, {"id": "7x10", "invoicestatus": "Created"})
    assert steps.next_step(d, unchanged, CTX, TARGETS) == revise


def test_a_server_total_off_by_a_cent_is_corrected_once_then_reported():
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.39000000", "adjustment": "0.00000000"}}
    step = steps.next_step(d, progress, CTX, TARGETS)
    assert step == steps.Revise("invoice_fix", {"id": "7x10", "txtAdjustment": "0.01000000"})
    fixed = steps.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.40000000"})
    assert steps.next_step(d, fixed, CTX, TARGETS).guarded  # then finalised
    still_wrong = steps.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.00000000"})
    failure = steps.next_step(d, still_wrong, CTX, TARGETS)
    assert isinstance(failure, steps.Fail)
    assert "(12,00 €)" in failure.reason and "(12,40 €)" in failure.reason


def test_without_payments_module_the_invoice_records_received_and_paid():
    targets = Targets(payment_module=None)
    payload = sale_payload([(1000, 1240, 2000)])
    d = doc(payload)
    progress = {"invoice": {"id": "7x10", "total": "12.40000000"}}
    step = steps.next_step(d, progress, CTX, targets)
    assert step.element == {"id": "7x10", "invoicestatus": "Paid", "received": "12.40"}
    done = steps.record(progress, step, {"id": "7x10", "hdnGrandTotal": "12.4"})
    assert steps.next_step(d, done, CTX, targets) == steps.Done()


def test_a_void_is_a_credit_note_on_the_original_invoice_with_a_refund():
    payload = sale_payload([(2000, 450, 550)], [Tender("CASH", 1000)])
    d = void_of_first_ticket()
    step = steps.next_step(d, {}, CTX, TARGETS)
    assert step == steps.Lookup("origin", "Invoice", "cf_ticket_ref", "C1-T000001", required=True)
    assert steps.record({}, step, None) == {"origin": {"missing": True}}
    assert isinstance(steps.next_step(d, {"origin": {"missing": True}}, CTX, TARGETS), steps.Fail)
    step = steps.next_step(d, {}, CTX, TARGETS, origin_invoice_id="7x10")
    assert step.module == "CreditNotes"
    assert step.element["invoice_id"] == "7x10"
    assert step.element["LineItems"][0]["quantity"] == "2.000"
    assert server_total(step.element) == Decimal("9.00")
    progress = {
        "credit": {"id": "49x3", "total": "9.00000000"},
        "credit_final": {"id": "49x3", "total": "9.00000000"},
    }
    step = steps.next_step(d, progress, CTX, TARGETS, origin_invoice_id="7x10")
    assert step.element["amount"] == "-9.00" and step.element["related_to"] == "49x3"
    assert payload["payments"][0]["amount"] == 1000  # the original sale, untouched


def test_training_tickets_are_never_posted():
    payload = {**sale_payload([(1000, 100, 2000)]), "training": True}
    assert isinstance(steps.next_step(doc(payload), {}, CTX, TARGETS), steps.Fail)


def test_cash_movements_and_closure():
    float_doc = Document(
        "cash",
        "C1-M000003",
        {"kind": "float", "amount": 15000, "at": "2026-11-28 08:00:00"},
        "2026-11-28",
    )
    step = steps.next_step(float_doc, {}, CTX, TARGETS)
    assert step.module == "CashTransactions"
    assert step.element["amount"] == "150.00"
    assert step.element["transaction_type"] == "Fond de caisse"
    assert step.element["description"].startswith("C1-M000003 ")
    pending = steps.intent({}, step, 1)
    lookup = steps.next_step(float_doc, pending, CTX, TARGETS)
    assert (lookup.value, lookup.like) == ("C1-M000003 ", True)
    progress = steps.record(pending, step, {"id": "53x1"})
    step = steps.next_step(float_doc, progress, CTX, TARGETS)
    assert step.element == {
        "id": "52x3",
        "cashregister_status": "Ouverte",
        "cash_balance": "150.00",
    }
    out = Document(
        "cash",
        "C1-M000004",
        {"kind": "out", "amount": 5000, "reason": "banque", "at": "t"},
        "2026-11-28",
    )
    assert steps.next_step(out, {}, CTX, TARGETS).element["amount"] == "-50.00"
    z = Document(
        "closure",
        "C1-Z000001",
        {"cash_discrepancy": -120, "cash_counted": 31240, "at": "t"},
        "2026-11-28",
        number=1,
    )
    step = steps.next_step(z, {}, CTX, TARGETS)
    assert (step.element["amount"], step.element["transaction_type"]) == ("-1.20", "Retrait")
    step = steps.next_step(z, {"cash": {"id": "53x9"}}, CTX, TARGETS)
    assert step.element["cashregister_status"] == "Fermée"
    assert (
        steps.next_step(z, {"cash": {"id": "53x9"}, "register": {"id": "52x3"}}, CTX, TARGETS)
        == steps.Done()
    )


def test_retry_forgets_not_found_verdicts_only():
    assert steps.for_retry({"origin": {"missing": True}, "credit": {"id": "49x1"}}) == {
        "credit": {"id": "49x1"}
    }


def test_without_credit_note_module_a_return_is_a_credit_invoice():
    targets = Targets(credit_module="")
    payload = sale_payload([(2000, 450, 550)], [Tender("CASH", 900)])
    d = void_of_first_ticket()
    step = steps.next_step(d, {}, CTX, targets, origin_invoice_id="7x10")
    assert step.module == "Invoice" and step.element["cf_ticket_ref"] == "C1-T000002"
    assert "C1-T000001" in step.element["description"]
    assert server_total(step.element) == Decimal("9.00")
    progress = {"credit": {"id": "7x11", "total": "9.00000000"}}
    final = steps.next_step(d, progress, CTX, targets, origin_invoice_id="7x10")
    assert final.element == {"id": "7x11", "invoicestatus": "Credit Invoice"}
    assert payload["total_ttc"] == 900
