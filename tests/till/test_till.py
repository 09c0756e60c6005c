"""The Till against the sandbox: the cashier's day, and every refusal leaving nothing behind."""

import threading
from decimal import Decimal

import pytest

from appliance.devices.virtual_printer import running_virtual_printer
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.till import (
    CustomerError,
    InvalidBarcode,
    NoSession,
    PermissionDenied,
    ProductNotFound,
    ProductWithoutPrice,
    RegisterError,
    SellerError,
    SessionState,
    TenderError,
    TicketKind,
    TicketNotFound,
)
from tests.till.helpers import PIN, new_till, shop_of, write_config

SELLER = "Marie Dupont"


@pytest.fixture
def shop(sandbox):
    shop = shop_of(sandbox)
    yield shop
    shop.client.close()


@pytest.fixture
def config(tmp_path, sandbox):
    return write_config(tmp_path, sandbox)


@pytest.fixture
def till(config):
    till = new_till(config)
    yield till
    till.close()


def a_product(till, category="Épicerie salée"):
    return till.products_in(category)[0]


def recorded(till):
    """(tickets in the journal, rows queued for Kafinea): what a refusal must not change."""
    journal = till._p.journal
    count = journal.connection.execute("SELECT count(*) FROM journal WHERE rtype = 'TICKET'")
    return count.fetchone()[0], till.sync_status().pending


def test_a_day_at_the_till_reaches_kafinea(till, shop):
    assert till.status().session.state is SessionState.CLOSED
    with pytest.raises(NoSession):
        till.scan(a_product(till).barcode)
    till.open_session(15000)
    product = a_product(till)
    till.scan(product.barcode)
    view = till.scan(product.barcode)
    assert [(line.quantity_milli, line.total_cents) for line in view.lines] == [
        (2000, 2 * product.price_cents)
    ]
    till.set_seller(SELLER)
    view = till.pay("CASH", 5000)
    assert view.can_validate and view.totals.change_cents == 5000 - 2 * product.price_cents
    sale = till.validate()
    assert (sale.number, sale.kind, sale.total_cents) == (
        "1",
        TicketKind.SALE,
        2 * product.price_cents,
    )
    assert sale.receipt.reference_code.endswith("-T000001")
    assert till.ticket().is_empty
    assert till.sync_status().pending == 2  # the float and the ticket
    report = till.sync_once()
    assert (report.delivered, report.pending) == (2, 0)
    [invoice] = shop.all(
        "Invoice",
        "hdnGrandTotal",
        "cf_seller",
        "invoicestatus",
        cf_ticket_ref=sale.receipt.reference_code,
    )
    assert Decimal(invoice["hdnGrandTotal"]).quantize(Decimal("0.01")) * 100 == sale.total_cents
    assert invoice["cf_seller"] == SELLER and invoice["invoicestatus"] == "Approved"
    x = till.x_report()
    assert x.ticket_count == 1
    assert {m.method: m.expected_cents for m in x.methods}["CASH"] == 15000 + sale.total_cents
    till.cash_out(1000, "dépôt banque")
    z = till.close_session({"CASH": 15000 + sale.total_cents - 1000 - 20})
    assert z.number == 1
    assert {m.method: m.difference_cents for m in z.methods}["CASH"] == -20
    assert till.sync_once().pending == 0
    movements = shop.all("CashTransactions", "amount", "transaction_type")
    assert sorted(Decimal(m["amount"]) for m in movements) == [
        Decimal("-10"),
        Decimal("-0.2"),
        Decimal("150"),
    ]
    assert till.journal_verify().ok


def test_bad_input_gets_a_specific_message_and_records_nothing(till, shop):
    till.open_session(0)
    before = recorded(till)
    with pytest.raises(ProductNotFound, match="1234567890128"):
        till.scan("1234567890128")
    with pytest.raises(InvalidBarcode, match="chiffre de contrôle") as bad:
        till.scan("3760000000013")
    assert bad.value.key == "barcode_check_digit"
    product = a_product(till)
    till.scan(product.barcode)
    with pytest.raises(SellerError, match="vendeur"):
        till.validate()
    till.set_seller(SELLER)
    till.pay("CARD", product.price_cents - 1)
    with pytest.raises(TenderError, match="insuffisant"):
        till.validate()
    with pytest.raises(TenderError, match="non accepté"):
        till.pay("BITCOIN", 100)
    till.remove_tender(0)
    till.pay("CARD", product.price_cents + 100)
    with pytest.raises(TenderError, match="dépassent"):
        till.validate()
    with pytest.raises(SellerError, match="inconnu"):
        till.set_seller("Personne")
    with pytest.raises(TicketNotFound):
        till.start_return("999")
    assert recorded(till) == before
    assert len(till.ticket().lines) == 1  # the ticket being built is intact


