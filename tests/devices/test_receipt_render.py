"""Receipt and report bytes, decoded back and compared with the document."""

import pytest
from PIL import Image

from appliance.devices.escpos_decode import (
    Cut,
    QrCode,
    RasterImage,
    TextLine,
    decode,
    text_lines,
)
from appliance.devices.profiles import UnknownProfile, printer_layout, python_codec
from appliance.devices.receipt_render import (
    TRAINING_MARK,
    RenderOptions,
    format_quantity,
    format_rate,
    render_receipt,
    render_report,
)
from appliance.pos.receipt import Report, ReportRow, ReportSection, TicketKind
from tests.devices.helpers import SHOP, sample_receipt

FRENCH = "€ é è à ç ô ù Œ"


def lines_of(data: bytes, columns: int) -> list[str]:
    return text_lines(decode(data), columns)


def text_events(data: bytes) -> list[TextLine]:
    return [event for event in decode(data) if isinstance(event, TextLine)]


def test_rendering_is_pure_and_deterministic():
    layout = printer_layout("TM-T20II")
    assert render_receipt(sample_receipt(), layout) == render_receipt(sample_receipt(), layout)


@pytest.mark.parametrize(("profile", "columns"), [("POS-5890", 32), ("TM-T88V", 42),
                                                  ("TM-T20II", 48)])
def test_every_line_fits_the_paper_and_amounts_end_at_the_right_edge(profile, columns):
    layout = printer_layout(profile, columns)
    receipt = sample_receipt(5)
    events = text_events(render_receipt(receipt, layout))
    for line in events:
        assert len(line.text) * line.width <= columns, line.text
    total_line = next(line for line in events if line.text.startswith("TOTAL TTC"))
    assert total_line.text.endswith("1 262,50 €")
    assert len(total_line.text) == columns
    for label in ("Espèces", "Rendu monnaie", "Total HT"):
        row = next(line.text for line in events if line.text.startswith(label))
        assert row.endswith("€") and len(row) == columns


def test_long_product_names_wrap_without_losing_words():
    layout = printer_layout("POS-5890", 32)
    text = "\n".join(lines_of(render_receipt(sample_receipt(2), layout), 32))
    assert "Bœuf bourguignon à la façon de" in text
    assert "grand-mère, cuisson lente" in text
    assert "  2,5 x 12,51 €" in text and "31,27 € A" in text


def test_total_is_bold_and_double_height_and_the_rest_is_not():
    events = text_events(render_receipt(sample_receipt(), printer_layout()))
    total = next(line for line in events if line.text.startswith("TOTAL TTC"))
    assert total.bold and total.height == 2
    subtotal = next(line for line in events if line.text.startswith("Total HT"))
    assert not subtotal.bold and subtotal.height == 1


def test_vat_table_lists_each_rate():
    lines = lines_of(render_receipt(sample_receipt(), printer_layout("TM-T88V", 42)), 42)
    header = next(index for index, line in enumerate(lines) if "Taux" in line)
    assert lines[header + 1].split() == ["A", "20", "%", "1", "041,67", "208,33", "1", "250,00"]
    assert lines[header + 2].split() == ["B", "5,5", "%", "11,85", "0,65", "12,50"]


def test_narrow_paper_falls_back_to_one_block_per_rate():
    lines = lines_of(render_receipt(sample_receipt(), printer_layout("POS-5890", 32)), 32)
    assert "TVA A 20 %" in lines
    assert any(line.startswith("  TTC") and line.endswith("1 250,00 €") for line in lines)


def test_header_training_duplicate_qr_and_cut():
    receipt = sample_receipt(training=True, duplicate_number=3,
                             duplicate_printed_at="29/11/2026 09:12")
    events = decode(render_receipt(receipt, printer_layout("TM-T20II", 48)))
    texts = [event.text for event in events if isinstance(event, TextLine)]
    assert texts[0] == TRAINING_MARK and texts[-1] == "DUPLICATA n° 3"
    assert texts.count(TRAINING_MARK) == 2 and texts.count("DUPLICATA n° 3") == 2
    assert "Épicerie Œnologique" in texts and "SIRET 12345678900012" in texts
    assert "Duplicata imprimé le 29/11/2026 09:12" in texts
    assert [event.data for event in events if isinstance(event, QrCode)] == ["T1-000042"]
    assert isinstance(events[-1], Cut)


def test_training_mark_is_split_on_58mm_paper():
    texts = [line.text for line in text_events(
        render_receipt(sample_receipt(training=True), printer_layout("POS-5890", 32)))]
    assert "MODE ÉCOLE" in texts and "TICKET FACTICE – SANS VALEUR" in texts


