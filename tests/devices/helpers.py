"""Real-part stand-ins shared by the device tests (and the command tests).

- `sample_receipt()`: a Receipt built here, independent of the Till.
- `PtyPrinter`: a printer on the master side of a real pseudo-terminal; the code under test
  opens the slave with pyserial exactly as it would /dev/ttyUSB0. It decodes what arrives and
  answers DLE EOT like a printer.
- `FakePrinterBackend`: a pyusb backend object (usb.backend.IBackend) describing one
  printer-class device, so pyusb's core and python-escpos' Usb class run unmodified.
- `PipeSource` / `write_keys`: kernel-format input_event structs through a pipe, read back by
  evdev's own C reader, which reads whole structs from any file descriptor, not only from
  /dev/input nodes.
"""

from __future__ import annotations

import errno
import os
import select
import struct
import threading
import time
from types import SimpleNamespace

import usb.backend
import usb.core
from escpos.printer import Dummy
from evdev.eventio import EventIO
from PIL import Image

from appliance.devices.escpos_decode import EscPosDecoder, Event, StatusQuery
from appliance.devices.keymaps import EV_KEY, EV_MSC, EV_SYN, KEY_DOWN
from appliance.devices.status import SimulatedState
from appliance.pos.receipt import (
    Receipt,
    ReceiptLine,
    ShopIdentity,
    TenderRow,
    VatRow,
)

SHOP = ShopIdentity(
    trade_name="Épicerie Œnologique",
    company_name="SARL Les Côtes",
    address_lines=("3 place de l'Hôtel de Ville", "69001 Lyon"),
    siret="12345678900012",
    vat_number="FR45123456789",
)


def sample_receipt(line_count: int = 3, **changes: object) -> Receipt:
    labels = [
        "Crème fraîche épaisse",
        "Bœuf bourguignon à la façon de grand-mère, cuisson lente",
        "Pâté en croûte",
        "Côtes-du-Rhône rouge",
        "Œufs fermiers x6",
    ]
    lines = tuple(
        ReceiptLine(
            label=labels[index % len(labels)],
            quantity_milli=1000 if index % 2 == 0 else 2500,
            unit_price_cents=1250 + index,
            total_cents=(1250 + index) if index % 2 == 0 else (1250 + index) * 5 // 2,
            vat_code="A" if index % 3 else "B",
        )
        for index in range(line_count)
    )
    fields: dict[str, object] = {
        "shop": SHOP,
        "register_name": "Caisse 1",
        "ticket_number": "T1-000042",
        "issued_at": "28/11/2026 14:05",
        "lines": lines,
        "vat_rows": (
            VatRow("A", 2000, 104167, 20833, 125000),
            VatRow("B", 550, 1185, 65, 1250),
        ),
        "total_ht_cents": 105352,
        "total_ttc_cents": 126250,
        "tenders": (TenderRow("Espèces", 130000),),
        "change_cents": 3750,
        "fiscal_lines": ("Journal n° 42 · empreinte 9f3a…c2",),
        "reference_code": "T1-000042",
    }
    fields.update(changes)
    return Receipt(**fields)  # type: ignore[arg-type]


