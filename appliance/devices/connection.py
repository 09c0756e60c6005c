"""Printer and drawer addresses: one grammar, typed values, text only at the edges.

The TOML configuration, the command line, the setup wizard and the Kafinea register record
hold an address as one line of text; everything behind them holds the typed value, and
`str(value)` writes the text back in the form it is read:

    printer                   drawer      what
    tcp:HOST[:PORT]           -           network printer (raw TCP, port 9100 unless given);
                                          an IPv6 HOST is bracketed: tcp:[fe80::1]:9100
    serial:DEVICE[:BAUD]      the same    serial line, 9600 bauds unless given
    usb:VID:PID               -           USB printer claimed through libusb, hex ids (lsusb)
    file:PATH                 -           kernel printer node, e.g. file:/dev/usb/lp0
    none                      none        nothing there
    -                         printer     the drawer is wired to the printer's DK port

The scheme may be in capitals and the text may carry spaces around it. Parsing is pure and
strict: a typo gets a French sentence naming the expected forms, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.devices.errors import BadConnectionString

DEFAULT_TCP_PORT = 9100
DEFAULT_BAUDRATE = 9600
PRINTER_FORMS = (
    "tcp:HÔTE[:PORT], serial:PÉRIPHÉRIQUE[:BAUDS], usb:VID:PID, file:CHEMIN ou none"
)
DRAWER_FORMS = "printer, serial:PÉRIPHÉRIQUE[:BAUDS] ou none"
_HEX4 = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")


@dataclass(frozen=True)
class TcpConnection:
    host: str
    port: int = DEFAULT_TCP_PORT

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}"


@dataclass(frozen=True)
class SerialConnection:
    device: str
    baudrate: int = DEFAULT_BAUDRATE

    def __str__(self) -> str:
        return f"serial:{self.device}:{self.baudrate}"


@dataclass(frozen=True)
class UsbConnection:
    vendor_id: int
    product_id: int

    def __str__(self) -> str:
        return f"usb:{self.vendor_id:04x}:{self.product_id:04x}"


@dataclass(frozen=True)
class FileConnection:
    path: str

    def __str__(self) -> str:
        return f"file:{self.path}"


@dataclass(frozen=True)
class NoConnection:
    def __str__(self) -> str:
        return "none"


@dataclass(frozen=True)
class ThroughPrinter:
    """A drawer kicked through the printer's DK port: an address for a drawer only."""

    def __str__(self) -> str:
        return "printer"


PrinterAddress = TcpConnection | SerialConnection | UsbConnection | FileConnection | NoConnection
DrawerAddress = ThroughPrinter | SerialConnection | NoConnection


def parse_printer_address(text: str) -> PrinterAddress:
    """Read a printer's address; raise `BadConnectionString` naming the expected forms."""
    scheme, rest = _scheme(text)
    if scheme == "none" and not rest:
        return NoConnection()
    if scheme == "tcp":
        return _parse_tcp(rest, text)
    if scheme == "serial":
        return _parse_serial(rest, text)
    if scheme == "usb":
        return _parse_usb(rest, text)
    if scheme == "file" and rest:
        return FileConnection(rest)
    raise BadConnectionString(f"adresse d'imprimante illisible {text!r}", PRINTER_FORMS)


def parse_drawer_address(text: str) -> DrawerAddress:
    """Read a drawer's address (the printer's forms but serial are refused by name)."""
    scheme, rest = _scheme(text)
    if scheme == "printer" and not rest:
        return ThroughPrinter()
    if scheme == "none" and not rest:
        return NoConnection()
    if scheme == "serial":
        return _parse_serial(rest, text)
    if scheme in ("tcp", "usb", "file"):
        raise BadConnectionString(f"adresse {text!r} non prise en charge pour un tiroir",
                                  DRAWER_FORMS)
    raise BadConnectionString(f"adresse de tiroir illisible {text!r}", DRAWER_FORMS)


def _scheme(text: str) -> tuple[str, str]:
    scheme, _, rest = text.strip().partition(":")
    return scheme.lower(), rest


def _parse_tcp(rest: str, original: str) -> TcpConnection:
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not host:
        raise BadConnectionString(f"hôte manquant dans {original!r}",
                                  "tcp:HÔTE[:PORT], par exemple tcp:192.168.1.50:9100")
    if not port_text:
        return TcpConnection(host)
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadConnectionString(f"port invalide dans {original!r}",
                                  "un port de 1 à 65535 après tcp:HÔTE: (souvent 9100)")
    return TcpConnection(host, int(port_text))


def _parse_serial(rest: str, original: str) -> SerialConnection:
    device, sep, baud_text = rest.rpartition(":")
    if not sep:
        device, baud_text = rest, ""
    if not device:
        raise BadConnectionString(f"port série manquant dans {original!r}",
                                  "serial:PÉRIPHÉRIQUE[:BAUDS], par exemple serial:/dev/ttyUSB0")
    if not baud_text:
        return SerialConnection(device)
    if not baud_text.isdigit() or int(baud_text) <= 0:
        raise BadConnectionString(f"vitesse invalide dans {original!r}",
                                  "9600, 19200, 38400 ou 115200 bauds par exemple")
    return SerialConnection(device, int(baud_text))


def _parse_usb(rest: str, original: str) -> UsbConnection:
    parts = rest.split(":")
    if len(parts) != 2 or not all(_HEX4.match(part) for part in parts):
        raise BadConnectionString(f"identifiant USB invalide dans {original!r}",
                                  "usb:VID:PID en hexadécimal, par exemple usb:04b8:0e15"
                                  " (voir lsusb)")
    return UsbConnection(int(parts[0], 16), int(parts[1], 16))
