"""Printer and drawer addresses as one line of text.

The register record in Kafinea stores the printer address as a string, and the TOML
configuration does the same, so both go through `parse_connection`:

    tcp:HOST:PORT           network printer (raw TCP, usually 9100); HOST may be [v6]
    serial:DEVICE:BAUD      serial printer or drawer, e.g. serial:/dev/ttyUSB0:19200
    usb:VID:PID             USB printer claimed through libusb, hex ids, e.g. usb:04b8:0e15
    file:PATH               kernel printer node, e.g. file:/dev/usb/lp0
    none                    no printer

Parsing is pure and strict: a typo gets a sentence naming the expected form, never a guess.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from appliance.devices.errors import BadConnectionString

_EXPECTED = (
    "attendu tcp:HÔTE:PORT, serial:PÉRIPHÉRIQUE:BAUDS, usb:VID:PID, file:CHEMIN ou none"
)
_HEX4 = re.compile(r"^(0x)?[0-9a-fA-F]{1,4}$")


@dataclass(frozen=True)
class TcpConnection:
    host: str
    port: int = 9100

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"tcp:{host}:{self.port}"


@dataclass(frozen=True)
class SerialConnection:
    device: str
    baudrate: int = 9600

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


Connection = TcpConnection | SerialConnection | UsbConnection | FileConnection | NoConnection


def parse_connection(text: str) -> Connection:
    """Read one connection string; raise `BadConnectionString` with the expected forms."""
    stripped = text.strip()
    scheme, _, rest = stripped.partition(":")
    scheme = scheme.lower()
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
    raise BadConnectionString(f"adresse d'imprimante illisible {text!r} : {_EXPECTED}")


def _parse_port(port_text: str, original: str) -> int:
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise BadConnectionString(
            f"port invalide dans {original!r} : un nombre entre 1 et 65535 (souvent 9100)"
        )
    return int(port_text)


def _parse_tcp(rest: str, original: str) -> TcpConnection:
    if rest.startswith("["):
        host, _, tail = rest[1:].partition("]")
        port_text = tail[1:] if tail.startswith(":") else ""
    else:
        host, _, port_text = rest.rpartition(":") if ":" in rest else (rest, "", "")
    if not host:
        raise BadConnectionString(f"hôte manquant dans {original!r} : {_EXPECTED}")
    if not port_text:
        return TcpConnection(host)
    return TcpConnection(host, _parse_port(port_text, original))


def _parse_serial(rest: str, original: str) -> SerialConnection:
    device, sep, baud_text = rest.rpartition(":")
    if not sep:
        device, baud_text = rest, ""
    if not device:
        raise BadConnectionString(f"port série manquant dans {original!r} : {_EXPECTED}")
    if not baud_text:
        return SerialConnection(device)
    if not baud_text.isdigit() or int(baud_text) <= 0:
        raise BadConnectionString(
            f"vitesse invalide dans {original!r} : 9600, 19200, 38400 ou 115200 par exemple"
        )
    return SerialConnection(device, int(baud_text))


def _parse_usb(rest: str, original: str) -> UsbConnection:
    parts = rest.split(":")
    if len(parts) != 2 or not all(_HEX4.match(part) for part in parts):
        raise BadConnectionString(
            f"identifiant USB invalide dans {original!r} : usb:VID:PID en hexadécimal,"
            " par exemple usb:04b8:0e15 (voir lsusb)"
        )
    return UsbConnection(int(parts[0], 16), int(parts[1], 16))
