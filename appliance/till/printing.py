"""The printer and the drawer as the Till uses them: a failure is reported, never raised.

A validated ticket is already in the journal when its receipt prints, so a printer error must
not undo anything: every job returns a `DeviceOutcome` (done, nothing to do, or failed with
its French reason) that becomes the result's `printed` and `print_error`, the status
shows the printer as offline or out of paper, and the next successful job clears it. The
Till never queries the printer's status during a sale (that blocks up to a timeout).

Without a printer (`present` False) nothing is printed and a drawer wired to the printer is
not kicked; the status says so. A drawer on its own serial line is kicked all the same, and
its failure is reported without marking the printer offline.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from appliance.devices.drawer import Drawer, PrinterDrawer
from appliance.devices.errors import DeviceError, PaperOut
from appliance.devices.printer import Printer
from appliance.pos.receipt import Receipt, Report
from appliance.till.views import PrinterState

NO_PRINTER = "aucune imprimante configurée : les tickets sont enregistrés, pas imprimés"


class Job(Enum):
    DONE = "done"  # the paper came out, the drawer opened
    SKIPPED = "skipped"  # no device to do it (or not asked): nothing wrong either
    FAILED = "failed"


@dataclass(frozen=True)
class DeviceOutcome:
    """What became of one print job or drawer kick; `reason` is French, set when it failed."""

    job: Job
    reason: str = ""

    @property
    def done(self) -> bool:
        return self.job is Job.DONE

    @property
    def failed(self) -> bool:
        return self.job is Job.FAILED


DONE = DeviceOutcome(Job.DONE)
SKIPPED = DeviceOutcome(Job.SKIPPED)


class Printing:
    def __init__(self, printer: Printer, drawer: Drawer, on_change: Callable[[], None]) -> None:
        self.printer = printer
        self.drawer = drawer
        self._on_change = on_change
        self.state = PrinterState.READY if printer.present else PrinterState.NONE
        self.message = "" if printer.present else NO_PRINTER

    def receipt(self, receipt: Receipt) -> DeviceOutcome:
        return self._run(lambda: self.printer.print_receipt(receipt))

    def report(self, report: Report) -> DeviceOutcome:
        return self._run(lambda: self.printer.print_report(report))

    def test_page(self) -> DeviceOutcome:
        return self._run(self.printer.print_test_page)

    def kick(self) -> DeviceOutcome:
        """Open the drawer (skipped when there is none to open)."""
        if not self.drawer.present:
            return SKIPPED
        if isinstance(self.drawer, PrinterDrawer):
            return self._run(self.drawer.kick)  # its failure is the printer's
        try:
            self.drawer.kick()
        except DeviceError as error:
            return DeviceOutcome(Job.FAILED, str(error))
        return DONE

    def _run(self, job: Callable[[], None]) -> DeviceOutcome:
        if self.state is PrinterState.NONE:
            return SKIPPED
        try:
            job()
        except DeviceError as error:
            self.state = (
                PrinterState.PAPER_OUT if isinstance(error, PaperOut) else (PrinterState.OFFLINE)
            )
            self.message = str(error)
            self._on_change()
            return DeviceOutcome(Job.FAILED, str(error))
        if self.state is not PrinterState.READY:
            self.state, self.message = PrinterState.READY, ""
            self._on_change()
        return DONE

    def close(self) -> None:
        self.printer.close()
