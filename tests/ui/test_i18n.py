"""The gettext catalogues: every screen text has its English entry; French is the source."""

import re
import string
from pathlib import Path

from appliance.pos.errors import REFUSALS as DOMAIN_REFUSALS
from appliance.till import NoSession
from appliance.till.errors import REFUSALS as TILL_REFUSALS
from appliance.ui.i18n import LOCALE_DIR, Translator, error_text, load_po

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


def fields(template: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(template) if name}


def test_every_refusal_of_both_catalogues_has_an_english_template_with_its_placeholders():
    english = load_po(LOCALE_DIR / "en.po")
    templates = {*DOMAIN_REFUSALS.values(), *TILL_REFUSALS.values()}
    assert len(templates) > 70
    missing = sorted(t for t in templates if t not in english)
    assert missing == []
    changed = sorted(t for t in templates if fields(english[t]) != fields(t))
    assert changed == []


def test_a_till_refusal_is_translated_by_its_template():
    """(The kiosk's own translator is shared with the kv rules of every kiosk this process
    ran: switching it here would call back into stopped apps. tests/ui/test_english_refusals
    shows the refusals on an English window.)"""
    refusal = NoSession("no_session")
    assert refusal.translated(Translator("en")._) == (
        "no cash session open: enter the opening float"
    )
    assert error_text(refusal) == refusal.message  # the kiosk's translator is in French
    assert error_text(ValueError("texte")) == "texte"


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
