"""The decoder reads python-escpos' own output too, so it is not only an echo of our encoder."""

import pytest

from appliance.devices.escpos_decode import (
    Barcode,
    Cut,
    DecodeError,
    DrawerKick,
    EscPosDecoder,
    QrCode,
    RasterImage,
    StatusQuery,
    TextLine,
    decode,
    split_on_cuts,
)
from appliance.devices.profiles import printer_layout
from appliance.devices.receipt_render import render_receipt
from tests.devices.helpers import escpos_dummy_output, sample_receipt


def test_decodes_what_python_escpos_emits():
    events = decode(escpos_dummy_output())
    text = next(event for event in events if isinstance(event, TextLine))
    assert text.text == "Summe 12,50 € Äpfel"
    assert text.bold and text.height == 2 and text.align == "center"
    assert [(e.symbology, e.data) for e in events if isinstance(e, Barcode)] == [
        ("EAN13", "4006381333931")]
    assert [e.data for e in events if isinstance(e, QrCode)] == ["https://example.invalid/r/42"]
    image = next(event for event in events if isinstance(event, RasterImage))
    assert image.size == (64, 16)
    assert image.image.convert("L").getextrema() == (0, 0)  # every dot black, as sent
    assert DrawerKick(5, 100, 100) in events
    assert isinstance(events[-1], Cut)


def test_any_chunking_gives_the_same_events():
    data = render_receipt(sample_receipt(4), printer_layout("TM-T20II")) + b"\x10\x04\x01"
    whole = decode(data)
    decoder = EscPosDecoder()
    pieces = []
    for start in range(0, len(data), 7):
        pieces += decoder.feed(data[start:start + 7])
    assert pieces + decoder.flush() == whole
    assert whole[-1] == StatusQuery(1)


def test_unknown_command_raises_with_its_offset():
    with pytest.raises(DecodeError, match="octet 6"):
        decode(b"hello\n\x1b\xfe")


def test_lenient_decoder_reports_and_keeps_going():
    errors = []
    events = EscPosDecoder(on_error=errors.append).feed(b"\x1b\xfeok\n")
    assert len(errors) == 1
    # only the ESC byte is dropped; the printer prints the next byte as a character
    assert [event.text for event in events if isinstance(event, TextLine)] == ["\u25a0ok"]


def test_truncated_stream_is_an_error_for_a_whole_decode():
    with pytest.raises(DecodeError, match="milieu"):
        decode(b"\x1dv0\x00\x02\x00\x05\x00\xff")


def test_split_on_cuts_gives_one_piece_per_receipt():
    layout = printer_layout("TM-T20II")
    data = render_receipt(sample_receipt(1), layout) + render_receipt(sample_receipt(2), layout)
    pieces = split_on_cuts(decode(data))
    assert len(pieces) == 2 and all(isinstance(piece[-1], Cut) for piece in pieces)
