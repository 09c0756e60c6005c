"""ESC/POS bytes back to what a printer would print: the virtual printer's and the tests' eyes.

No published decoder handles what python-escpos and our renderer emit, so this is a small
one. It walks the bytes as a printer does: text decoded with the active code page (`ESC t n`),
emphasis and sizes, alignment, feeds, cuts, drawer kicks, barcodes, native QR codes, raster
images and `DLE EOT` status queries. An unknown command raises `DecodeError`
with its offset rather than being skipped, so a test never passes on bytes nobody understood.

`EscPosDecoder.feed()` accepts bytes in any chunking (a TCP stream) and returns the events of
the complete commands received so far.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PIL import Image

from appliance.devices.profiles import python_codec


class DecodeError(ValueError):
    """Bytes that are not a command this decoder knows; `offset` is in the whole stream."""

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(f"{message} (octet {offset})")
        self.offset = offset


class _NeedMore(Exception):
    """The buffer ends inside a command: wait for the next chunk."""


@dataclass(frozen=True)
class Span:
    text: str
    bold: bool = False
    width: int = 1
    height: int = 1
    underline: bool = False


@dataclass(frozen=True)
class TextLine:
    spans: tuple[Span, ...]
    align: str = "left"

    @property
    def text(self) -> str:
        return "".join(span.text for span in self.spans)

    @property
    def width(self) -> int:
        return max((span.width for span in self.spans), default=1)

    @property
    def height(self) -> int:
        return max((span.height for span in self.spans), default=1)

    @property
    def bold(self) -> bool:
        return any(span.bold for span in self.spans if span.text.strip())


@dataclass(frozen=True)
class Feed:
    lines: int


@dataclass(frozen=True)
class Cut:
    partial: bool


@dataclass(frozen=True)
class DrawerKick:
    pin: int  # 2 or 5 (connector pins)
    on_ms: int
    off_ms: int


@dataclass(frozen=True)
class Barcode:
    symbology: str
    data: str


@dataclass(frozen=True)
class QrCode:
    data: str
    module_size: int


@dataclass(frozen=True)
class RasterImage:
    image: Image.Image = field(compare=False)
    align: str = "left"

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


@dataclass(frozen=True)
class StatusQuery:
    kind: int  # DLE EOT n: 1 printer, 2 offline cause, 3 error cause, 4 paper sensor


Event = TextLine | Feed | Cut | DrawerKick | Barcode | QrCode | RasterImage | StatusQuery

BARCODE_NAMES = {
    0: "UPC-A", 1: "UPC-E", 2: "EAN13", 3: "EAN8", 4: "CODE39", 5: "ITF", 6: "CODABAR",
    65: "UPC-A", 66: "UPC-E", 67: "EAN13", 68: "EAN8", 69: "CODE39", 70: "ITF",
    71: "CODABAR", 72: "CODE93", 73: "CODE128",
}
# ESC x / GS x commands that only set something we do not draw: how many argument bytes.
_ESC_IGNORED = {b"2": 0, b"3": 1, b"J": 1, b"M": 1, b"R": 1, b"V": 1, b"{": 1, b" ": 1,
                b"U": 1, b"r": 1, b"e": 1, b"D": None}
_GS_IGNORED = {b"h": 1, b"w": 1, b"H": 1, b"f": 1, b"B": 1, b"b": 1, b"a": 1, b"L": 2,
               b"W": 2, b"P": 2}


def default_code_pages() -> dict[int, str]:
    """ESC t numbers of python-escpos' generic profile (CP858 = 19, CP1252 = 16, ...)."""
    from escpos.capabilities import CAPABILITIES  # noqa: PLC0415 - heavy, optional

    pages = CAPABILITIES["profiles"]["default"]["codePages"]
    return {int(number): name for number, name in pages.items() if name != "Unknown"}


