"""The one address grammar of printers and drawers, and its text form."""

import pytest

from appliance.devices.connection import (
    DRAWER_FORMS,
    PRINTER_FORMS,
    FileConnection,
    NoConnection,
    SerialConnection,
    TcpConnection,
    ThroughPrinter,
    UsbConnection,
    parse_drawer_address,
    parse_printer_address,
)
from appliance.devices.errors import BadConnectionString, DeviceError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp:192.168.1.50:9100", TcpConnection("192.168.1.50", 9100)),
        ("tcp:printer.local", TcpConnection("printer.local", 9100)),
        ("tcp:[fe80::1]:9101", TcpConnection("fe80::1", 9101)),
        ("tcp:[::1]", TcpConnection("::1", 9100)),
        ("serial:/dev/ttyUSB0:19200", SerialConnection("/dev/ttyUSB0", 19200)),
        ("serial:/dev/ttyS0", SerialConnection("/dev/ttyS0", 9600)),
        ("serial:/dev/serial/by-id/usb-FTDI_x-if00-port0", SerialConnection(
            "/dev/serial/by-id/usb-FTDI_x-if00-port0", 9600)),
        ("usb:04b8:0e15", UsbConnection(0x04B8, 0x0E15)),
        ("USB:0x04B8:0x0202", UsbConnection(0x04B8, 0x0202)),
        ("file:/dev/usb/lp0", FileConnection("/dev/usb/lp0")),
        (" none ", NoConnection()),
        ("None", NoConnection()),
    ],
)
def test_printer_addresses_in_every_form(text, expected):
    assert parse_printer_address(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("printer", ThroughPrinter()),
        (" PRINTER ", ThroughPrinter()),
        ("serial:/dev/ttyUSB0:19200", SerialConnection("/dev/ttyUSB0", 19200)),
        ("serial:/dev/ttyS1", SerialConnection("/dev/ttyS1", 9600)),
        ("none", NoConnection()),
    ],
)
def test_drawer_addresses_in_every_form(text, expected):
    assert parse_drawer_address(text) == expected


@pytest.mark.parametrize(
    "address",
    [TcpConnection("10.0.0.2", 9100), TcpConnection("fe80::1", 9101),
     SerialConnection("/dev/ttyS0", 115200), UsbConnection(0x0519, 0x0003),
     FileConnection("/dev/usb/lp1"), NoConnection()],
)
def test_printer_text_form_round_trips(address):
    assert parse_printer_address(str(address)) == address


@pytest.mark.parametrize(
    "address", [ThroughPrinter(), SerialConnection("/dev/ttyUSB1", 38400), NoConnection()]
)
def test_drawer_text_form_round_trips(address):
    assert parse_drawer_address(str(address)) == address


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("lpt1", "adresse d'imprimante illisible 'lpt1' : attendu tcp:"),
        ("printer", "adresse d'imprimante illisible"),  # a drawer's form only
        ("", "adresse d'imprimante illisible"),
        ("none:x", "adresse d'imprimante illisible"),
        ("tcp::9100", "hôte manquant"),
        ("tcp:host:99999", "port invalide"),
        ("tcp:host:0", "port invalide"),
        ("serial::9600", "port série manquant"),
        ("serial:/dev/ttyUSB0:fast", "vitesse invalide"),
        ("usb:epson", "identifiant USB invalide"),
        ("usb:04b8:0e15:2", "identifiant USB invalide"),
        ("file:", "attendu"),
    ],
)
def test_bad_printer_addresses_say_what_is_expected(text, hint):
    with pytest.raises(BadConnectionString, match=hint) as caught:
        parse_printer_address(text)
    assert isinstance(caught.value, DeviceError)
    assert str(caught.value).endswith(f" : attendu {caught.value.expected}")


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("tcp:10.0.0.1:9100", "adresse 'tcp:10.0.0.1:9100' non prise en charge pour un tiroir"),
        ("usb:04b8:0e15", "non prise en charge pour un tiroir"),
        ("file:/dev/usb/lp0", "non prise en charge pour un tiroir"),
        ("", "adresse de tiroir illisible"),
        ("printer:x", "adresse de tiroir illisible"),
        ("serial:/dev/ttyUSB0:fast", "vitesse invalide"),
    ],
)
def test_bad_drawer_addresses_say_what_is_expected(text, hint):
    with pytest.raises(BadConnectionString, match=hint):
        parse_drawer_address(text)


def test_each_grammar_names_its_own_forms():
    with pytest.raises(BadConnectionString) as printer:
        parse_printer_address("lpt1")
    with pytest.raises(BadConnectionString) as drawer:
        parse_drawer_address("lpt1")
    assert printer.value.expected == PRINTER_FORMS and "usb:VID:PID" in PRINTER_FORMS
    assert drawer.value.expected == DRAWER_FORMS and "usb" not in DRAWER_FORMS
