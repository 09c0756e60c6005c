"""Key-event decoding as a pure function: both layouts, Shift, Caps Lock, AltGr, affixes."""

import pytest
from evdev import ecodes

from appliance.devices.keymaps import (
    EV_KEY,
    KEY_DOWN,
    KEY_HOLD,
    KEY_UP,
    KEYMAPS,
    KEYS,
    UNKNOWN_CHAR,
    KeyDecoder,
    decode_events,
    guess_layout,
    keystrokes,
)

CODE = "4006381333931"


def press(name: str) -> list[tuple[int, int, int]]:
    return [(EV_KEY, KEYS[name], KEY_DOWN), (EV_KEY, KEYS[name], KEY_UP)]


def test_key_numbers_are_the_kernels():
    for name, number in KEYS.items():
        assert getattr(ecodes, name) == number, name


@pytest.mark.parametrize("layout", ["us", "fr"])
def test_each_layout_reads_its_own_scanner(layout):
    assert decode_events(keystrokes(CODE, layout), layout) == [CODE]


def test_wrong_layout_gives_the_classic_garbage():
    assert decode_events(keystrokes(CODE, "us"), "fr") == ["'àà-\"_&\"\"\"ç\"&"]
    assert decode_events(keystrokes(CODE, "fr"), "us") == ["$))^#*!###(#!"]


def test_azerty_digits_need_shift_and_letters_move():
    events = [(EV_KEY, KEYS["KEY_LEFTSHIFT"], KEY_DOWN), *press("KEY_2"),
              (EV_KEY, KEYS["KEY_LEFTSHIFT"], KEY_UP), *press("KEY_2"), *press("KEY_Q"),
              *press("KEY_SEMICOLON"), *press("KEY_ENTER")]
    assert decode_events(events, "fr") == ["2éam"]
    assert decode_events(events, "us") == ["@2q;"]


def test_caps_lock_inverts_shift_for_letters_and_azerty_top_row():
    events = [*press("KEY_CAPSLOCK"), *press("KEY_A"), *press("KEY_3"),
              (EV_KEY, KEYS["KEY_RIGHTSHIFT"], KEY_DOWN), *press("KEY_B"),
              (EV_KEY, KEYS["KEY_RIGHTSHIFT"], KEY_UP), *press("KEY_ENTER")]
    assert decode_events(events, "us") == ["A3b"]
    assert decode_events(events, "fr") == ["Q3b"]
    # pressed again: off
    assert decode_events([*press("KEY_CAPSLOCK"), *press("KEY_CAPSLOCK"), *press("KEY_A"),
                          *press("KEY_ENTER")], "us") == ["a"]


def test_altgr_on_azerty():
    events = [(EV_KEY, KEYS["KEY_RIGHTALT"], KEY_DOWN), *press("KEY_0"), *press("KEY_E"),
              (EV_KEY, KEYS["KEY_RIGHTALT"], KEY_UP), *press("KEY_0"), *press("KEY_ENTER")]
    assert decode_events(events, "fr") == ["@€à"]


def test_keypad_digits_read_the_same_in_both_layouts():
    events = [*press("KEY_KP1"), *press("KEY_KP2"), *press("KEY_KPDOT"), *press("KEY_KPENTER")]
    assert decode_events(events, "us") == decode_events(events, "fr") == ["12."]


def test_repeat_events_and_releases_are_ignored():
    events = [(EV_KEY, KEYS["KEY_1"], KEY_DOWN), (EV_KEY, KEYS["KEY_1"], KEY_HOLD),
              (EV_KEY, KEYS["KEY_1"], KEY_UP), *press("KEY_ENTER")]
    assert decode_events(events, "us") == ["1"]


def test_unknown_key_is_kept_as_a_marker_not_dropped():
    f1 = 59
    assert decode_events([(EV_KEY, f1, KEY_DOWN), *press("KEY_1"), *press("KEY_ENTER")],
                         "us") == [UNKNOWN_CHAR + "1"]


def test_suffix_ends_a_code_and_prefix_is_stripped():
    events = keystrokes("]E0" + CODE + "\t", "us")[:-2]  # Tab suffix, no Enter
    assert decode_events(events, "us", suffix="\t", prefix="]E0") == [CODE]
    # Enter still ends a code when a suffix is configured; a code without the prefix stays
    assert decode_events(keystrokes(CODE, "us"), "us", suffix="\t", prefix="]E0") == [CODE]


def test_empty_enter_gives_nothing_and_state_resets_between_codes():
    decoder = KeyDecoder(KEYMAPS["us"])
    results = [decoder.feed(*event) for event in [*press("KEY_ENTER"), *keystrokes("12", "us"),
                                                   *keystrokes("34", "us")]]
    assert [result for result in results if result is not None] == ["12", "34"]


def test_learning_finds_the_layout_of_a_test_scan():
    assert guess_layout(keystrokes(CODE, "fr"), CODE) == "fr"
    assert guess_layout(keystrokes(CODE, "us"), CODE) == "us"
    assert guess_layout(keystrokes("12345670", "us"), CODE) is None


def test_keystrokes_refuse_what_a_layout_cannot_type():
    with pytest.raises(ValueError, match="layout us"):
        keystrokes("é", "us")