class EscPosDecoder:
    """Stateful decoder of one connection's byte stream."""

    def __init__(
        self,
        code_pages: dict[int, str] | None = None,
        on_error: Callable[[DecodeError], None] | None = None,
    ) -> None:
        """`on_error` given: report an unknown command and skip its first byte (a server
        keeps printing); absent: raise (tests)."""
        self._code_pages = code_pages if code_pages is not None else default_code_pages()
        self._on_error = on_error
        self._buffer = bytearray()
        self._offset = 0  # stream offset of _buffer[0]
        self._spans: list[Span] = []
        self._qr_store = ""
        self._qr_size = 3
        self._reset()

    def _reset(self) -> None:
        self._code_page = self._code_pages.get(0, "CP437")
        self.bold = False
        self.underline = False
        self.size = (1, 1)
        self.align = "left"

    # -- public -------------------------------------------------------------------------------
    def feed(self, data: bytes) -> list[Event]:
        """Decode what is complete; keep a command cut in the middle for the next call."""
        self._buffer += data
        events: list[Event] = []
        position = 0
        while position < len(self._buffer):
            try:
                position = self._step(position, events)
            except _NeedMore:
                break
            except DecodeError as error:
                if self._on_error is None:
                    raise
                self._on_error(error)
                position += 1
        del self._buffer[:position]
        self._offset += position
        return events

    def flush(self) -> list[Event]:
        """End of stream: print a last unterminated line, as a printer does on close."""
        events: list[Event] = []
        self._flush_line(events, force=False)
        return events

    @property
    def pending_bytes(self) -> int:
        return len(self._buffer)

    # -- parsing ------------------------------------------------------------------------------
    def _need(self, position: int, count: int) -> bytes:
        if position + count > len(self._buffer):
            raise _NeedMore
        return bytes(self._buffer[position : position + count])

    def _step(self, position: int, events: list[Event]) -> int:  # noqa: PLR0911 - dispatch
        byte = self._buffer[position]
        if byte == 0x0A:
            self._flush_line(events, force=True)
            return position + 1
        if byte in (0x0D, 0x00):
            return position + 1
        if byte == 0x09:
            self._text(b" ")
            return position + 1
        if byte == 0x0C:
            self._flush_line(events, force=False)
            return position + 1
        if byte == 0x1B:
            return self._esc(position, events)
        if byte == 0x1D:
            return self._gs(position, events)
        if byte == 0x10:
            return self._dle(position, events)
        if byte == 0x1C:
            return self._fs(position)
        if byte < 0x20:
            raise DecodeError(f"contrôle inconnu 0x{byte:02x}", self._offset + position)
        end = position
        while end < len(self._buffer) and self._buffer[end] >= 0x20:
            end += 1
        self._text(bytes(self._buffer[position:end]))
        return end

    def _text(self, raw: bytes) -> None:
        text = raw.decode(python_codec(self._code_page), errors="replace")
        style = (self.bold, self.size[0], self.size[1], self.underline)
        if self._spans and (
            self._spans[-1].bold, self._spans[-1].width, self._spans[-1].height,
            self._spans[-1].underline,
        ) == style:
            last = self._spans.pop()
            text = last.text + text
        self._spans.append(Span(text, *style))

    def _flush_line(self, events: list[Event], force: bool) -> None:
        if self._spans or force:
            spans = tuple(self._spans) or (Span("", self.bold, *self.size, self.underline),)
            events.append(TextLine(spans, self.align))
            self._spans = []

    def _esc(self, position: int, events: list[Event]) -> int:  # noqa: PLR0911 - dispatch
        command = self._need(position + 1, 1)
        start = position + 2
        handlers: dict[bytes, Callable[[int], None]] = {
            b"!": self._set_mode,
            b"E": lambda n: setattr(self, "bold", bool(n & 1)),
            b"G": lambda n: setattr(self, "bold", bool(n & 1)),
            b"-": lambda n: setattr(self, "underline", bool(n & 3)),
            b"a": self._set_align,
            b"t": self._set_code_page,
        }
        if command == b"@":
            self._flush_line(events, force=False)
            self._reset()
            return start
        if command in handlers:
            handlers[command](self._need(start, 1)[0])
            return start + 1
        if command == b"d":
            self._flush_line(events, force=False)
            events.append(Feed(self._need(start, 1)[0]))
            return start + 1
        if command == b"p":
            pin, on, off = self._need(start, 3)
            events.append(DrawerKick(2 if pin in (0, 48) else 5, on * 2, off * 2))
            return start + 3
        if command in (b"i", b"m"):
            self._flush_line(events, force=False)
            events.append(Cut(partial=command == b"m"))
            return start
        if command == b"c":
            self._need(start, 2)
            return start + 2
        if command == b"D":  # tab positions, NUL-terminated
            end = self._buffer.find(0, start)
            if end < 0:
                raise _NeedMore
            return end + 1
        if command in _ESC_IGNORED:
            count = _ESC_IGNORED[command] or 0
            self._need(start, count)
            return start + count
        raise DecodeError(f"commande ESC {command!r} inconnue", self._offset + position)

    def _set_mode(self, n: int) -> None:
        self.bold = bool(n & 0x08)
        self.underline = bool(n & 0x80)
        self.size = (2 if n & 0x20 else 1, 2 if n & 0x10 else 1)

    def _set_align(self, n: int) -> None:
        self.align = {0: "left", 1: "center", 2: "right", 48: "left", 49: "center",
                      50: "right"}.get(n, "left")

    def _set_code_page(self, n: int) -> None:
        name = self._code_pages.get(n)
        if name is None:
            raise DecodeError(f"page de code ESC t {n} inconnue", self._offset)
        # A printer keeps its table when the number is unknown; so do we, after reporting.
        self._code_page = name

    def _gs(self, position: int, events: list[Event]) -> int:
        command = self._need(position + 1, 1)
        start = position + 2
        if command == b"!":
            n = self._need(start, 1)[0]
            self.size = ((n >> 4) + 1, (n & 0x0F) + 1)
            return start + 1
        if command == b"V":
            mode = self._need(start, 1)[0]
            length = 2 if mode in (65, 66) else 1  # function B carries a feed amount
            self._need(start, length)
            self._flush_line(events, force=False)
            events.append(Cut(partial=mode in (1, 49, 66)))
            return start + length
        if command == b"k":
            return self._barcode(start, events)
        if command == b"v":
            return self._raster(start, events)
        if command == b"(":
            return self._gs_paren(position, start, events)
        if command in _GS_IGNORED:
            count = _GS_IGNORED[command]
            self._need(start, count)
            return start + count
        raise DecodeError(f"commande GS {command!r} inconnue", self._offset + position)

    def _barcode(self, start: int, events: list[Event]) -> int:
        kind = self._need(start, 1)[0]
        if kind <= 6:
            end = self._buffer.find(0, start + 1)
            if end < 0:
                raise _NeedMore
            data, after = bytes(self._buffer[start + 1 : end]), end + 1
        else:
            length = self._need(start + 1, 1)[0]
            data, after = self._need(start + 2, length), start + 2 + length
        self._flush_line(events, force=False)
        events.append(Barcode(BARCODE_NAMES.get(kind, str(kind)), data.decode("ascii", "replace")))
        return after

    def _raster(self, start: int, events: list[Event]) -> int:
        header = self._need(start, 6)
        if header[0] != ord("0"):
            raise DecodeError("GS v inconnu", self._offset + start)
        width_bytes = header[2] | header[3] << 8
        height = header[4] | header[5] << 8
        data = self._need(start + 6, width_bytes * height)
        image = Image.frombytes("1", (width_bytes * 8, height), bytes(b ^ 0xFF for b in data))
        self._flush_line(events, force=False)
        events.append(RasterImage(image, self.align))
        return start + 6 + width_bytes * height

    def _gs_paren(self, position: int, start: int, events: list[Event]) -> int:
        kind, low, high = self._need(start, 3)
        length = low | high << 8
        body = self._need(start + 3, length)
        after = start + 3 + length
        if kind != ord("k"):
            raise DecodeError(f"commande GS ( {chr(kind)!r} inconnue", self._offset + position)
        if len(body) < 2 or body[0] != 49:  # only QR codes (cn = 49)
            return after
        function = body[1]
        if function == 67:
            self._qr_size = body[2]
        elif function == 80:
            self._qr_store = body[3:].decode("utf-8", "replace")
        elif function == 81:
            self._flush_line(events, force=False)
            events.append(QrCode(self._qr_store, self._qr_size))
        return after

    def _dle(self, position: int, events: list[Event]) -> int:
        command = self._need(position + 1, 1)
        if command == b"\x04":
            events.append(StatusQuery(self._need(position + 2, 1)[0]))
            return position + 3
        if command == b"\x14":
            function, pin, units = self._need(position + 2, 3)
            if function == 1:
                events.append(DrawerKick(2 if pin == 0 else 5, units * 100, units * 100))
            return position + 5
        raise DecodeError(f"commande DLE {command!r} inconnue", self._offset + position)

    def _fs(self, position: int) -> int:
        command = self._need(position + 1, 1)
        if command in (b".", b"&"):
            return position + 2
        if command == b"C":
            return position + 3
        if command == b"p":
            return position + 4
        raise DecodeError(f"commande FS {command!r} inconnue", self._offset + position)


