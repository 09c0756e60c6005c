"""The screen's spelling of amounts matches the receipt's, and keypad text never goes float."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.pos.money import format_amount
from appliance.ui import fmt


@given(st.integers(min_value=-(10**11), max_value=10**11))
def test_money_is_spelt_like_the_receipt(cents):
    assert fmt.money(cents) == format_amount(cents)


@pytest.mark.parametrize(
    ("text", "cents"), [("12", 1200), ("12,5", 1250), ("0,05", 5), (",5", 50), ("12.34", 1234)]
)
def test_keypad_amounts(text, cents):
    assert fmt.cents_from_keypad(text) == cents


@pytest.mark.parametrize("text", ["", ",", "1,234", "1,2,3", "abc", "-3"])
def test_keypad_refuses_what_is_not_an_amount(text):
    with pytest.raises(ValueError):
        fmt.cents_from_keypad(text)


def test_quantities_and_discount_rates():
    assert fmt.milli_from_keypad("1,5") == 1500
    assert fmt.milli_from_keypad("0,250") == 250
    assert fmt.quantity(1000) == "1"
    assert fmt.quantity(1500) == "1,5"
    assert fmt.quantity(250) == "0,25"
    assert fmt.basis_points_from_keypad("12,5") == 1250


def test_instants_in_local_time():
    assert fmt.when("") == "—"
    assert fmt.when("not a date") == "not a date"
    assert fmt.when("2026-11-28T22:04:13") == "28/11/2026 22:04"
    assert fmt.when("2026-11-28T22:04:13Z")[:10] in ("28/11/2026", "29/11/2026")
