"""The Till kicks the configured drawer: its own serial line (a pty), or none without a printer."""


from appliance.devices.drawer import DrawerSettings, kick_bytes
from appliance.till import PrinterState
from tests.devices.helpers import PtyPrinter
from tests.till.helpers import new_till, write_config

SELLER = "Marie Dupont"


def _sell(till, method):
    till.set_seller(SELLER)
    product = till.products_in("Épicerie salée")[0]
    till.add_product(product.id)
    till.pay(method, product.price_cents)
    return till.validate()


def test_a_cash_sale_kicks_the_serial_drawer_even_without_a_printer(tmp_path, sandbox):
    line = PtyPrinter()
    drawer = f'\n[drawer]\nconnection = "serial:{line.path}:9600"\npin = 5\npulse_on_ms = 60\n'
    till = new_till(write_config(tmp_path, sandbox, printer="none", extra=drawer))
    try:
        till.open_session(1000)
        expected = kick_bytes(DrawerSettings(pin=5, pulse_on_ms=60, pulse_off_ms=500))
        assert not _sell(till, "CARD").printed  # no cash: the drawer stays shut
        _sell(till, "CASH")
        line.wait_for(lambda pty: len(pty.raw) >= len(expected))
        till.cash_in(200, "monnaie")  # money put in outside a sale opens it too
        line.wait_for(lambda pty: len(pty.raw) >= 2 * len(expected))
        assert bytes(line.raw) == expected * 2
        status = till.status()
        assert status.printer is PrinterState.NONE
        assert "aucune imprimante" in status.printer_message
    finally:
        till.close()
        line.close()


def test_without_printer_a_drawer_on_the_printer_is_skipped_and_the_status_says_so(
    tmp_path, sandbox
):
    till = new_till(write_config(tmp_path, sandbox, printer="none"))
    try:
        till.open_session(1000)
        sale = _sell(till, "CASH")
        assert (sale.printed, sale.print_error) == (False, "")
        status = till.status()
        assert status.printer is PrinterState.NONE
        assert "aucune imprimante" in status.printer_message
    finally:
        till.close()