def decode(data: bytes, code_pages: dict[int, str] | None = None) -> list[Event]:
    """Decode a whole byte string (tests, the `printer test` dry run)."""
    decoder = EscPosDecoder(code_pages)
    events = decoder.feed(data)
    if decoder.pending_bytes:
        raise DecodeError("les octets se terminent au milieu d'une commande", len(data))
    return events + decoder.flush()


def split_on_cuts(events: list[Event]) -> list[list[Event]]:
    """One list per paper piece: everything up to and including each cut, then the rest."""
    pieces: list[list[Event]] = [[]]
    for event in events:
        pieces[-1].append(event)
        if isinstance(event, Cut):
            pieces.append([])
    return [piece for piece in pieces if piece]


def text_lines(events: list[Event], columns: int = 48) -> list[str]:
    """The paper as text: aligned lines, feeds, and bracketed notes for non-text marks."""
    lines: list[str] = []
    for event in events:
        if isinstance(event, TextLine):
            room = max(1, columns // event.width)
            text = event.text
            if event.align == "center":
                text = text.center(room).rstrip()
            elif event.align == "right":
                text = text.rjust(room)
            lines.append(text)
        elif isinstance(event, Feed):
            lines.extend([""] * event.lines)
        elif isinstance(event, Barcode):
            lines.append(f"[code-barres {event.symbology} : {event.data}]")
        elif isinstance(event, QrCode):
            lines.append(f"[QR : {event.data}]")
        elif isinstance(event, RasterImage):
            lines.append(f"[image {event.size[0]}x{event.size[1]}]")
        elif isinstance(event, DrawerKick):
            lines.append(f"[tiroir : broche {event.pin}, {event.on_ms}/{event.off_ms} ms]")
    return lines
