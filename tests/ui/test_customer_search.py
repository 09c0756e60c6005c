"""The customer account search on the real kiosk window, against real parts.

The cashier taps the customer button of the ticket, types a part of the name or the phone
number on the on-screen keyboard, taps the account: it shows on the ticket, prints on the
receipt (virtual printer) and the invoice reaches Kafinea (sandbox) on that account. The
search keeps working with Kafinea gone. The product search, its sibling, is drawn on its own
card. Screens saved under test-output/ui/.
"""

import os

import pytest

from appliance.till import Till
from tests.till.helpers import shop_of
from tests.ui.helpers import selling_kiosk

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)"),
]

ELOISE = "L'Atelier d'Éloïse"


@pytest.fixture(scope="module")
def kiosk(parts):
    def seller(till: Till) -> None:
        till.set_seller(till.sellers()[0])

    with selling_kiosk(parts[2], prepare=seller) as driver:
        yield driver


def type_text(kiosk, dialog, text):
    """Tap the keys, then wait for the results of the whole text (not of a prefix)."""
    for char in text:
        key = {" ": "Espace"}.get(char, char)
        kiosk.tap(kiosk.button(key, root=dialog))
    kiosk.wait_for(lambda: dialog.shown_for == dialog.text.strip(), what="search answered")


def open_dialog(kiosk):
    from appliance.ui.dialogs import CustomerDialog  # noqa: PLC0415

    kiosk.tap(kiosk.screen().ids.customer_button)
    [dialog] = [w for w in kiosk.app.root_window.children if isinstance(w, CustomerDialog)]
    return dialog


def results(dialog):
    return [button.text.split("\n")[0] for button in reversed(dialog.results.children)]


def test_name_typed_on_the_keyboard_finds_the_account(kiosk):
    sale = kiosk.screen()
    code = next(
        p.barcode
        for c in kiosk.app.till.categories()
        for p in kiosk.app.till.products_in(c.name)
        if p.barcode and p.price_cents
    )
    kiosk.app.scan(code)
    assert sale.ids.customer_button.text == "Client comptoir"
    dialog = open_dialog(kiosk)
    kiosk.screenshot("20-customer-dialog")
    type_text(kiosk, dialog, "eloi")
    kiosk.wait_for(lambda: results(dialog) == [ELOISE], what="search results")
    assert dialog.field.text == "eloi_"
    kiosk.screenshot("21-customer-results")
    kiosk.tap(dialog.results.children[-1])  # the first result (Kivy lists the last first)
    assert dialog.parent is None  # closed
    assert sale.ticket.customer_name == ELOISE
    assert sale.ids.customer_button.text == ELOISE
    kiosk.screenshot("22-sale-with-customer")


def test_phone_digits_and_back_to_the_counter_account(kiosk):
    sale = kiosk.screen()
    dialog = open_dialog(kiosk)
    type_text(kiosk, dialog, "06 98")
    kiosk.wait_for(lambda: results(dialog) == ["Hélène Lefèvre"], what="phone search")
    type_text(kiosk, dialog, "x")  # nobody: a plain sentence, no stale results
    kiosk.wait_for(lambda: results(dialog) == ["Aucun client trouvé"], what="no result")
    kiosk.tap(kiosk.button("Client comptoir", root=dialog))
    assert sale.ticket.customer_name == ""
    assert sale.ids.customer_button.text == "Client comptoir"
    dialog = open_dialog(kiosk)
    type_text(kiosk, dialog, "l'ate")  # the apostrophe key
    kiosk.wait_for(lambda: results(dialog)[:1] == [ELOISE], what="apostrophe search")
    kiosk.tap(dialog.results.children[-1])  # the first result (Kivy lists the last first)
    assert sale.ticket.customer_name == ELOISE


def test_receipt_and_invoice_carry_the_chosen_account(kiosk, parts):
    sandbox, printer, _config = parts
    sale = kiosk.screen()
    kiosk.tap(sale.ids.pay_button)
    payment = kiosk.screen()
    kiosk.tap(payment.ids.exact_button)
    kiosk.tap(payment.ids.print_button)
    kiosk.wait_for(lambda: payment.stage == "done", what="validation")
    receipt = printer.wait_for_receipt(timeout=10)
    assert f"Client : {ELOISE}" in receipt.text
    reference = payment.result.receipt.reference_code
    kiosk.tap(payment.ids.next_button)
    assert kiosk.screen().ticket.customer_name == ""  # the next ticket: counter sale
    till = kiosk.app.till
    till.sync_now()
    kiosk.wait_for(lambda: till.sync_status().pending == 0, timeout=30, what="sync")
    shop = shop_of(sandbox)
    try:
        [invoice] = shop.all("Invoice", "account_id", cf_ticket_ref=reference)
        eloise = shop.first("Accounts", accountname=ELOISE)
    finally:
        shop.client.close()
    assert invoice["account_id"] == eloise["id"]


def test_the_product_search_is_drawn_on_its_card(kiosk):
    """Its white card hides the sale screen behind (it once drew none: the colour only)."""
    from PIL import Image  # noqa: PLC0415

    kiosk.tap(kiosk.screen().ids.search_button)
    shot = kiosk.screenshot("24-product-search")
    kiosk.tap(kiosk.button("Fermer"))
    with Image.open(shot) as image:
        # right of the keyboard, below the close button: only the card is there
        assert image.convert("RGB").getpixel((700, 300)) == (255, 255, 255)


def test_search_works_with_kafinea_gone(kiosk, parts):
    sandbox, _printer, _config = parts
    sandbox.server.stop()
    dialog = open_dialog(kiosk)
    type_text(kiosk, dialog, "gaelle")
    kiosk.wait_for(lambda: results(dialog) == ["Gaëlle Kerhervé"], what="offline search")
    kiosk.screenshot("23-customer-offline")
    kiosk.tap(kiosk.button("Annuler", root=dialog))
    assert kiosk.screen().ticket.customer_name == ""