def test_product_without_price(till, shop, sandbox):
    created = shop.client.create(
        "Products",
        {
            "productname": "Article sans prix",
            "productcategory": "Boissons",
            "discontinued": "1",
            "cf_853": "3760000000062",
            "tax1": "20",
        },
    )
    till.refresh_catalog()
    till.open_session(0)
    with pytest.raises(ProductWithoutPrice, match="Article sans prix"):
        till.scan("3760000000062")
    with pytest.raises(ProductWithoutPrice):
        till.add_product(created["id"])
    assert till.ticket().is_empty


def test_product_removed_while_parked_and_seller_removed(till, shop):
    till.open_session(0)
    till.set_seller("Karim Benali")
    product = a_product(till)
    till.add_product(product.id)
    parked = till.park()
    assert till.parked()[0].id == parked.id and till.ticket().is_empty
    shop.revise(product.id, discontinued="0")
    register = shop.register()
    shop.revise(register["id"], sellers="Marie Dupont |##| Julie Martin")
    till.refresh_catalog()
    with pytest.raises(ProductNotFound, match="retirés du catalogue"):
        till.recall(parked.id)
    assert [p.id for p in till.parked()] == [parked.id]  # still parked, nothing lost
    other = a_product(till, "Boissons")
    till.add_product(other.id)
    till.pay("CARD", other.price_cents)
    before = recorded(till)
    with pytest.raises(SellerError, match="Karim Benali"):
        till.validate()
    assert recorded(till) == before
    till.set_seller(SELLER)
    assert till.validate().ticket.seller == SELLER


def test_default_account_missing_refuses_anonymous_sales(till, shop):
    register = shop.register()
    shop.revise(register["id"], account_id="")
    till.refresh_catalog()
    till.open_session(0)
    product = a_product(till)
    till.set_seller(SELLER)
    till.add_product(product.id)
    till.pay("CARD", product.price_cents)
    before = recorded(till)
    with pytest.raises(CustomerError, match="compte client par défaut"):
        till.validate()
    assert recorded(till) == before
    account = shop.first("Accounts", accountname="Boulangerie Le Fournil")
    till.set_customer(account["id"])
    sale = till.validate()
    till.sync_once()
    [invoice] = shop.all("Invoice", "account_id", cf_ticket_ref=sale.receipt.reference_code)
    assert invoice["account_id"] == account["id"]


def test_register_not_found(tmp_path, sandbox):
    path = write_config(tmp_path, sandbox, register="Caisse 99")
    till = new_till(path)
    try:
        with pytest.raises(RegisterError, match="Caisse 99"):
            till.refresh_catalog()
        with pytest.raises(RegisterError, match="caisse inconnue"):
            till.open_session(0)
    finally:
        till.close()


def test_training_needs_the_pin_is_numbered_apart_and_never_posted(till, shop):
    till.open_session(0)
    with pytest.raises(PermissionDenied):
        till.enter_training("0000")
    assert till.enter_training(PIN).training
    product = a_product(till)
    till.set_seller(SELLER)
    till.add_product(product.id)
    till.pay("CASH", product.price_cents)
    sale = till.validate()
    assert sale.training and sale.number == "1" and sale.receipt.training
    assert sale.receipt.reference_code.endswith("-E000001")
    assert till.sync_status().pending == 1  # only the float
    till.leave_training(PIN)
    till.add_product(product.id)
    till.pay("CASH", product.price_cents)
    assert till.validate().number == "1"  # the real series starts at 1 too
    assert till.x_report().ticket_count == 1
    till.sync_once()
    assert len(shop.all("Invoice", "cf_ticket_ref")) == 1


def test_return_by_receipt_code_partial_quantity_and_void(till, shop):
    till.open_session(0)
    till.set_seller(SELLER)
    product = a_product(till)
    till.add_product(product.id)
    till.set_quantity(till.ticket().lines[0].index, 3000)
    till.pay("CARD", 3 * product.price_cents)
    sale = till.validate()
    view = till.start_return(sale.receipt.reference_code)
    assert view.kind is TicketKind.RETURN and view.lines[0].quantity_milli == -3000
    view = till.set_quantity(view.lines[0].index, 1000)
    assert view.totals.total_ttc_cents == -product.price_cents
    till.pay("CARD", product.price_cents)
    refund = till.validate()
    assert refund.total_cents == -product.price_cents
    with pytest.raises(PermissionDenied):
        till.void(sale.number)
    view = till.start_return(sale.number)  # what is left: 2
    assert view.lines[0].quantity_milli == -2000
    till.clear_ticket()
    till.sync_once()
    [invoice] = shop.all("Invoice", cf_ticket_ref=sale.receipt.reference_code)
    [credit] = shop.all(
        "CreditNotes", "invoice_id", "hdnGrandTotal", cf_ticket_ref=refund.receipt.reference_code
    )
    assert credit["invoice_id"] == invoice["id"]
    assert Decimal(credit["hdnGrandTotal"]).quantize(Decimal("0.01")) * 100 == product.price_cents


