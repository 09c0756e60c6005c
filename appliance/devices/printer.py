"""The printer the Till uses: render a document, send it through the transport, nothing more.

    printer = open_printer(TcpConnection("192.168.1.50"), profile="TM-T20II")
    printer.print_receipt(receipt)      # raises PrinterUnavailable (never retried)
    printer.send(bytes)                 # one command, e.g. the drawer kick (`drawer.py`)
    printer.status()                    # slow (status queries): never during a sale

`NullPrinter` stands for the connection `none`: it prints nothing, says so, and lets the sale
go on (receipts on request are the rule since 2023).
"""

from __future__ import annotations

from typing import Any, Protocol

from PIL import Image

from appliance.devices.connection import NoConnection, PrinterAddress
from appliance.devices.drawer import DrawerSettings
from appliance.devices.errors import PrinterUnavailable
from appliance.devices.profiles import DEFAULT_PROFILE, PrinterLayout, printer_layout
from appliance.devices.receipt_render import RenderOptions, render_receipt, render_report
from appliance.devices.status import (
    QUERY_OFFLINE_CAUSE,
    QUERY_PAPER,
    QUERY_PRINTER,
    PrinterStatus,
    parse_status,
)
from appliance.devices.test_page import render_test_page
from appliance.devices.transports import DEFAULT_TIMEOUT_S, Transport, transport_for
from appliance.pos.receipt import Receipt, Report

NO_PRINTER = "aucune imprimante configurée ([printer] connection = none)"


class Printer(Protocol):
    description: str
    present: bool
    drawer_settings: DrawerSettings  # of the drawer on its DK port, if any

    def print_receipt(self, receipt: Receipt) -> None: ...

    def print_report(self, report: Report) -> None: ...

    def print_test_page(self) -> None: ...

    def send(self, data: bytes) -> None: ...

    def status(self) -> PrinterStatus: ...

    def close(self) -> None: ...


class EscPosPrinter:
    """An ESC/POS printer behind any transport."""

    present = True

    def __init__(
        self,
        transport: Transport,
        layout: PrinterLayout,
        drawer_settings: DrawerSettings | None = None,
        options: RenderOptions | None = None,
    ) -> None:
        self.transport = transport
        self.layout = layout
        self.drawer_settings = drawer_settings or DrawerSettings()
        self.options = options or RenderOptions()
        self.description = transport.description

    def print_receipt(self, receipt: Receipt) -> None:
        self.send(render_receipt(receipt, self.layout, self.options))

    def print_report(self, report: Report) -> None:
        self.send(render_report(report, self.layout, self.options))

    def print_test_page(self) -> None:
        self.send(render_test_page(self.layout, self.description))

    def send(self, data: bytes) -> None:
        """Send once; on failure ask the printer why (paper out stalls a serial or USB line
        until the write times out) and raise the most precise error. Never re-sent."""
        try:
            self.transport.send(data)
        except PrinterUnavailable as error:
            try:
                problem = self.status().problem
            except PrinterUnavailable:
                raise error from error.__cause__
            if problem is None:
                raise
            raise problem from error

    def status(self) -> PrinterStatus:
        """Three DLE EOT queries; an unreachable printer raises PrinterUnavailable."""
        printer = self.transport.query(QUERY_PRINTER)
        if not printer:
            return parse_status(b"", b"", b"", self.description)
        cause = self.transport.query(QUERY_OFFLINE_CAUSE)
        paper = self.transport.query(QUERY_PAPER)
        return parse_status(printer, cause, paper, self.description)

    def close(self) -> None:
        self.transport.close()


class NullPrinter:
    """Connection `none`: no paper, no drawer, and a status that says so."""

    present = False
    description = "aucune imprimante"

    def __init__(self, drawer_settings: DrawerSettings | None = None) -> None:
        self.drawer_settings = drawer_settings or DrawerSettings()

    def print_receipt(self, receipt: Receipt) -> None:
        """Nothing to print on: the ticket is journaled, a receipt can be printed later."""

    def print_report(self, report: Report) -> None:
        """Nothing to print on."""

    def print_test_page(self) -> None:
        raise PrinterUnavailable(NO_PRINTER)

    def send(self, data: bytes) -> None:
        raise PrinterUnavailable(NO_PRINTER)

    def status(self) -> PrinterStatus:
        return PrinterStatus(answered=False, description="aucune imprimante configurée")

    def close(self) -> None:
        """Nothing open."""


def open_printer(
    connection: PrinterAddress,
    *,
    profile: str = DEFAULT_PROFILE,
    columns: int | None = None,
    code_page: str | None = None,
    drawer: DrawerSettings | None = None,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    logo: Image.Image | None = None,
    usb_backend: Any = None,
) -> Printer:
    """Build the printer at `connection`; nothing is opened until the first job."""
    if isinstance(connection, NoConnection):
        return NullPrinter(drawer)
    layout = printer_layout(profile, columns, code_page)
    return EscPosPrinter(
        transport_for(connection, timeout_s, usb_backend), layout, drawer, RenderOptions(logo)
    )
