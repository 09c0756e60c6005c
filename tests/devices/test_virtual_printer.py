"""The virtual printer over a real TCP socket: what the Till prints, as text and as a PNG."""

import shutil
import socket
import time
from pathlib import Path

import pytest
from escpos.printer import Network
from PIL import Image

from appliance.devices.connection import TcpConnection
from appliance.devices.drawer import PrinterDrawer
from appliance.devices.errors import PrinterUnavailable
from appliance.devices.printer import open_printer
from appliance.devices.profiles import printer_layout
from appliance.devices.receipt_render import render_receipt
from appliance.devices.status import Paper
from appliance.devices.virtual_printer import VirtualPrinter, running_virtual_printer
from tests.devices.helpers import escpos_dummy_output, sample_receipt

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-output"


def test_receipt_over_tcp_becomes_text_and_png(tmp_path):
    receipt = sample_receipt(5, training=True)
    with running_virtual_printer(tmp_path) as virtual:
        printer = open_printer(virtual.address, profile="TM-T20II")
        printer.print_receipt(receipt)
        printed = virtual.wait_for_receipt(timeout=5)
    assert printed.cut
    assert printed.lines[0].strip() == "MODE ÉCOLE – TICKET FACTICE – SANS VALEUR"
    assert "Épicerie Œnologique" in printed.text
    assert any(line.startswith("TOTAL TTC") and line.endswith("1 262,50 €")
               for line in printed.lines)
    assert printed.qr_codes == [receipt.reference_code]
    assert printed.txt_path.read_text(encoding="utf-8") == printed.text
    image = Image.open(printed.png_path)
    assert image.width == 576 + 24 and image.height > 800
    # keep one receipt for a human to look at (gitignored /test-output/)
    ARTEFACTS.mkdir(exist_ok=True)
    shutil.copy(printed.png_path, ARTEFACTS / "virtual-printer-receipt.png")
    shutil.copy(printed.txt_path, ARTEFACTS / "virtual-printer-receipt.txt")


def test_one_file_per_cut_in_the_order_printed(tmp_path):
    layout = printer_layout("TM-T20II")
    with running_virtual_printer(tmp_path) as virtual:
        printer = open_printer(virtual.address)
        printer.print_receipt(sample_receipt(1, ticket_number="A-1"))
        printer.print_receipt(sample_receipt(1, ticket_number="A-2"))
        with socket.create_connection((virtual.host, virtual.port)) as connection:
            connection.sendall(render_receipt(sample_receipt(1, ticket_number="B-1"), layout)
                               + render_receipt(sample_receipt(1, ticket_number="B-2"), layout))
        printed = [virtual.wait_for_receipt() for _ in range(4)]
    numbers = [next(line.split()[2] for line in receipt.lines if line.startswith("Ticket n°"))
               for receipt in printed]
    assert numbers == ["A-1", "A-2", "B-1", "B-2"]
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"receipt-{number:04d}.{suffix}" for number in range(1, 5) for suffix in ("png", "txt")]


def test_answers_status_like_a_healthy_printer_and_reports_paper_out(tmp_path):
    with running_virtual_printer(tmp_path) as virtual:
        escpos = Network(virtual.host, virtual.port, timeout=2)
        assert escpos.is_online() is True
        assert escpos.paper_status() == 2
        escpos.close()
        printer = open_printer(virtual.address)
        assert printer.status().summary() == "prête"
        virtual.state.paper = Paper.OUT
        status = printer.status()
        assert status.paper is Paper.OUT and status.online is False
        assert "plus de papier" in status.summary()
        virtual.state.paper = Paper.OK
        virtual.state.cover_open = True
        assert printer.status().cover_open is True


def test_drawer_kick_is_counted_without_a_receipt(tmp_path):
    with running_virtual_printer(tmp_path) as virtual:
        printer = open_printer(virtual.address)
        PrinterDrawer(printer).kick()
        kick = virtual.wait_for_kick()
        assert (kick.pin, kick.on_ms, kick.off_ms) == (2, 100, 100)
        with pytest.raises(TimeoutError):
            virtual.wait_for_receipt(timeout=0.3)


def test_printer_switched_off_then_on_is_reached_again(tmp_path):
    first = VirtualPrinter(tmp_path / "a", port=0)
    first.start()
    port = first.port
    printer = open_printer(TcpConnection("127.0.0.1", port), timeout_s=1)
    printer.print_receipt(sample_receipt(1))
    first.wait_for_receipt()
    first.stop()
    with pytest.raises(PrinterUnavailable, match=r"127\.0\.0\.1"):
        printer.print_receipt(sample_receipt(1))
    second = VirtualPrinter(tmp_path / "b", port=port)
    second.start()
    try:
        printer.print_receipt(sample_receipt(1, ticket_number="after"))
        assert "Ticket n° after" in second.wait_for_receipt().text
    finally:
        second.stop()


def test_garbage_bytes_are_reported_and_printing_goes_on(tmp_path):
    with running_virtual_printer(tmp_path) as virtual:
        with socket.create_connection((virtual.host, virtual.port)) as connection:
            connection.sendall(b"\x1b\xfeavant\n\x1dV\x00")
        printed = virtual.wait_for_receipt()
        assert printed.lines[-1].endswith("avant")
        assert len(virtual.errors) == 1


def test_foreign_escpos_with_barcode_and_image_becomes_a_png(tmp_path):
    with running_virtual_printer(tmp_path) as virtual:
        with socket.create_connection((virtual.host, virtual.port)) as connection:
            connection.sendall(escpos_dummy_output())
        printed = virtual.wait_for_receipt()
    assert "[code-barres EAN13 : 4006381333931]" in printed.lines
    assert "[image 64x16]" in printed.lines
    assert "[tiroir : broche 5, 100/100 ms]" in printed.lines
    image = Image.open(printed.png_path).convert("L")
    assert image.height > 300  # text, the drawn barcode, the QR and the image
    assert image.getextrema() == (0, 255)


def test_stop_does_not_wait_for_an_idle_client(tmp_path):
    virtual = VirtualPrinter(tmp_path, port=0)
    virtual.start()
    idle = socket.create_connection((virtual.host, virtual.port))
    idle.sendall(b"half a receipt\n")
    time.sleep(0.2)
    started = time.monotonic()
    virtual.stop()
    assert time.monotonic() - started < 15  # not the 30 s idle timeout
    idle.close()
    assert virtual.receipts[0].lines == ["half a receipt"]  # what came is still written
