"""Bytes per typical receipt and the time they take on the wire.

A typical receipt: 15 lines (a few with quantities, two long names that wrap), two VAT rates,
one payment with change, the fiscal lines, a QR code with the ticket reference, and the cut.
Printed for 58 mm (32 columns) and 80 mm (42 and 48 columns) profiles, without and with a
200-dot logo. Wire time: 9600 baud serial carries 960 bytes/s (8N1); USB full speed moves
about 1 MB/s in bulk transfers (the printer's own speed, ~150-250 mm/s, dominates there).
Target: under 2 KB without logo.

    .venv/bin/python bench/devices_receipt_bytes.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from appliance.devices.profiles import printer_layout
from appliance.devices.receipt_render import RenderOptions, render_receipt
from appliance.pos.receipt import Receipt, ReceiptLine, ShopIdentity, TenderRow, VatRow

SERIAL_BYTES_PER_S = 9600 / 10
USB_BYTES_PER_S = 1_000_000
LABELS = [
    "Baguette tradition", "Croissant pur beurre", "Pain au chocolat", "Café expresso",
    "Jus d'orange pressé", "Tarte aux pommes", "Éclair au café",
    "Sandwich jambon-beurre, emmental et cornichons", "Quiche lorraine", "Eau minérale 50 cl",
    "Chouquettes x10", "Pain de campagne aux céréales anciennes, 500 g", "Macaron framboise",
    "Thé vert bio", "Financier amande",
]


def typical_receipt() -> Receipt:
    lines = tuple(
        ReceiptLine(label, 1000 if index % 4 else 2000, 120 + 35 * index,
                    (120 + 35 * index) * (1 if index % 4 else 2), "A" if index % 3 else "B")
        for index, label in enumerate(LABELS)
    )
    return Receipt(
        shop=ShopIdentity("Boulangerie du Marché", "SARL Farine & Fils",
                          ("12 rue de la République", "13001 Marseille"),
                          siret="12345678900012", vat_number="FR45123456789",
                          phone="04 91 00 00 00"),
        register_name="Caisse 1", ticket_number="C1-004217", issued_at="28/11/2026 08:42",
        lines=lines,
        vat_rows=(VatRow("A", 550, 4500, 248, 4748), VatRow("B", 1000, 1400, 140, 1540)),
        total_ht_cents=5900, total_ttc_cents=6288,
        tenders=(TenderRow("Espèces", 7000),), change_cents=712, seller="Julie",
        fiscal_lines=("Journal 4217 · empreinte 3fa9…c1d2", "Appliance 0.1.0 · NF525 en cours"),
        reference_code="C1-004217", footer_lines=("Merci de votre visite !",),
    )


def logo() -> Image.Image:
    image = Image.new("L", (200, 80), 255)
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, 76, 76), outline=0, width=6)
    draw.rectangle((90, 20, 196, 60), fill=0)
    return image


def main() -> int:
    receipt = typical_receipt()
    worst = 0
    for profile, columns in (("POS-5890", 32), ("TM-T88V", 42), ("TM-T20II", 48)):
        layout = printer_layout(profile, columns)
        plain = render_receipt(receipt, layout)
        with_logo = render_receipt(receipt, layout, RenderOptions(logo()))
        timings = []
        for _ in range(50):
            start = time.perf_counter()
            render_receipt(receipt, layout)
            timings.append((time.perf_counter() - start) * 1000)
        qr = "native QR" if layout.native_qr else "raster QR"
        worst = max(worst, len(plain) if layout.native_qr else 0)
        print(f"{profile:9} {columns} col ({qr}): {len(plain):5d} B"
              f" -> {len(plain) / SERIAL_BYTES_PER_S:5.2f} s at 9600 baud,"
              f" {len(plain) / USB_BYTES_PER_S * 1000:5.2f} ms on USB;"
              f" with logo {len(with_logo):5d} B ({len(with_logo) / SERIAL_BYTES_PER_S:5.2f} s);"
              f" render p50 {statistics.median(timings):.2f} ms")
    verdict = "OK" if worst < 2048 else "ABOVE TARGET"
    print(f"largest receipt without logo on native-QR printers: {worst} B"
          f" (target < 2048 B: {verdict}); a 58 mm printer without native QR adds the QR as"
          " a raster image")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
