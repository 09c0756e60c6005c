import pytest

from appliance.devices.connection import (
    FileConnection,
    NoConnection,
    SerialConnection,
    TcpConnection,
    UsbConnection,
    parse_connection,
)
from appliance.devices.errors import BadConnectionString, DeviceError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tcp:192.168.1.50:9100", TcpConnection("192.168.1.50", 9100)),
        ("tcp:printer.local", TcpConnection("printer.local", 9100)),
        ("tcp:[fe80::1]:9101", TcpConnection("fe80::1", 9101)),
        ("serial:/dev/ttyUSB0:19200", SerialConnection("/dev/ttyUSB0", 19200)),
        ("serial:/dev/serial/by-id/usb-FTDI_x-if00-port0", SerialConnection(
            "/dev/serial/by-id/usb-FTDI_x-if00-port0", 9600)),
        ("usb:04b8:0e15", UsbConnection(0x04B8, 0x0E15)),
        ("USB:0x04B8:0x0202", UsbConnection(0x04B8, 0x0202)),
        ("file:/dev/usb/lp0", FileConnection("/dev/usb/lp0")),
        (" none ", NoConnection()),
    ],
)
def test_parses_every_form(text, expected):
    assert parse_connection(text) == expected


@pytest.mark.parametrize(
    "connection",
    [TcpConnection("10.0.0.2", 9100), SerialConnection("/dev/ttyS0", 115200),
     UsbConnection(0x0519, 0x0003), FileConnection("/dev/usb/lp1"), NoConnection()],
)
def test_text_form_round_trips(connection):
    assert parse_connection(str(connection)) == connection


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("lpt1", "attendu tcp:"),
        ("tcp::9100", "hôte manquant"),
        ("tcp:host:99999", "port invalide"),
        ("serial:/dev/ttyUSB0:fast", "vitesse invalide"),
        ("usb:epson", "identifiant USB invalide"),
        ("usb:04b8:0e15:2", "identifiant USB invalide"),
        ("file:", "attendu"),
    ],
)
def test_bad_strings_say_what_is_expected(text, hint):
    with pytest.raises(BadConnectionString, match=hint) as caught:
        parse_connection(text)
    assert isinstance(caught.value, DeviceError)
