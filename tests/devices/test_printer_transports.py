"""Printing over a real pty (serial), a pyusb backend object (USB) and a file."""

import fcntl
import os
import time

import pytest

from appliance.devices.connection import (
    FileConnection,
    NoConnection,
    SerialConnection,
    UsbConnection,
)
from appliance.devices.drawer import PrinterDrawer
from appliance.devices.errors import PaperOut, PrinterUnavailable
from appliance.devices.escpos_decode import Cut, TextLine, decode
from appliance.devices.printer import EscPosPrinter, NullPrinter, open_printer
from appliance.devices.profiles import printer_layout
from appliance.devices.receipt_render import render_receipt
from appliance.devices.status import Paper
from appliance.devices.transports import USB_BUSY, MemoryTransport
from tests.devices.helpers import FakePrinterBackend, PtyPrinter, sample_receipt

F_SETPIPE_SZ = 1031  # linux/fcntl.h


@pytest.fixture
def pty_printer():
    simulated = PtyPrinter()
    yield simulated
    simulated.close()


def has_cut(simulated) -> bool:
    return any(isinstance(event, Cut) for event in simulated.events)


def test_serial_printer_on_a_pty_gets_exactly_the_rendered_bytes(pty_printer):
    receipt = sample_receipt(4)
    printer = open_printer(SerialConnection(pty_printer.path, 19200), profile="TM-T88V")
    printer.print_receipt(receipt)
    pty_printer.wait_for(has_cut)
    expected = render_receipt(receipt, printer_layout("TM-T88V"))
    assert bytes(pty_printer.raw) == expected
    texts = [event.text for event in pty_printer.events if isinstance(event, TextLine)]
    assert "Épicerie Œnologique" in texts
    printer.close()


def test_serial_status_and_paper_out(pty_printer):
    printer = open_printer(SerialConnection(pty_printer.path))
    status = printer.status()
    assert status.answered and status.online and status.paper is Paper.OK
    pty_printer.state.paper = Paper.NEAR_END
    assert printer.status().paper is Paper.NEAR_END
    pty_printer.state.paper = Paper.OUT
    problem = printer.status().problem
    assert problem is not None and "plus de papier" in str(problem)
    printer.close()


def test_serial_unplugged_raises_once_and_is_not_retried(pty_printer):
    printer = open_printer(SerialConnection(pty_printer.path), timeout_s=1)
    printer.print_receipt(sample_receipt(1))
    pty_printer.wait_for(has_cut)
    received = len(pty_printer.raw)
    pty_printer.unplug()
    with pytest.raises(PrinterUnavailable, match="imprimante série"):
        printer.print_receipt(sample_receipt(1))
    assert len(pty_printer.raw) == received


def test_serial_device_missing_is_a_clear_error():
    printer = open_printer(SerialConnection("/dev/ttyNOPE0"))
    with pytest.raises(PrinterUnavailable, match="/dev/ttyNOPE0"):
        printer.print_receipt(sample_receipt(1))


def test_usb_printer_through_pyusb_backend():
    backend = FakePrinterBackend()
    printer = open_printer(UsbConnection(0x04B8, 0x0E15), usb_backend=backend, profile="TM-T20II")
    receipt = sample_receipt(3)
    printer.print_receipt(receipt)
    assert bytes(backend.received) == render_receipt(receipt, printer_layout("TM-T20II"))
    assert printer.status().online is True
    backend.state.cover_open = True
    assert printer.status().cover_open is True


def test_usb_printer_switched_off_and_on_is_opened_again():
    backend = FakePrinterBackend()
    printer = open_printer(UsbConnection(0x04B8, 0x0E15), usb_backend=backend)
    printer.print_receipt(sample_receipt(1))
    backend.switched_off = True
    with pytest.raises(PrinterUnavailable, match="USB"):
        printer.print_receipt(sample_receipt(1))
    backend.switched_off = False
    before, searches = len(backend.received), backend.enumerated
    printer.print_receipt(sample_receipt(1, ticket_number="again"))
    assert backend.enumerated == searches + 1  # the dead handle was dropped, found anew
    assert "Ticket n° again" in "\n".join(
        event.text for event in decode(bytes(backend.received[before:]))
        if isinstance(event, TextLine))


