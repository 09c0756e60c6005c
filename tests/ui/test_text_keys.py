"""The on-screen keyboard's editing rule: a capital C is a letter, "Vider" clears."""

from appliance.ui.widgets import CLEAR_TEXT_KEY, apply_text_key


def test_capital_c_is_typed_and_the_clear_key_clears():
    assert apply_text_key("Ab", "C") == "AbC"
    assert apply_text_key("AbC", CLEAR_TEXT_KEY) == ""
    assert apply_text_key("AbC", "Eff.") == "Ab"
    assert apply_text_key("Ab", "Espace") == "Ab "
    assert CLEAR_TEXT_KEY != "C"
