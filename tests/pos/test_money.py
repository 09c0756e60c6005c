import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.pos.money import (
    InvalidAmount,
    InvalidQuantityText,
    format_amount,
    format_quantity,
    parse_amount,
    parse_quantity,
)


@pytest.mark.parametrize(
    ("text", "cents"),
    [("12", 1200), ("12,5", 1250), ("12.50", 1250), ("-3,20", -320), (" 7,05 € ", 705),
     ("0,01", 1), ("1\u00a0000,00", 100000)],
)
def test_parse_amount_reads_french_and_dotted_forms(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize("text", ["", "abc", "1,234", "12,5,0", "1e3", "--1", "12.", "nan"])
def test_parse_amount_refuses_what_is_not_an_amount(text):
    with pytest.raises(InvalidAmount, match="montant invalide"):
        parse_amount(text)


def test_format_amount_groups_thousands_and_places_the_euro_sign_after():
    assert format_amount(123456) == "1\u202f234,56 €"
    assert format_amount(-5) == "-0,05 €"
    assert format_amount(700, symbol=False) == "7,00"


@settings(deadline=None)  # behaviour, not speed: the machine may be busy
@given(st.integers(min_value=-10**11 + 1, max_value=10**11 - 1))
def test_format_then_parse_is_the_identity(cents):
    assert parse_amount(format_amount(cents).replace("\u202f", "")) == cents


def test_quantities_in_thousandths_read_and_print_in_french():
    assert parse_quantity("1,250") == 1250 and parse_quantity("2") == 2000
    assert format_quantity(1250) == "1,25" and format_quantity(-500) == "-0,5"
    with pytest.raises(InvalidQuantityText):
        parse_quantity("1,2345")