def test_usb_wrong_ids_say_not_found():
    printer = open_printer(UsbConnection(0x0519, 0x0003), usb_backend=FakePrinterBackend())
    with pytest.raises(PrinterUnavailable, match="usb:0519:0003 introuvable"):
        printer.print_receipt(sample_receipt(1))


def test_usb_resource_busy_is_explained_in_french_and_english():
    printer = open_printer(UsbConnection(0x04B8, 0x0E15), usb_backend=FakePrinterBackend(busy=True))
    with pytest.raises(PrinterUnavailable) as caught:
        printer.print_receipt(sample_receipt(1))
    assert str(caught.value) == USB_BUSY
    assert "usblp" in USB_BUSY and "Resource busy" in USB_BUSY and "file:/dev/usb/lp0" in USB_BUSY


def test_file_printer_writes_the_bytes(tmp_path):
    target = tmp_path / "lp0"
    target.touch()
    printer = open_printer(FileConnection(str(target)), profile="POS-5890")
    printer.print_receipt(sample_receipt(2))
    printer.close()
    assert decode(target.read_bytes()) == decode(
        render_receipt(sample_receipt(2), printer_layout("POS-5890")))
    assert printer.status().answered is False  # a write-only node cannot answer


def test_null_printer_prints_nothing_and_says_so():
    printer = open_printer(NoConnection())
    assert isinstance(printer, NullPrinter)
    printer.print_receipt(sample_receipt(1))
    assert printer.status().answered is False
    assert "aucune imprimante" in printer.status().description
    with pytest.raises(PrinterUnavailable, match="aucune imprimante"):
        printer.send(b"\x1bp\x00\x32\x32")
    with pytest.raises(PrinterUnavailable):
        printer.print_test_page()


def test_memory_twin_records_jobs_and_failures_propagate():
    transport = MemoryTransport()
    printer = EscPosPrinter(transport, printer_layout("TM-T20II"))
    printer.print_receipt(sample_receipt(1))
    PrinterDrawer(printer).kick()
    assert len(transport.jobs) == 2 and transport.jobs[1] == b"\x1bp\x00\x32\x32"
    transport.fail_with = PrinterUnavailable("débranchée")
    with pytest.raises(PrinterUnavailable):
        printer.print_receipt(sample_receipt(1))
    assert len(transport.jobs) == 2


def test_file_printer_that_stops_reading_times_out_instead_of_hanging(tmp_path):
    fifo = tmp_path / "lp0"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a printer that never reads
    fcntl.fcntl(reader, F_SETPIPE_SZ, 4096)  # a small buffer, as a printer's is
    try:
        printer = open_printer(FileConnection(str(fifo)), timeout_s=0.3)
        started = time.monotonic()
        with pytest.raises(PrinterUnavailable, match="n'accepte plus de données"):
            printer.print_receipt(sample_receipt(60))  # more than the buffer holds
        assert time.monotonic() - started < 10  # not forever
    finally:
        os.close(reader)


def test_file_printer_node_missing():
    with pytest.raises(PrinterUnavailable, match="/dev/usb/lp9"):
        open_printer(FileConnection("/dev/usb/lp9")).print_receipt(sample_receipt(1))


def test_a_failed_print_is_explained_by_the_printers_status_when_it_answers():
    transport = MemoryTransport()
    printer = EscPosPrinter(transport, printer_layout("TM-T20II"))
    transport.fail_with = PrinterUnavailable("délai d'écriture dépassé")
    transport.state.paper = Paper.OUT
    with pytest.raises(PaperOut, match="plus de papier"):
        printer.print_receipt(sample_receipt(1))
    transport.state.paper = Paper.OK
    with pytest.raises(PrinterUnavailable, match="délai d'écriture dépassé"):
        printer.print_receipt(sample_receipt(1))
    assert transport.jobs == []
