"""Which receipt printers this machine can reach, for the setup wizard's printer step.

A technician plugging a printer in should see it listed without knowing its device path:

- kernel printer nodes (`usblp`): the udev name `/dev/appliance/printer`, then `/dev/usb/lp*`;
- serial ports: the udev name `/dev/appliance/printer-serial`, `/dev/serial/by-id/*` (stable
  across reboots), then `/dev/ttyUSB*` and `/dev/ttyACM*`. Each port is asked its status
  (DLE EOT 1) at the usual speeds, so a printer that answers comes with its speed; a port that
  stays silent is still listed at 9600 bauds (some printers never answer). Ports udev marks as
  scanners (`/dev/appliance/scanner-serial-*`) are left out: a scan must not meet printer bytes;
- USB printers (class 7) that no kernel driver holds, seen through pyusb (`usb:VID:PID`);
- a network printer, only by the address typed in (`network_printer`): no scanning of the LAN.

One device reached through several names (a by-id link, a udev link and the node itself) is
listed once, under its most stable name. Every root (`dev`, `sysfs`) and the pyusb backend are
parameters, so tests pass a temporary directory of links to real pseudo-terminals and a pyusb
backend object.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.devices.connection import SerialConnection, TcpConnection, parse_printer_address
from appliance.devices.errors import BadConnectionString, PrinterUnavailable
from appliance.devices.status import QUERY_PRINTER, is_status_byte
from appliance.devices.transports import SerialTransport

log = logging.getLogger(__name__)

SERIAL_BAUDS = (9600, 19200, 38400, 115200)  # the usual ESC/POS speeds, most common first
PRINTER_CLASS = 7  # USB interface class "Printer"

KERNEL_NODES = ("appliance/printer", "usb/lp*")
SERIAL_PORTS = ("appliance/printer-serial", "serial/by-id/*", "ttyUSB*", "ttyACM*")
SCANNER_PORTS = ("appliance/scanner-serial-*",)


@dataclass(frozen=True)
class FoundPrinter:
    """A printer to offer: its address as text (as in the configuration) and a label."""

    connection: str
    label: str


def find_printers(
    dev: Path = Path("/dev"),
    sysfs: Path = Path("/sys"),
    *,
    usb_backend: Any = None,
    probe_timeout_s: float = 0.3,
) -> list[FoundPrinter]:
    """Every local printer candidate: kernel nodes, serial ports, then unclaimed USB ones."""
    return [
        *_kernel_nodes(dev),
        *_serial_ports(dev, probe_timeout_s),
        *_usb_printers(sysfs, usb_backend),
    ]


def network_printer(address: str, timeout_s: float = 3.0) -> FoundPrinter:
    """Check that `address` (host, host:port, [v6]:port; port 9100 by default) accepts a TCP
    connection. Raises `BadConnectionString` for an unreadable address and
    `PrinterUnavailable` with the reason when nothing answers there."""
    text = address.strip()
    if text.lower().startswith("tcp:"):
        text = text[4:]
    if not text:
        raise BadConnectionString("adresse de l'imprimante vide", "par ex. 192.168.1.50:9100")
    connection = parse_printer_address("tcp:" + text)
    assert isinstance(connection, TcpConnection)
    where = f"{connection.host}:{connection.port}"
    try:
        with socket.create_connection((connection.host, connection.port), timeout=timeout_s):
            pass
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise PrinterUnavailable(
            f"aucune imprimante ne répond à {where} ({reason}) : vérifiez l'adresse, le câble"
            " réseau et que l'imprimante est allumée"
        ) from error
    return FoundPrinter(str(connection), f"Imprimante réseau {where}")


# -- kernel printer nodes ----------------------------------------------------------------------


def _kernel_nodes(dev: Path) -> Iterator[FoundPrinter]:
    for path in _unique(_matches(dev, KERNEL_NODES), exclude=set()):
        yield FoundPrinter(f"file:{path}", f"Imprimante USB ({path})")


# -- serial ports ------------------------------------------------------------------------------


def _serial_ports(dev: Path, probe_timeout_s: float) -> Iterator[FoundPrinter]:
    scanners = {os.path.realpath(path) for path in _matches(dev, SCANNER_PORTS)}
    for path in _unique(_matches(dev, SERIAL_PORTS), exclude=scanners):
        baud = _answering_baud(str(path), probe_timeout_s)
        if baud is None:
            connection = SerialConnection(str(path))
            label = f"Port série {path} (ne répond pas : {connection.baudrate} bauds)"
        else:
            connection = SerialConnection(str(path), baud)
            label = f"Imprimante série {path} ({baud} bauds)"
        yield FoundPrinter(str(connection), label)


def _answering_baud(device: str, timeout_s: float) -> int | None:
    """The first usual speed at which the port answers a status request like a printer."""
    for baud in SERIAL_BAUDS:
        transport = SerialTransport(SerialConnection(device, baud), timeout_s)
        try:
            reply = transport.query(QUERY_PRINTER)
        except PrinterUnavailable as error:
            log.info("port série %s : %s", device, error)
            return None
        finally:
            transport.close()
        if is_status_byte(reply):
            return baud
    return None


# -- USB through pyusb -------------------------------------------------------------------------


def _usb_printers(sysfs: Path, backend: Any) -> Iterator[FoundPrinter]:
    try:
        import usb.core  # noqa: PLC0415  (optional: pyusb and libusb only for USB printers)
    except ImportError:
        return
    held = _kernel_held(sysfs)
    try:
        devices = list(
            usb.core.find(find_all=True, backend=backend, custom_match=_is_printer) or ()
        )
    except (usb.core.NoBackendError, usb.core.USBError) as error:
        log.info("recherche USB impossible : %s", error)
        return
    for device in devices:
        if (device.bus, device.address) in held:
            continue  # usblp holds it: listed as its kernel node above
        ids = f"{device.idVendor:04x}:{device.idProduct:04x}"
        yield FoundPrinter(f"usb:{ids}", f"Imprimante USB {ids} (sans pilote noyau)")


def _is_printer(device: Any) -> bool:
    if device.bDeviceClass == PRINTER_CLASS:
        return True
    return any(
        interface.bInterfaceClass == PRINTER_CLASS
        for configuration in device
        for interface in configuration
    )


def _kernel_held(sysfs: Path) -> set[tuple[int, int]]:
    """(bus, address) of the USB devices a kernel printer node (usblp) stands for."""
    held = set()
    for node in sorted((sysfs / "class" / "usbmisc").glob("lp*")):
        usb_device = (node / "device").resolve().parent  # the interface's parent: the device
        try:
            bus = int((usb_device / "busnum").read_text())
            address = int((usb_device / "devnum").read_text())
        except (OSError, ValueError):
            continue
        held.add((bus, address))
    return held


# -- paths -------------------------------------------------------------------------------------


def _matches(dev: Path, patterns: Iterable[str]) -> Iterator[Path]:
    for pattern in patterns:
        yield from sorted(dev.glob(pattern))


def _unique(paths: Iterable[Path], exclude: set[str]) -> Iterator[Path]:
    """Paths that exist, one per real device (the first name seen wins), minus `exclude`."""
    seen = set(exclude)
    for path in paths:
        if not path.exists():
            continue  # a dangling udev link: the device is gone
        real = os.path.realpath(path)
        if real in seen:
            continue
        seen.add(real)
        yield path
