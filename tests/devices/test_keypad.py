"""Numeric keypad: key codes to till actions through evdev's reader, mapping configurable."""

import queue

import pytest

from appliance.devices.input_reader import InputReader
from appliance.devices.keymaps import EV_KEY, KEY_DOWN, KEY_UP, KEYS
from appliance.devices.keypad import (
    KeypadAction,
    KeypadConsumer,
    KeypadMappingError,
    build_mapping,
    parse_action,
)
from tests.devices.helpers import PipeSource, write_keys


def taps(*names: str) -> list[tuple[int, int, int]]:
    events = []
    for name in names:
        events += [(EV_KEY, KEYS[name], KEY_DOWN), (EV_KEY, KEYS[name], KEY_UP)]
    return events


def test_default_mapping_through_the_reader():
    source = PipeSource("/dev/input/by-id/usb-keypad-event-kbd")
    actions: queue.Queue = queue.Queue()
    reader = InputReader(source, KeypadConsumer(build_mapping(), actions.put))
    reader.start()
    write_keys(source, taps("KEY_KP3", "KEY_KPASTERISK", "KEY_KP1", "KEY_KPDOT", "KEY_KP5",
                            "KEY_KPENTER", "KEY_KPPLUS", "KEY_KPSLASH", "KEY_BACKSPACE",
                            "KEY_KPMINUS", "KEY_NUMLOCK"))
    got = [str(actions.get(timeout=5)) for _ in range(10)]
    assert got == ["digit:3", "quantity", "digit:1", "decimal", "digit:5", "validate",
                   "pay:cash", "pay:card", "backspace", "clear"]
    reader.stop()
    assert actions.empty()  # Num Lock is not an action


def test_configuration_overrides_keys():
    mapping = build_mapping({"KEY_KPPLUS": "pay:cheque", "key_kpminus": "backspace"})
    assert mapping[KEYS["KEY_KPPLUS"]] == KeypadAction("pay", "cheque")
    assert mapping[KEYS["KEY_KPMINUS"]] == KeypadAction("backspace")
    assert mapping[KEYS["KEY_KP7"]] == KeypadAction("digit", "7")


@pytest.mark.parametrize(("key", "action", "message"), [
    ("KEY_NOPE", "clear", "touche inconnue"),
    ("KEY_KP1", "digit:12", "action"),
    ("KEY_KP1", "pay:", "action"),
    ("KEY_KP1", "explode", "action"),
])
def test_bad_mapping_entries_are_refused(key, action, message):
    with pytest.raises(KeypadMappingError, match=message):
        build_mapping({key: action})


def test_parse_action_forms():
    assert parse_action("digit:0") == KeypadAction("digit", "0")
    assert parse_action("validate") == KeypadAction("validate")
