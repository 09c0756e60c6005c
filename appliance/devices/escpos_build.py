"""ESC/POS byte building: commands, code-page text encoding, raster images.

A small builder rather than python-escpos' `Escpos` methods, because rendering must be a pure,
deterministic function (same document, same bytes, no connection object) and because we choose
the code page ourselves: the main table of the layout (CP858 where the model has it), a switch
with `ESC t n` to another French-capable table for a character the main one lacks (Œ is in
CP1252, not in CP858), and a raster image of the whole line when no table of the model holds a
character (the euro sign on a CP437-only printer). The virtual printer decodes exactly these
commands (`escpos_decode.py`).
"""

from __future__ import annotations

import functools
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from appliance.devices.profiles import PREFERRED_CODE_PAGES, PrinterLayout, python_codec

ESC = b"\x1b"
GS = b"\x1d"
LF = b"\n"

DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")
# Typographic spaces from `format_amount` ("1 234,50 €" uses U+202F) have no place in any
# printer table; a plain space keeps the columns.
_NORMALISE = str.maketrans({"\u202f": " ", "\u00a0": " ", "\u2009": " "})


def normalise(text: str) -> str:
    return text.translate(_NORMALISE)


class EscPosBuilder:
    """Accumulates commands for one layout; `bytes()` gives the result."""

    def __init__(self, layout: PrinterLayout) -> None:
        self.layout = layout
        self._out = bytearray()
        self._table: str | None = None
        self._bold = False
        self._size = (1, 1)
        self._align = "left"
        self._tables = [
            (name, number)
            for name, number in layout.code_pages
            if name == layout.code_page or name in PREFERRED_CODE_PAGES
        ]

    def __bytes__(self) -> bytes:
        return bytes(self._out)

    # -- state ------------------------------------------------------------------------------
    def initialise(self) -> None:
        """ESC @ then select the main code page: a printer left in any state starts clean."""
        self._out += ESC + b"@"
        self._table = None
        self._bold = False
        self._size = (1, 1)
        self._align = "left"
        self._select_table(self.layout.code_page)

    def align(self, where: str) -> None:
        if where != self._align:
            self._out += ESC + b"a" + bytes([{"left": 0, "center": 1, "right": 2}[where]])
            self._align = where

    def bold(self, on: bool) -> None:
        if on != self._bold:
            self._out += ESC + b"E" + bytes([int(on)])
            self._bold = on

    def size(self, width: int = 1, height: int = 1) -> None:
        if (width, height) != self._size:
            self._out += GS + b"!" + bytes([((width - 1) << 4) | (height - 1)])
            self._size = (width, height)

    def _select_table(self, name: str) -> None:
        if name != self._table:
            self._out += ESC + b"t" + bytes([self.layout.code_page_number(name)])
            self._table = name

    # -- content ----------------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        """One printed line; characters no table holds make the line a raster image."""
        text = normalise(text)
        encoded = self._encode(text)
        if encoded is None:
            self.raster(text_image(text, self.layout, self._size, self._bold, self._align))
            return
        for table, chunk in encoded:
            self._select_table(table)
            self._out += chunk
        self._out += LF

    def _encode(self, text: str) -> list[tuple[str, bytes]] | None:
        """Split into (table, bytes) runs: the main table first, so a switch for one missing
        character (Œ) lasts only as long as needed and the configured table stays in use."""
        main = self.layout.code_page
        try:
            return [(main, text.encode(python_codec(main)))]  # the usual case: one table
        except UnicodeEncodeError:
            pass
        runs: list[tuple[str, bytearray]] = []
        current = self._table or main
        tables = tuple(name for name, _ in self._tables)
        for char in text:
            options = _encodings(char, tables)
            if not options:
                return None
            table = main if main in options else current if current in options else next(
                iter(options))
            if not runs or runs[-1][0] != table:
                runs.append((table, bytearray()))
            runs[-1][1].extend(options[table])
            current = table
        return [(table, bytes(chunk)) for table, chunk in runs]

    def feed(self, lines: int) -> None:
        self._out += ESC + b"d" + bytes([lines])

    def cut(self) -> None:
        """Feed past the cutter then a partial cut (GS V 66 n); no cutter: just feed."""
        if self.layout.cutter:
            self._out += GS + b"V" + bytes([66, 3])
        else:
            self.feed(4)

    def qr(self, data: str, module_size: int = 6) -> None:
        """Native QR (GS ( k, model 2, level M) where the model has it, else a raster QR."""
        payload = data.encode("ascii")
        if not self.layout.native_qr:
            # 4 dots per module (0.5 mm at 203 dpi) still scans and halves the bytes on a slow line
            self.raster(qr_image(data, min(module_size, 4)))
            return

        def function(fn: int, body: bytes) -> bytes:
            size = len(body) + 2
            return GS + b"(k" + bytes([size & 0xFF, size >> 8, 49, fn]) + body

        self._out += function(65, bytes([50, 0]))  # model 2
        self._out += function(67, bytes([module_size]))
        self._out += function(69, bytes([49]))  # error correction M
        self._out += function(80, b"0" + payload)
        self._out += function(81, b"0")

    def raster(self, image: Image.Image) -> None:
        """GS v 0: 1 bit per dot, 1 = black, rows of whole bytes; scaled to the paper."""
        mono = fit_width(image, self.layout.pixel_width).convert("1")
        width_bytes = (mono.width + 7) // 8
        padded = Image.new("1", (width_bytes * 8, mono.height), 1)
        padded.paste(mono, (0, 0))
        # PIL mode "1": 0 is black; ESC/POS: 1 is black.
        data = bytes(b ^ 0xFF for b in padded.tobytes())
        self._out += (
            GS + b"v0" + bytes([0, width_bytes & 0xFF, width_bytes >> 8])
            + bytes([mono.height & 0xFF, mono.height >> 8]) + data
        )


