"""Printer detection over a temporary /dev of links to real pseudo-terminals, a temporary
sysfs, a pyusb backend object, and real TCP sockets on loopback."""

import os
import socket

import pytest

from appliance.devices.connection import parse_printer_address
from appliance.devices.detect import FoundPrinter, find_printers, network_printer
from appliance.devices.errors import BadConnectionString, PrinterUnavailable
from appliance.devices.printer import open_printer
from tests.devices.helpers import FakePrinterBackend, PtyPrinter


class NoUsb(FakePrinterBackend):
    """A USB bus with nothing on it."""

    def enumerate_devices(self):
        return iter(())


@pytest.fixture
def answering():
    printer = PtyPrinter()
    yield printer
    printer.close()


@pytest.fixture
def silent():
    """A serial port whose far end never answers (a printer that keeps quiet, or a modem)."""
    master, slave = os.openpty()
    yield os.ttyname(slave)
    os.close(slave)
    os.close(master)


def link(path, target):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.symlink_to(target)


def test_kernel_nodes_serial_ports_once_each_under_their_stablest_name(tmp_path, answering, silent):
    dev = tmp_path / "dev"
    (dev / "usb").mkdir(parents=True)
    (dev / "usb" / "lp0").touch()
    (dev / "usb" / "lp1").touch()
    link(dev / "appliance" / "printer", "../usb/lp0")  # udev's name for lp0
    link(dev / "ttyUSB0", answering.path)
    link(dev / "serial" / "by-id" / "usb-Prolific_USB-Serial-if00-port0", "../../ttyUSB0")
    link(dev / "ttyACM0", silent)
    scanner = PtyPrinter()  # answers like a printer, but udev says it is a scanner
    try:
        link(dev / "ttyACM1", scanner.path)
        link(dev / "appliance" / "scanner-serial-ttyACM1", "../ttyACM1")
        link(dev / "ttyUSB9", str(tmp_path / "unplugged"))  # dangling: device gone
        found = find_printers(dev, tmp_path / "sys", usb_backend=NoUsb())
    finally:
        scanner.close()
    by_id = dev / "serial" / "by-id" / "usb-Prolific_USB-Serial-if00-port0"
    assert [p.connection for p in found] == [
        f"file:{dev / 'appliance' / 'printer'}",
        f"file:{dev / 'usb' / 'lp1'}",
        f"serial:{by_id}:9600",
        f"serial:{dev / 'ttyACM0'}:9600",
    ]
    assert "Imprimante série" in found[2].label and "9600 bauds" in found[2].label
    assert "ne répond pas" in found[3].label
    assert scanner.raw == b""  # the scanner's port was never written to


def test_a_found_serial_printer_prints_with_the_connection_offered(tmp_path, answering):
    dev = tmp_path / "dev"
    link(dev / "appliance" / "printer-serial", answering.path)
    link(dev / "ttyACM3", answering.path)
    (found,) = find_printers(dev, tmp_path / "sys", usb_backend=NoUsb())
    assert found.connection == f"serial:{dev / 'appliance' / 'printer-serial'}:9600"
    printer = open_printer(parse_printer_address(found.connection))
    try:
        printer.print_test_page()
        answering.wait_for(lambda p: any(getattr(e, "text", "") for e in p.events))
    finally:
        printer.close()


def test_usb_printer_listed_through_pyusb_when_no_kernel_node_holds_it(tmp_path):
    backend = FakePrinterBackend(vendor=0x0519, product=0x0003)  # bus 1, address 5
    found = find_printers(tmp_path / "dev", tmp_path / "sys", usb_backend=backend)
    assert found == [FoundPrinter("usb:0519:0003", "Imprimante USB 0519:0003 (sans pilote noyau)")]
    # usblp claims it: sysfs links lp0 to an interface of bus 1, device 5; only the node counts
    device = tmp_path / "sys" / "devices" / "usb1" / "1-1"
    (device / "1-1:1.0").mkdir(parents=True)
    (device / "busnum").write_text("1\n")
    (device / "devnum").write_text("5\n")
    link(tmp_path / "sys" / "class" / "usbmisc" / "lp0" / "device", device / "1-1:1.0")
    (tmp_path / "dev" / "usb").mkdir(parents=True)
    (tmp_path / "dev" / "usb" / "lp0").touch()
    found = find_printers(tmp_path / "dev", tmp_path / "sys", usb_backend=backend)
    assert [p.connection for p in found] == [f"file:{tmp_path / 'dev' / 'usb' / 'lp0'}"]


def test_usb_devices_of_other_classes_are_not_printers(tmp_path):
    class Keyboard(FakePrinterBackend):
        def get_interface_descriptor(self, dev, intf, alt, config):
            descriptor = super().get_interface_descriptor(dev, intf, alt, config)
            descriptor.bInterfaceClass = 3  # HID
            return descriptor

    assert find_printers(tmp_path / "dev", tmp_path / "sys", usb_backend=Keyboard()) == []


def test_network_printer_by_address_with_the_default_port_or_its_own():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
        found = network_printer(f" 127.0.0.1:{port} ")
        assert found == FoundPrinter(f"tcp:127.0.0.1:{port}", f"Imprimante réseau 127.0.0.1:{port}")
        assert network_printer(f"tcp:127.0.0.1:{port}").connection == found.connection
    with pytest.raises(PrinterUnavailable, match=r"127\.0\.0\.1:9100"):
        network_printer("127.0.0.1", timeout_s=1)  # nothing listens on 9100 here


def test_network_printer_refused_or_unreadable_address_says_why():
    with socket.create_server(("127.0.0.1", 0)) as server:
        port = server.getsockname()[1]
    with pytest.raises(PrinterUnavailable, match="vérifiez l'adresse"):
        network_printer(f"127.0.0.1:{port}", timeout_s=1)  # the port just closed
    for bad in ("", "   ", "127.0.0.1:port", "127.0.0.1:70000"):
        with pytest.raises(BadConnectionString):
            network_printer(bad)