def test_return_receipt_names_the_original_ticket():
    receipt = sample_receipt(kind=TicketKind.RETURN,
                             original_ticket="RETOUR du ticket n° T1-000040",
                             original_issued_at="27/11/2026 18:00")
    texts = [line.text for line in text_events(render_receipt(receipt, printer_layout()))]
    assert "RETOUR" in texts
    assert "RETOUR du ticket n° T1-000040" in texts and "du 27/11/2026 18:00" in texts


@pytest.mark.parametrize(("code_page", "euro_byte"),
                         [("CP858", 0xD5), ("CP1252", 0x80), ("ISO_8859-15", 0xA4)])
def test_euro_and_accents_survive_each_code_page(code_page, euro_byte):
    layout = printer_layout("TM-T20II", code_page=code_page)
    report = Report(SHOP, "Essai", "Caisse 1", "28/11/2026",
                    (ReportSection("Caractères", (ReportRow(FRENCH, value="ok"),)),))
    data = render_report(report, layout)
    assert bytes([0x1B, 0x74, layout.code_page_number(code_page)]) in data
    encoded = "€ é è à ç ô ù".encode(python_codec(code_page))
    assert encoded[0] == euro_byte and encoded in data
    texts = [line.text for line in text_events(data)]
    assert any(text.startswith(FRENCH) for text in texts)
    assert not any(isinstance(event, RasterImage) for event in decode(data))


def test_a_character_missing_from_cp858_switches_table_and_back():
    layout = printer_layout("TM-T20II", code_page="CP858")
    data = render_receipt(sample_receipt(), layout)
    assert b"\x1bt\x10" in data  # CP1252 for Œ (CP858 has no Œ)
    assert "Épicerie Œnologique" in [line.text for line in text_events(data)]


def test_printer_without_euro_gets_a_raster_line_instead_of_a_question_mark():
    layout = printer_layout("simple", 42)  # CP437 only
    assert layout.code_page == "CP437"
    events = decode(render_receipt(sample_receipt(1, reference_code=""), layout))
    texts = [event.text for event in events if isinstance(event, TextLine)]
    assert not any("?" in text or "€" in text for text in texts)
    images = [event for event in events if isinstance(event, RasterImage)]
    assert images and all(image.size[0] == layout.pixel_width for image in images)
    # the raster lines really carry ink (glyphs drawn in black)
    assert all(image.image.convert("L").getextrema()[0] == 0 for image in images)
    assert "Caisse : Caisse 1" in texts  # plain lines stay text


def test_no_native_qr_means_a_raster_qr():
    layout = printer_layout("POS-5890", 32)
    events = decode(render_receipt(sample_receipt(), layout))
    assert not any(isinstance(event, QrCode) for event in events)
    assert any(isinstance(event, RasterImage) and event.size[0] >= 100 for event in events)


def test_logo_is_printed_first_and_scaled_to_the_paper():
    logo = Image.new("L", (1200, 100), 0)
    layout = printer_layout("TM-T20II")
    events = decode(render_receipt(sample_receipt(), layout, RenderOptions(logo)))
    first_image = next(event for event in events if isinstance(event, RasterImage))
    assert first_image.size == (576, 48)
    assert events.index(first_image) < next(
        index for index, event in enumerate(events)
        if isinstance(event, TextLine) and event.text == "Épicerie Œnologique")


def test_report_rows_and_amounts():
    report = Report(
        SHOP, "Rapport Z n° 12", "Caisse 1", "28/11/2026 20:00",
        (ReportSection("Ventes", (ReportRow("Espèces", 123450),
                                  ReportRow("Tickets", None, "57"))),),
        fiscal_lines=("Clôture 12 · empreinte ab12",), qr_code="Z12",
    )
    events = decode(render_report(report, printer_layout("TM-T88V", 42)))
    texts = [event.text for event in events if isinstance(event, TextLine)]
    assert "Rapport Z n° 12" in texts
    assert "Espèces" + " " * 25 + "1 234,50 €" in texts
    assert "Tickets" + " " * 33 + "57" in texts
    assert [event.data for event in events if isinstance(event, QrCode)] == ["Z12"]


def test_quantity_and_rate_formats():
    assert [format_quantity(q) for q in (1000, 1250, 2500, 333, -2000)] == [
        "1", "1,25", "2,5", "0,333", "-2"]
    assert [format_rate(r) for r in (2000, 1000, 550, 210)] == ["20 %", "10 %", "5,5 %", "2,1 %"]


def test_unknown_profile_and_width_are_refused_with_the_known_values():
    with pytest.raises(UnknownProfile, match="TM-T20II"):
        printer_layout("TM-NOPE")
    with pytest.raises(UnknownProfile, match="32, 42, 48"):
        printer_layout("TM-T20II", 40)
    with pytest.raises(UnknownProfile, match="CP858"):
        printer_layout("simple", code_page="CP858")
