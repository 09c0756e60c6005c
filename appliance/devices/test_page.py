"""The printer test page: what a technician checks by eye after plugging a printer in.

The euro sign and the French accents in the chosen code page, a column ruler (the right edge
must fall at the paper's edge: 32, 42 or 48 columns), bold and double height, a QR code, a cut.
"""

from __future__ import annotations

from appliance.devices.escpos_build import EscPosBuilder
from appliance.devices.profiles import PrinterLayout

ACCENTS = "€ é è à ç ô ù Œ œ É È À Ç"
SAMPLE_AMOUNT = "Total : 1 234,50 €"
QR_PAYLOAD = "appliance-test-page"


def ruler(columns: int) -> list[str]:
    """Tens then units: the last digit printed must sit in the last column."""
    tens = "".join(str((index // 10) % 10) if index % 10 == 0 else " "
                   for index in range(1, columns + 1))
    units = "".join(str(index % 10) for index in range(1, columns + 1))
    return [tens, units]


def render_test_page(layout: PrinterLayout, connection_description: str) -> bytes:
    out = EscPosBuilder(layout)
    out.initialise()
    out.align("center")
    out.bold(True)
    out.size(1, 2)
    out.line("PAGE DE TEST")
    out.size(1, 1)
    out.bold(False)
    out.line(connection_description)
    out.align("left")
    out.line(f"Profil : {layout.profile}")
    out.line(f"Page de code : {layout.code_page}")
    out.line(f"Largeur : {layout.columns} colonnes")
    out.line(ACCENTS)
    out.bold(True)
    out.line(SAMPLE_AMOUNT)
    out.bold(False)
    for row in ruler(layout.columns):
        out.line(row)
    out.align("center")
    out.qr(QR_PAYLOAD)
    out.line("Si vous lisez € et les accents, tout va bien.")
    out.align("left")
    out.cut()
    return bytes(out)