def drawer_kick(pin: int, pulse_on_ms: int, pulse_off_ms: int) -> bytes:
    """ESC p m t1 t2: a pulse on connector pin 2 (m = 0) or pin 5 (m = 1), t1 x 2 ms on and
    t2 x 2 ms off. A command of its own, outside any document: the drawer opens on demand."""
    return ESC + b"p" + bytes([0 if pin == 2 else 1, pulse_on_ms // 2, pulse_off_ms // 2])


@functools.lru_cache(maxsize=4096)
def _encodings(char: str, tables: tuple[str, ...]) -> dict[str, bytes]:
    """The byte of `char` in each table that has it, in the tables' order."""
    found = {}
    for table in tables:
        try:
            found[table] = char.encode(python_codec(table))
        except UnicodeEncodeError:
            continue
    return found


def fit_width(image: Image.Image, max_width: int) -> Image.Image:
    if image.width <= max_width:
        return image
    height = max(1, image.height * max_width // image.width)
    return image.resize((max_width, height))


def qr_image(data: str, module_size: int = 6) -> Image.Image:
    import qrcode  # noqa: PLC0415 - python-escpos' own dependency

    code = qrcode.QRCode(box_size=module_size, border=2)
    code.add_data(data)
    code.make(fit=True)
    image: Image.Image = code.make_image(fill_color="black", back_color="white").get_image()
    return image.convert("L")


@functools.lru_cache(maxsize=64)
def load_font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Mono when installed (it has €, Œ and every French letter)."""
    path = DEJAVU_DIR / ("DejaVuSansMono-Bold.ttf" if bold else "DejaVuSansMono.ttf")
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


@functools.lru_cache(maxsize=16)
def font_size_for(columns: int, pixel_width: int) -> int:
    """Largest font size whose `columns` characters fit `pixel_width` dots."""
    size = 8
    while size < 64 and load_font(size + 1).getlength("M" * columns) <= pixel_width:
        size += 1
    return size


def text_image(
    text: str,
    layout: PrinterLayout,
    scale: tuple[int, int] = (1, 1),
    bold: bool = False,
    align: str = "left",
) -> Image.Image:
    """One line of text drawn at the printer's column pitch, for the raster fallback."""
    size = font_size_for(layout.columns, layout.pixel_width)
    font = load_font(size, bold)
    line_height = int(size * 1.25)
    base = Image.new("L", (layout.pixel_width // scale[0], line_height), 255)
    free = max(0, base.width - int(font.getlength(text)))
    x = {"left": 0, "center": free // 2, "right": free}[align]
    ImageDraw.Draw(base).text((x, 0), text, font=font, fill=0)
    return base.resize((base.width * scale[0], base.height * scale[1]))
