"""A network receipt printer that prints to files: TCP, ESC/POS in, text and PNG out.

It accepts connections like an Epson on port 9100, decodes the stream (`escpos_decode`),
answers `DLE EOT` status queries like a healthy printer (or as `state` says: paper out, cover
open), and writes one receipt per cut as `receipt-NNNN.txt` and `receipt-NNNN.png` in the
output directory. Drawer kicks are counted. The demo, the tests of the Till and UI, and a
technician wanting to see what the till would print all use it:

    with running_virtual_printer(tmp_path) as printer:
        till_printer = open_printer(printer.address)
        ...
        receipt = printer.wait_for_receipt(timeout=5)
        assert "TOTAL TTC" in receipt.text
"""

from __future__ import annotations

import contextlib
import logging
import queue
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from appliance.devices.connection import TcpConnection
from appliance.devices.escpos_decode import (
    Barcode,
    Cut,
    DecodeError,
    DrawerKick,
    EscPosDecoder,
    Event,
    QrCode,
    RasterImage,
    StatusQuery,
    TextLine,
    text_lines,
)
from appliance.devices.paper_image import paper_image
from appliance.devices.status import SimulatedState

log = logging.getLogger(__name__)
IDLE_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class PrintedReceipt:
    """One piece of paper: its events, its text, and where its files are."""

    number: int
    events: tuple[Event, ...] = field(repr=False)
    text: str
    txt_path: Path
    png_path: Path

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @property
    def qr_codes(self) -> list[str]:
        return [event.data for event in self.events if isinstance(event, QrCode)]

    @property
    def kicks(self) -> list[DrawerKick]:
        return [event for event in self.events if isinstance(event, DrawerKick)]

    @property
    def cut(self) -> bool:
        return any(isinstance(event, Cut) for event in self.events)


class VirtualPrinter:
    """The server; `start()` binds and serves on a daemon thread, `stop()` ends it."""

    def __init__(
        self,
        out_dir: Path,
        host: str = "127.0.0.1",
        port: int = 9100,
        columns: int = 48,
        pixel_width: int = 576,
    ) -> None:
        self.out_dir = Path(out_dir)
        self.columns = columns
        self.pixel_width = pixel_width
        self.state = SimulatedState()
        self.receipts: list[PrintedReceipt] = []
        self.kicks: list[DrawerKick] = []
        self.errors: list[str] = []
        self._address = (host, port)
        self._lock = threading.Lock()
        self._new_receipts: queue.Queue[PrintedReceipt] = queue.Queue()
        self._new_kicks: queue.Queue[DrawerKick] = queue.Queue()
        self._server: socketserver.TCPServer | None = None
        self._connection: socket.socket | None = None
        self._thread: threading.Thread | None = None

    # -- life cycle -----------------------------------------------------------------------------
    def start(self) -> None:
        self.out_dir.mkdir(parents=True, exist_ok=True)
        printer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                printer.serve_connection(self.request)

        # One connection at a time, like a real printer: jobs print in the order they came.
        socketserver.TCPServer.allow_reuse_address = True
        server = socketserver.TCPServer(self._address, Handler)
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1},
            name="virtual-printer", daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop serving; a client still connected is cut off rather than waited for."""
        with self._lock:
            connection = self._connection
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def serve_forever(self) -> None:
        """Foreground mode for `appliance printer virtual`."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    @property
    def host(self) -> str:
        if self._server is None:
            return self._address[0]
        host = self._server.server_address[0]
        assert isinstance(host, str)  # typed for every family; an AF_INET server's is a str
        return host

    @property
    def port(self) -> int:
        return self._server.server_address[1] if self._server else self._address[1]

    @property
    def address(self) -> TcpConnection:
        """Where a printer of the till reaches this one."""
        return TcpConnection(self.host, self.port)

    @property
    def connection_string(self) -> str:
        """The address as the configuration file and the command line write it."""
        return str(self.address)

    # -- waiting --------------------------------------------------------------------------------
    def wait_for_receipt(self, timeout: float = 5.0) -> PrintedReceipt:
        """The next receipt written since the last call; `TimeoutError` if none comes."""
        try:
            return self._new_receipts.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"aucun ticket reçu en {timeout} s") from None

    def wait_for_kick(self, timeout: float = 5.0) -> DrawerKick:
        try:
            return self._new_kicks.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"aucune ouverture de tiroir reçue en {timeout} s") from None

    # -- one connection -------------------------------------------------------------------------
    def serve_connection(self, connection: socket.socket) -> None:
        with self._lock:
            self._connection = connection
        try:
            self._serve(connection)
        finally:
            with self._lock:
                self._connection = None

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(IDLE_TIMEOUT_S)
        decoder = EscPosDecoder(on_error=self._decode_error)
        pending: list[Event] = []
        while True:
            try:
                chunk = connection.recv(65536)
            except (TimeoutError, ConnectionError):
                break
            if not chunk:
                break
            for event in decoder.feed(chunk):
                self._handle(event, pending, connection)
        for event in decoder.flush():
            self._handle(event, pending, connection)
        if any(isinstance(event, TextLine | RasterImage | QrCode | Barcode) for event in pending):
            self._write_receipt(pending)

    def _handle(self, event: Event, pending: list[Event], connection: socket.socket) -> None:
        if isinstance(event, StatusQuery):
            with contextlib.suppress(OSError):
                connection.sendall(self.state.reply(event.kind))
            return
        pending.append(event)
        if isinstance(event, DrawerKick):
            self.kicks.append(event)
            self._new_kicks.put(event)
            self.state.drawer_pin_high = True
        if isinstance(event, Cut):
            self._write_receipt(pending)
            pending.clear()

    def _decode_error(self, error: DecodeError) -> None:
        log.warning("virtual printer: %s", error)
        self.errors.append(str(error))

    def _write_receipt(self, events: list[Event]) -> None:
        text = "\n".join(text_lines(events, self.columns)) + "\n"
        with self._lock:
            number = len(self.receipts) + 1
            stem = self.out_dir / f"receipt-{number:04d}"
            txt_path, png_path = stem.with_suffix(".txt"), stem.with_suffix(".png")
            txt_path.write_text(text, encoding="utf-8")
            paper_image(events, self.columns, self.pixel_width).save(png_path)
            receipt = PrintedReceipt(number, tuple(events), text, txt_path, png_path)
            self.receipts.append(receipt)
        self._new_receipts.put(receipt)


@contextlib.contextmanager
def running_virtual_printer(
    out_dir: Path, host: str = "127.0.0.1", port: int = 0, *, columns: int = 48,
    pixel_width: int = 576,
) -> Iterator[VirtualPrinter]:
    """A started virtual printer on a free loopback port (port 0), stopped on exit."""
    printer = VirtualPrinter(out_dir, host, port, columns, pixel_width)
    printer.start()
    try:
        yield printer
    finally:
        printer.stop()
