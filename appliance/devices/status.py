"""Printer status from `DLE EOT n` replies (Epson real-time status), as a pure function.

    DLE EOT 1 (printer):       bit 2 drawer connector pin 3 high, bit 3 offline
    DLE EOT 2 (offline cause): bit 2 cover open, bit 5 stopped on paper end, bit 6 error
    DLE EOT 4 (paper sensor):  bits 2-3 roll near end, bits 5-6 roll end
Bits 1 and 4 are always 1 and bit 0 and 7 always 0 in a genuine reply; a byte that breaks this
is not a status (a printer that does not answer status echoes or sends nothing).
Querying blocks up to the connection's timeout, so the Till never calls it while selling:
`appliance doctor`, the printer test and the settings screen do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from appliance.devices.errors import DeviceError, PaperOut, PrinterUnavailable

QUERY_PRINTER = b"\x10\x04\x01"
QUERY_OFFLINE_CAUSE = b"\x10\x04\x02"
QUERY_PAPER = b"\x10\x04\x04"


class Paper(StrEnum):
    OK = "ok"
    NEAR_END = "near_end"
    OUT = "out"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class PrinterStatus:
    """What the printer said; `answered` False means no status (not necessarily offline)."""

    answered: bool
    online: bool | None = None
    paper: Paper = Paper.UNKNOWN
    cover_open: bool | None = None
    drawer_pin_high: bool | None = None
    description: str = ""

    @property
    def problem(self) -> DeviceError | None:
        """The error a print would most likely meet, for doctor and the settings screen."""
        if self.paper is Paper.OUT:
            return PaperOut(f"plus de papier dans l'imprimante ({self.description})")
        if self.cover_open:
            return PrinterUnavailable(f"capot de l'imprimante ouvert ({self.description})")
        if self.online is False:
            return PrinterUnavailable(f"imprimante hors ligne ({self.description})")
        return None

    def summary(self) -> str:
        if not self.answered:
            return "l'imprimante ne renvoie pas d'état (normal pour certains modèles)"
        problem = self.problem
        if problem is not None:
            return str(problem)
        return "papier bientôt fini" if self.paper is Paper.NEAR_END else "prête"


def is_status_byte(reply: bytes) -> bool:
    return len(reply) >= 1 and reply[0] & 0x93 == 0x12


def parse_status(
    printer: bytes, offline_cause: bytes, paper: bytes, description: str = ""
) -> PrinterStatus:
    """Combine the three replies; any reply missing or malformed leaves its fields unknown."""
    if not is_status_byte(printer):
        return PrinterStatus(answered=False, description=description)
    first = printer[0]
    cover = bool(offline_cause[0] & 0x04) if is_status_byte(offline_cause) else None
    stopped_on_paper = is_status_byte(offline_cause) and bool(offline_cause[0] & 0x20)
    paper_state = Paper.UNKNOWN
    if is_status_byte(paper):
        if paper[0] & 0x60 or stopped_on_paper:
            paper_state = Paper.OUT
        elif paper[0] & 0x0C:
            paper_state = Paper.NEAR_END
        else:
            paper_state = Paper.OK
    elif stopped_on_paper:
        paper_state = Paper.OUT
    return PrinterStatus(
        answered=True,
        online=not first & 0x08,
        paper=paper_state,
        cover_open=cover,
        drawer_pin_high=bool(first & 0x04),
        description=description,
    )


@dataclass
class SimulatedState:
    """What a simulated printer (virtual printer, test pty) reports; mutable on purpose."""

    offline: bool = False
    cover_open: bool = False
    paper: Paper = Paper.OK
    drawer_pin_high: bool = False

    def reply(self, kind: int) -> bytes:
        """The byte a healthy Epson-like printer returns for DLE EOT `kind`."""
        value = 0x12
        if kind == 1:
            value |= 0x04 * self.drawer_pin_high | 0x08 * (
                self.offline or self.cover_open or self.paper is Paper.OUT
            )
        elif kind == 2:
            value |= 0x04 * self.cover_open | 0x20 * (self.paper is Paper.OUT)
        elif kind == 4:
            value |= {Paper.NEAR_END: 0x0C, Paper.OUT: 0x6C}.get(self.paper, 0)
        return bytes([value])
