"""The gettext catalogues: every screen text has its English entry; French is the source."""

import re
from pathlib import Path

from appliance.ui.i18n import LOCALE_DIR, Translator, load_po

UI_DIR = Path(__file__).parents[2] / "appliance" / "ui"
_CALL = re.compile(r'tr\._\(\s*"((?:[^"\\]|\\.)*)"')


def used_message_ids() -> set[str]:
    ids: set[str] = set()
    for path in [*UI_DIR.rglob("*.py"), *UI_DIR.rglob("*.kv")]:
        for raw in _CALL.findall(path.read_text(encoding="utf-8")):
            ids.add(raw.encode().decode("unicode_escape").encode("latin-1").decode("utf-8"))
    return ids


def test_every_screen_text_has_an_english_translation():
    english = load_po(LOCALE_DIR / "en.po")
    used = used_message_ids()
    assert len(used) > 100
    missing = sorted(used - set(english))
    assert missing == []


def test_placeholders_survive_translation():
    english = load_po(LOCALE_DIR / "en.po")
    for french, translated in english.items():
        assert set(re.findall(r"{\w+}", french)) == set(re.findall(r"{\w+}", translated)), french


def test_french_is_the_default_and_falls_back_to_the_message_id():
    translator = Translator()
    assert translator.language == "fr"
    assert translator._("Nouvelle vente") == "Nouvelle vente"
    translator.switch("en")
    assert translator._("Nouvelle vente") == "New sale"
    assert translator._("Remise\nligne") == "Line\ndiscount"
    assert translator._("texte sans traduction") == "texte sans traduction"
    translator.switch("de")  # unknown: back to French, not an error
    assert translator.language == "fr"
    assert translator._("Nouvelle vente") == "Nouvelle vente"


def test_po_parser_reads_multiline_strings_and_skips_the_header(tmp_path):
    po = tmp_path / "xx.po"
    po.write_text(
        'msgid ""\nmsgstr ""\n"Language: xx\\n"\n\n'
        'msgid "Bonjour"\nmsgstr ""\n"Hel"\n"lo"\n\n'
        'msgid "Vide"\nmsgstr ""\n',
        encoding="utf-8",
    )
    assert load_po(po) == {"Bonjour": "Hello"}


def test_language_switch_notifies_kv_bindings():
    translator = Translator()
    seen = []
    translator.fbind("_", lambda *args: seen.append(translator._("Payer")))
    translator.switch("en")
    assert seen == ["Pay"]
