"""Cash drawers: through the printer (TCP virtual printer) and on their own serial line (pty)."""

import pytest

from appliance.devices.connection import (
    NoConnection,
    SerialConnection,
    TcpConnection,
    ThroughPrinter,
)
from appliance.devices.drawer import (
    DrawerSettings,
    NoDrawer,
    PrinterDrawer,
    SerialDrawer,
    kick_bytes,
    open_drawer,
)
from appliance.devices.errors import DrawerError
from appliance.devices.escpos_decode import DrawerKick
from appliance.devices.printer import open_printer
from appliance.devices.virtual_printer import running_virtual_printer
from tests.devices.helpers import PtyPrinter


def test_kick_bytes_match_python_escpos_defaults_and_settings():
    assert kick_bytes(DrawerSettings()) == b"\x1bp\x00\x32\x32"  # escpos cashdraw(2)
    assert kick_bytes(DrawerSettings(pin=5)) == b"\x1bp\x01\x32\x32"  # escpos cashdraw(5)
    assert kick_bytes(DrawerSettings(pin=2, pulse_on_ms=50, pulse_off_ms=50)) == (
        b"\x1bp\x00\x19\x19")


@pytest.mark.parametrize("changes", [{"pin": 3}, {"pulse_on_ms": 0}, {"pulse_off_ms": 600},
                                     {"open_level": "sideways"}])
def test_bad_settings_are_refused(changes):
    with pytest.raises(DrawerError):
        DrawerSettings(**changes)


def test_drawer_through_the_printer_and_its_open_state(tmp_path):
    with running_virtual_printer(tmp_path) as virtual:
        printer = open_printer(virtual.address,
                               drawer=DrawerSettings(pin=5, pulse_on_ms=60, pulse_off_ms=240))
        drawer = open_drawer(ThroughPrinter(), printer)
        assert isinstance(drawer, PrinterDrawer)
        assert drawer.is_open() is False
        drawer.kick()
        assert virtual.wait_for_kick() == DrawerKick(5, 60, 240)
        assert drawer.is_open() is True  # the simulated connector pin is now high


def test_drawer_through_an_unreachable_printer_raises_drawer_error():
    printer = open_printer(TcpConnection("127.0.0.1", 1), timeout_s=0.5)
    with pytest.raises(DrawerError, match="tiroir non ouvert"):
        open_drawer(ThroughPrinter(), printer).kick()


def test_serial_drawer_on_a_pty():
    line = PtyPrinter()
    try:
        drawer = open_drawer(SerialConnection(line.path), open_printer(NoConnection()),
                             DrawerSettings(pulse_on_ms=100, pulse_off_ms=100))
        assert isinstance(drawer, SerialDrawer) and drawer.present  # needs no printer
        drawer.kick()
        line.wait_for(lambda simulated: simulated.events)
        assert line.events == [DrawerKick(2, 100, 100)]
        assert drawer.is_open() is None
    finally:
        line.close()


def test_serial_drawer_missing_device():
    with pytest.raises(DrawerError, match="/dev/ttyNOPE"):
        SerialDrawer(SerialConnection("/dev/ttyNOPE", 9600)).kick()


def test_no_drawer():
    drawer = open_drawer(NoConnection(), open_printer(NoConnection()))
    assert isinstance(drawer, NoDrawer) and not drawer.present
    with pytest.raises(DrawerError, match="aucun tiroir"):
        drawer.kick()


def test_a_drawer_on_the_printer_is_present_only_with_a_printer():
    """The Till kicks only a present drawer, so this refusal never shows at the till."""
    assert not open_drawer(ThroughPrinter(), open_printer(NoConnection())).present
    assert open_drawer(ThroughPrinter(), open_printer(TcpConnection("127.0.0.1", 9))).present
    with pytest.raises(DrawerError, match="aucune imprimante"):
        PrinterDrawer(open_printer(NoConnection())).kick()  # the drawer command hears why