# -- serial: a printer on a pseudo-terminal ----------------------------------------------------
class PtyPrinter:
    """Reads the master end of a pty, decodes ESC/POS, answers status queries."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.path = os.ttyname(self.slave)
        self.state = SimulatedState()
        self.events: list[Event] = []
        self.raw = bytearray()
        self._decoder = EscPosDecoder()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            self.raw += chunk
            for event in self._decoder.feed(chunk):
                if isinstance(event, StatusQuery):
                    os.write(self.master, self.state.reply(event.kind))
                else:
                    self.events.append(event)

    def wait_for(self, predicate, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate(self):
            if time.monotonic() > deadline:
                raise TimeoutError("nothing arrived on the pty")
            time.sleep(0.01)

    def unplug(self) -> None:
        """The cable is pulled: the master side goes away."""
        self._stop.set()
        self._thread.join(2)
        os.close(self.master)

    def close(self) -> None:
        if not self._stop.is_set():
            self.unplug()
        os.close(self.slave)


# -- USB: a pyusb backend object ---------------------------------------------------------------
class FakePrinterBackend(usb.backend.IBackend):
    """One USB printer (class 7, bulk OUT 0x01, bulk IN 0x82) behind pyusb's backend API."""

    def __init__(self, vendor: int = 0x04B8, product: int = 0x0E15, busy: bool = False) -> None:
        self.vendor, self.product, self.busy = vendor, product, busy
        self.received = bytearray()
        self.state = SimulatedState()
        self._replies = bytearray()
        self._decoder = EscPosDecoder()
        self.configuration = 0
        self.switched_off = False
        self.enumerated = 0

    def enumerate_devices(self):
        self.enumerated += 1  # usb.core.find(): a fresh look for the device
        yield "printer0"

    def get_device_descriptor(self, dev):
        return SimpleNamespace(
            bLength=18, bDescriptorType=1, bcdUSB=0x0200, bDeviceClass=0, bDeviceSubClass=0,
            bDeviceProtocol=0, bMaxPacketSize0=64, idVendor=self.vendor, idProduct=self.product,
            bcdDevice=0x0100, iManufacturer=0, iProduct=0, iSerialNumber=0,
            bNumConfigurations=1, address=5, bus=1, port_number=1, port_numbers=(1,), speed=2,
        )

    def get_configuration_descriptor(self, dev, config):
        return SimpleNamespace(
            bLength=9, bDescriptorType=2, wTotalLength=32, bNumInterfaces=1,
            bConfigurationValue=1, iConfiguration=0, bmAttributes=0xC0, bMaxPower=50,
            extra_descriptors=[],
        )

    def get_interface_descriptor(self, dev, intf, alt, config):
        if intf != 0 or alt != 0:
            raise IndexError("no such interface")
        return SimpleNamespace(
            bLength=9, bDescriptorType=4, bInterfaceNumber=0, bAlternateSetting=0,
            bNumEndpoints=2, bInterfaceClass=7, bInterfaceSubClass=1, bInterfaceProtocol=2,
            iInterface=0, extra_descriptors=[],
        )

    def get_endpoint_descriptor(self, dev, ep, intf, alt, config):
        address = (0x01, 0x82)[ep]
        return SimpleNamespace(
            bLength=7, bDescriptorType=5, bEndpointAddress=address, bmAttributes=2,
            wMaxPacketSize=64, bInterval=0, bRefresh=0, bSynchAddress=0, extra_descriptors=[],
        )

    def open_device(self, dev):
        return "handle"

    def close_device(self, dev_handle):
        return None

    def set_configuration(self, dev_handle, config_value):
        self.configuration = config_value

    def get_configuration(self, dev_handle):
        return self.configuration or 1

    def reset_device(self, dev_handle):
        return None

    def claim_interface(self, dev_handle, intf):
        if self.busy:
            raise usb.core.USBError("Resource busy", error_code=-6, errno=errno.EBUSY)

    def release_interface(self, dev_handle, intf):
        return None

    def set_interface_altsetting(self, dev_handle, intf, altsetting):
        return None

    def bulk_write(self, dev_handle, ep, intf, data, timeout):
        if self.switched_off:
            raise usb.core.USBError("No such device", error_code=-4, errno=errno.ENODEV)
        payload = bytes(data)
        self.received += payload
        for event in self._decoder.feed(payload):
            if isinstance(event, StatusQuery):
                self._replies += self.state.reply(event.kind)
        return len(payload)

    def bulk_read(self, dev_handle, ep, intf, buff, timeout):
        if not self._replies:
            raise usb.core.USBTimeoutError("Operation timed out", error_code=-7, errno=110)
        count = min(len(buff), len(self._replies))
        for index in range(count):
            buff[index] = self._replies[index]
        del self._replies[:count]
        return count


# -- evdev: kernel-format events through a pipe ------------------------------------------------
class PipeSource(EventIO):
    """evdev's real reader (EventIO: device_read_many) on the read end of a pipe."""

    def __init__(self, path: str = "/dev/input/event-pipe") -> None:
        self.fd, self.write_fd = os.pipe()
        os.set_blocking(self.fd, False)
        self.path = path
        self.closed = False

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            os.close(self.fd)

    def unplug(self) -> None:
        os.close(self.write_fd)


def input_events(keys: list[tuple[int, int, int]], start: float = 1_700_000_000.0) -> bytes:
    """Key events as a HID keyboard sends them: MSC_SCAN, EV_KEY, SYN_REPORT per key event."""
    packed = bytearray()
    for index, (event_type, code, value) in enumerate(keys):
        stamp = start + index * 0.001
        sec, usec = int(stamp), int((stamp % 1) * 1_000_000)
        if event_type == EV_KEY:
            packed += struct.pack("llHHi", sec, usec, EV_MSC, 4, 0x70000 + code)
        packed += struct.pack("llHHi", sec, usec, event_type, code, value)
        packed += struct.pack("llHHi", sec, usec, EV_SYN, 0, 0)
    return bytes(packed)


def write_keys(source: PipeSource, keys: list[tuple[int, int, int]]) -> None:
    os.write(source.write_fd, input_events(keys))


def key_downs(keys: list[tuple[int, int, int]]) -> int:
    return sum(1 for _, _, value in keys if value == KEY_DOWN)


# -- a foreign encoder's bytes -------------------------------------------------------------
def escpos_dummy_output() -> bytes:
    """What python-escpos itself emits: text, EAN-13, native QR, raster image, kick, cut."""
    printer = Dummy(profile="TM-T88V")
    printer.set(align="center", bold=True, double_height=True)
    printer.text("Summe 12,50 € Äpfel\n")
    printer.set(align="left", bold=False, normal_textsize=True)
    printer.barcode("4006381333931", "EAN13")
    printer.qr("https://example.invalid/r/42", native=True)
    printer.image(Image.new("1", (64, 16), 0))
    printer.cashdraw(5)
    printer.cut()
    return printer.output
