"""Decoded ESC/POS events drawn as the paper roll would look (the virtual printer's PNG).

Text at the printer's pitch in DejaVu Sans Mono (Pillow's default font when DejaVu is not
installed), bold and double sizes as printed, raster images pasted as they are, QR codes
redrawn from their payload, barcodes drawn with python-barcode where the data is valid.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageOps

from appliance.devices.escpos_build import font_size_for, load_font, qr_image
from appliance.devices.escpos_decode import (
    Barcode,
    Event,
    Feed,
    QrCode,
    RasterImage,
    TextLine,
)

MARGIN = 12


def paper_image(events: list[Event], columns: int = 48, pixel_width: int = 576) -> Image.Image:
    """One receipt as a white strip `pixel_width` dots wide plus margins."""
    size = font_size_for(columns, pixel_width)
    line_height = int(size * 1.3)
    drawn = (_block(event, size, line_height, pixel_width) for event in events)
    blocks = [block for block in drawn if block is not None]
    height = sum(block.height for block, _ in blocks) + 2 * MARGIN
    paper = Image.new("L", (pixel_width + 2 * MARGIN, max(height, 2 * MARGIN + line_height)), 255)
    y = MARGIN
    for block, align in blocks:
        free = pixel_width - block.width
        x = MARGIN + {"left": 0, "center": free // 2, "right": free}[align]
        paper.paste(block, (x, y))
        y += block.height
    return paper


def _block(
    event: Event, size: int, line_height: int, pixel_width: int
) -> tuple[Image.Image, str] | None:
    if isinstance(event, TextLine):
        return _text_block(event, size, line_height, pixel_width), "left"
    if isinstance(event, Feed):
        return Image.new("L", (1, line_height * event.lines), 255), "left"
    if isinstance(event, RasterImage):
        return _fit(event.image.convert("L"), pixel_width), event.align
    if isinstance(event, QrCode):
        return _fit(qr_image(event.data, event.module_size), pixel_width), "center"
    if isinstance(event, Barcode):
        return _fit(_barcode_image(event, size, line_height), pixel_width), "center"
    return None  # drawer kicks, cuts and status queries leave no ink


def _text_block(line: TextLine, size: int, line_height: int, pixel_width: int) -> Image.Image:
    """Spans laid left to right, each scaled by its width/height factors, then aligned."""
    pieces: list[Image.Image] = []
    for span in line.spans:
        font = load_font(size, span.bold)
        piece = Image.new("L", (max(1, int(font.getlength(span.text))), line_height), 255)
        draw = ImageDraw.Draw(piece)
        draw.text((0, 0), span.text, font=font, fill=0)
        if span.underline:
            draw.line((0, line_height - 2, piece.width, line_height - 2), fill=0)
        pieces.append(piece.resize((piece.width * span.width, line_height * span.height)))
    height = max((piece.height for piece in pieces), default=line_height)
    row = Image.new("L", (pixel_width, height), 255)
    used = sum(piece.width for piece in pieces)
    free = max(0, pixel_width - used)
    x = {"left": 0, "center": free // 2, "right": free}[line.align]
    for piece in pieces:
        row.paste(piece, (x, height - piece.height))
        x += piece.width
    return row


def _barcode_image(event: Barcode, size: int, line_height: int) -> Image.Image:
    import barcode  # noqa: PLC0415 - python-barcode, a python-escpos dependency
    from barcode.errors import BarcodeError  # noqa: PLC0415
    from barcode.writer import ImageWriter  # noqa: PLC0415

    names = {"EAN13": "ean13", "EAN8": "ean8", "UPC-A": "upca", "CODE39": "code39",
             "CODE128": "code128", "ITF": "itf"}
    name = names.get(event.symbology)
    if name is not None:
        try:
            drawn = barcode.get(name, event.data, writer=ImageWriter())
            image: Image.Image = drawn.render({"module_height": 10.0, "font_size": 8})
            return image.convert("L")
        except BarcodeError:
            pass
    note = Image.new("L", (size * 20, line_height), 255)
    ImageDraw.Draw(note).text((0, 0), f"[{event.symbology} {event.data}]", font=load_font(size))
    return note


def _fit(image: Image.Image, pixel_width: int) -> Image.Image:
    if image.width <= pixel_width:
        return image
    return ImageOps.contain(image, (pixel_width, image.height))
