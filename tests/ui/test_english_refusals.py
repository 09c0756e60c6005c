"""An English kiosk shows the Till's refusals in English, with their numbers and names.

The real window in English, against real parts: an unknown barcode (a refusal of the Till),
a wrong check digit (a refusal of the domain the Till passes on) and a price change refused
for want of the manager's code, then accepted with it; and a scan on a screen that has no use
for it, said rather than dropped. Screens saved under test-output/ui/.
"""

import os

import pytest

from tests.ui.helpers import selling_kiosk

pytestmark = [
    pytest.mark.ui,
    pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)"),
]

MANAGER_PIN = "1234"  # the demo configuration's


@pytest.fixture(scope="module")
def kiosk(parts):
    with selling_kiosk(parts[2], language="en") as driver:
        yield driver


def shown(kiosk):
    bar = kiosk.app.root.ids.message
    assert bar.shown and bar.is_error
    return bar.text


def test_an_unknown_barcode_is_refused_in_english_with_the_code(kiosk):
    kiosk.app.scan("1234567890128")
    assert shown(kiosk) == "unknown item: barcode 1234567890128 (not in the register's catalogue)"
    kiosk.screenshot("40-english-refusal")
    assert kiosk.screen().ticket.is_empty


def test_a_refusal_of_the_domain_is_in_english_too(kiosk):
    kiosk.app.scan("3760000000013")
    assert shown(kiosk) == (
        "barcode 3760000000013 refused: wrong check digit (expected 7, read 3); scan again"
    )


def test_a_price_change_asks_for_the_manager_code_and_refuses_a_wrong_one(kiosk):
    till, sale = kiosk.app.till, kiosk.screen()
    product = next(p for p in till.products_in(till.categories()[0].name) if p.barcode)
    kiosk.app.scan(product.barcode)
    assert len(sale.ticket.lines) == 1
    for key in "1,5":
        kiosk.tap(kiosk.button(key, root=sale.ids.keypad))
    kiosk.tap(sale.ids.price_button)  # no code typed yet: the PIN dialog opens
    for digit in "0000":
        kiosk.tap(kiosk.button(digit))
    kiosk.tap(kiosk.button("OK"))
    assert shown(kiosk) == "price change: manager code required"
    assert sale.ticket.lines[0].unit_price_cents == product.price_cents
    assert sale.entry == "1,5"  # kept for the next try
    kiosk.tap(sale.ids.price_button)
    for digit in MANAGER_PIN:
        kiosk.tap(kiosk.button(digit))
    kiosk.tap(kiosk.button("OK"))
    assert sale.ticket.lines[0].unit_price_cents == 150
    assert sale.entry == ""
    kiosk.app.till.clear_ticket()


def test_a_scan_on_a_screen_with_no_use_for_it_is_said_not_dropped(kiosk):
    kiosk.app.show("cash", direction="in")
    kiosk.app.scan("3017620422003")
    assert shown(kiosk) == "Scan ignored here: 3017620422003"
    kiosk.app.show("sale")
