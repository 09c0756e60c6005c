import pytest

from appliance.pos.barcode import (
    Embedded,
    EmbeddedRule,
    Nomenclature,
    Symbology,
    check_digit,
    decode,
    upce_to_upca,
)
from appliance.pos.errors import InvalidBarcode


@pytest.mark.parametrize(
    ("code", "symbology"),
    [("4006381333931", Symbology.EAN13), ("3760020507350", Symbology.EAN13),
     ("96385074", Symbology.EAN8), ("036000291452", Symbology.UPCA),
     ("04252614", Symbology.UPCE)],
)
def test_valid_codes_are_recognised(code, symbology):
    assert decode(code).symbology is symbology


def test_upc_codes_are_looked_up_as_gtin13():
    assert decode("036000291452").lookup == "0036000291452"
    assert upce_to_upca("04252614") == "042100005264"
    assert decode("04252614").lookup == "0042100005264"


@pytest.mark.parametrize(
    ("code", "reason"),
    [("4006381333932", "check_digit"), ("96385075", "check_digit"), ("12345", "length"),
     ("40063813339a1", "digits"), ("", "digits"), ("４００６３８１３３３９３１", "digits")],
)
def test_bad_codes_are_refused_with_the_reason(code, reason):
    with pytest.raises(InvalidBarcode) as caught:
        decode(code)
    assert caught.value.reason == reason


def test_check_digit_message_says_what_was_expected():
    with pytest.raises(InvalidBarcode, match="attendu 1, lu 2"):
        decode("4006381333932")


def _with_check(body):
    return body + check_digit(body)


def test_weight_and_price_embedded_codes_default_nomenclature():
    weighed = decode(_with_check("231234501250"))
    assert (weighed.embedded, weighed.weight_grams, weighed.item) == (
        Embedded.WEIGHT, 1250, "2312345")
    assert weighed.lookup == _with_check("231234500000")
    priced = decode(_with_check("211234500399"))
    assert (priced.embedded, priced.price_cents) == (Embedded.PRICE, 399)
    plain = decode(_with_check("200000012345"))
    assert plain.embedded is Embedded.PLAIN and plain.lookup == plain.code


def test_nomenclature_is_configurable():
    nomenclature = Nomenclature((EmbeddedRule("28", Embedded.WEIGHT, 4, 6),))
    scanned = decode(_with_check("281234012345"), nomenclature)
    assert (scanned.item, scanned.weight_grams) == ("281234", 12345)
    assert decode(_with_check("211234500399"), nomenclature).embedded is Embedded.PLAIN