def test_receipts_print_duplicates_are_counted_and_a_dead_printer_loses_nothing(tmp_path, sandbox):
    with running_virtual_printer(tmp_path / "printer") as printer:
        path = write_config(tmp_path, sandbox, printer=printer.connection_string)
        till = new_till(path)
        try:
            till.open_session(1000)
            till.set_seller(SELLER)
            product = a_product(till)
            till.add_product(product.id)
            till.pay("CASH", product.price_cents)
            sale = till.validate()
            assert sale.printed
            paper = printer.wait_for_receipt()
            assert product.name[:20] in paper.text
            assert till.reprint(sale.number).duplicate_number == 1
            second = till.reprint(sale.receipt.reference_code)
            assert second.duplicate_number == 2
            assert "DUPLICATA" in printer.wait_for_receipt().text
        finally:
            till.close()
    till = new_till(path)  # the printer is gone now
    try:
        till.set_seller(SELLER)
        till.add_product(product.id)
        till.pay("CARD", product.price_cents)
        sale = till.validate()
        assert not sale.printed and sale.print_error
        assert till.status().printer.value == "offline"
        assert till.sync_status().pending >= 1  # recorded and queued all the same
    finally:
        till.close()


def test_session_survives_a_restart(config):
    till = new_till(config)
    till.open_session({2000: 2, 100: 5})
    product = a_product(till)
    till.set_seller(SELLER)
    till.add_product(product.id)
    till.pay("CASH", product.price_cents)
    till.validate()
    till.cash_in(500, "monnaie")
    expected = till.status().session.expected_cash_cents
    till.close()
    again = new_till(config)
    try:
        session = again.status().session
        assert session.state is SessionState.OPEN
        assert (session.float_cents, session.expected_cash_cents, session.ticket_count) == (
            4500,
            expected,
            1,
        )
    finally:
        again.close()


def test_threads_share_the_till_safely(till):
    till.open_session(0)
    till.set_seller(SELLER)
    products = till.products_in("Boissons")[:2]
    listener_calls = []
    remove = till.add_listener(listener_calls.append)

    def scanner():
        for _ in range(50):
            till.scan(products[0].barcode)

    def screen():
        for _ in range(50):
            till.add_product(products[1].id)
            till.search("pa")

    def sync():
        for _ in range(20):
            till.sync_now()
            till.status()

    threads = [threading.Thread(target=t) for t in (scanner, screen, sync)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = {line.product_id: line.quantity_milli for line in till.ticket().lines}
    assert lines == {products[0].id: 50_000, products[1].id: 50_000}
    total = till.ticket().totals.total_ttc_cents
    till.pay("CARD", total)
    till.validate()
    assert listener_calls and listener_calls[-1].session.ticket_count == 1
    remove()
    till.x_report()
    calls = len(listener_calls)
    till.cash_in(100, "test")
    assert len(listener_calls) == calls


def test_instance_without_payments_and_credit_notes_modules(tmp_path):
    hidden = {"Payments", "CreditNotes"}
    with running_sandbox(tmp_path / "sandbox", hidden_modules=hidden) as sandbox:
        till = new_till(write_config(tmp_path, sandbox))
        shop = shop_of(sandbox)
        try:
            till.open_session(0)
            till.set_seller(SELLER)
            product = a_product(till)
            till.add_product(product.id)
            till.pay("CARD", product.price_cents)
            sale = till.validate()
            till.void(sale.number, PIN)
            till.pay("CARD", product.price_cents)
            void = till.validate()
            report = till.sync_once()
            assert (report.pending, report.errors) == (0, ())
            [invoice] = shop.all(
                "Invoice", "received", "invoicestatus", cf_ticket_ref=sale.receipt.reference_code
            )
            assert invoice["invoicestatus"] == "Paid"
            assert Decimal(invoice["received"]) * 100 == product.price_cents
            [credit] = shop.all(
                "Invoice",
                "invoicestatus",
                "hdnGrandTotal",
                cf_ticket_ref=void.receipt.reference_code,
            )
            assert credit["invoicestatus"] == "Credit Invoice"
            assert Decimal(credit["hdnGrandTotal"]).quantize(Decimal("0.01")) * 100 == (
                product.price_cents
            )
        finally:
            till.close()
            shop.client.close()
