"""Key codes to characters for barcode scanners: US QWERTY and French AZERTY.

A HID scanner is a keyboard: evdev reports *key positions* (Linux key codes, named after the US
layout), never characters. A scanner set to "French keyboard" sends Shift + the key above "é"
for the digit 2, a scanner set to US sends the bare key; decoding with the wrong table turns
4006381333931 into "'àà^(...". So decoding is a pure state machine over (type, code, value)
events: Shift, AltGr and Caps Lock are tracked per device, a code ends on Enter or on the
configured suffix, an optional prefix is stripped. No evdev import here: the key numbers are
the kernel's stable ABI (linux/input-event-codes.h), checked against evdev.ecodes in the tests.

Caps Lock inverts Shift for letters on both layouts and, on AZERTY, also for the top row (as
Windows' French layout does, which is what scanners in "French" mode are built for): with Caps
Lock on, the top-row keys give digits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EV_SYN, EV_KEY, EV_MSC = 0, 1, 4
KEY_UP, KEY_DOWN, KEY_HOLD = 0, 1, 2

KEYS = {
    "KEY_ESC": 1, "KEY_1": 2, "KEY_2": 3, "KEY_3": 4, "KEY_4": 5, "KEY_5": 6, "KEY_6": 7,
    "KEY_7": 8, "KEY_8": 9, "KEY_9": 10, "KEY_0": 11, "KEY_MINUS": 12, "KEY_EQUAL": 13,
    "KEY_BACKSPACE": 14, "KEY_TAB": 15, "KEY_Q": 16, "KEY_W": 17, "KEY_E": 18, "KEY_R": 19,
    "KEY_T": 20, "KEY_Y": 21, "KEY_U": 22, "KEY_I": 23, "KEY_O": 24, "KEY_P": 25,
    "KEY_LEFTBRACE": 26, "KEY_RIGHTBRACE": 27, "KEY_ENTER": 28, "KEY_LEFTCTRL": 29,
    "KEY_A": 30, "KEY_S": 31, "KEY_D": 32, "KEY_F": 33, "KEY_G": 34, "KEY_H": 35, "KEY_J": 36,
    "KEY_K": 37, "KEY_L": 38, "KEY_SEMICOLON": 39, "KEY_APOSTROPHE": 40, "KEY_GRAVE": 41,
    "KEY_LEFTSHIFT": 42, "KEY_BACKSLASH": 43, "KEY_Z": 44, "KEY_X": 45, "KEY_C": 46,
    "KEY_V": 47, "KEY_B": 48, "KEY_N": 49, "KEY_M": 50, "KEY_COMMA": 51, "KEY_DOT": 52,
    "KEY_SLASH": 53, "KEY_RIGHTSHIFT": 54, "KEY_KPASTERISK": 55, "KEY_LEFTALT": 56,
    "KEY_SPACE": 57, "KEY_CAPSLOCK": 58, "KEY_NUMLOCK": 69, "KEY_KP7": 71, "KEY_KP8": 72,
    "KEY_KP9": 73, "KEY_KPMINUS": 74, "KEY_KP4": 75, "KEY_KP5": 76, "KEY_KP6": 77,
    "KEY_KPPLUS": 78, "KEY_KP1": 79, "KEY_KP2": 80, "KEY_KP3": 81, "KEY_KP0": 82,
    "KEY_KPDOT": 83, "KEY_102ND": 86, "KEY_KPENTER": 96, "KEY_RIGHTCTRL": 97,
    "KEY_KPSLASH": 98, "KEY_RIGHTALT": 100, "KEY_DELETE": 111, "KEY_KPEQUAL": 117,
    "KEY_KPCOMMA": 121,
}
K = KEYS
SHIFTS = {K["KEY_LEFTSHIFT"], K["KEY_RIGHTSHIFT"]}
ENTERS = {K["KEY_ENTER"], K["KEY_KPENTER"]}
IGNORED = {K["KEY_LEFTCTRL"], K["KEY_RIGHTCTRL"], K["KEY_LEFTALT"], K["KEY_NUMLOCK"]}
UNKNOWN_CHAR = "\ufffd"

_LETTERS = "QWERTYUIOPASDFGHJKLZXCVBNM"
_TOP_ROW = ["KEY_1", "KEY_2", "KEY_3", "KEY_4", "KEY_5", "KEY_6", "KEY_7", "KEY_8", "KEY_9",
            "KEY_0"]
_KEYPAD = {"KEY_KP0": "0", "KEY_KP1": "1", "KEY_KP2": "2", "KEY_KP3": "3", "KEY_KP4": "4",
           "KEY_KP5": "5", "KEY_KP6": "6", "KEY_KP7": "7", "KEY_KP8": "8", "KEY_KP9": "9",
           "KEY_KPMINUS": "-", "KEY_KPPLUS": "+", "KEY_KPASTERISK": "*", "KEY_KPSLASH": "/",
           "KEY_KPDOT": ".", "KEY_KPEQUAL": "=", "KEY_KPCOMMA": ","}


@dataclass(frozen=True)
class Keymap:
    name: str
    keys: dict[int, tuple[str, str]]  # code -> (plain, shifted)
    altgr: dict[int, str] = field(default_factory=dict)
    caps_keys: frozenset[int] = frozenset()

    def char(self, code: int, shift: bool, altgr: bool, caps: bool) -> str:
        if altgr and code in self.altgr:
            return self.altgr[code]
        pair = self.keys.get(code)
        if pair is None:
            return UNKNOWN_CHAR
        if caps and code in self.caps_keys:
            shift = not shift
        return pair[1] if shift else pair[0]


def _common() -> dict[int, tuple[str, str]]:
    table = {K[name]: (char, char) for name, char in _KEYPAD.items()}
    table[K["KEY_SPACE"]] = (" ", " ")
    table[K["KEY_TAB"]] = ("\t", "\t")
    return table


def _us() -> Keymap:
    keys = _common()
    for letter in _LETTERS:
        keys[K[f"KEY_{letter}"]] = (letter.lower(), letter)
    for name, plain, shifted in zip(_TOP_ROW, "1234567890", "!@#$%^&*()", strict=True):
        keys[K[name]] = (plain, shifted)
    for name, pair in {
        "KEY_MINUS": "-_", "KEY_EQUAL": "=+", "KEY_LEFTBRACE": "[{", "KEY_RIGHTBRACE": "]}",
        "KEY_SEMICOLON": ";:", "KEY_APOSTROPHE": "'\"", "KEY_GRAVE": "`~",
        "KEY_BACKSLASH": "\\|", "KEY_COMMA": ",<", "KEY_DOT": ".>", "KEY_SLASH": "/?",
        "KEY_102ND": "\\|",
    }.items():
        keys[K[name]] = (pair[0], pair[1])
    letters = frozenset(K[f"KEY_{letter}"] for letter in _LETTERS)
    return Keymap("us", keys, {}, letters)


def _fr() -> Keymap:
    keys = _common()
    # AZERTY letters at US positions: A<->Q, Z<->W, M on the semicolon key.
    swap = {"Q": "a", "W": "z", "A": "q", "Z": "w", "SEMICOLON": "m"}
    for letter in _LETTERS:
        if letter == "M":
            continue
        char = swap.get(letter, letter.lower())
        keys[K[f"KEY_{letter}"]] = (char, char.upper())
    keys[K["KEY_SEMICOLON"]] = ("m", "M")
    for name, plain, shifted in zip(_TOP_ROW, "&é\"'(-è_çà", "1234567890", strict=True):
        keys[K[name]] = (plain, shifted)
    for name, pair in {
        "KEY_MINUS": ")°", "KEY_EQUAL": "=+", "KEY_LEFTBRACE": "^¨", "KEY_RIGHTBRACE": "$£",
        "KEY_APOSTROPHE": "ù%", "KEY_GRAVE": "²³", "KEY_BACKSLASH": "*µ", "KEY_M": ",?",
        "KEY_COMMA": ";.", "KEY_DOT": ":/", "KEY_SLASH": "!§", "KEY_102ND": "<>",
    }.items():
        keys[K[name]] = (pair[0], pair[1])
    altgr = {K[name]: char for name, char in {
        "KEY_2": "~", "KEY_3": "#", "KEY_4": "{", "KEY_5": "[", "KEY_6": "|", "KEY_7": "`",
        "KEY_8": "\\", "KEY_9": "^", "KEY_0": "@", "KEY_MINUS": "]", "KEY_EQUAL": "}",
        "KEY_E": "€",
    }.items()}
    caps = frozenset(
        [K[f"KEY_{letter}"] for letter in _LETTERS if letter != "M"]
        + [K["KEY_SEMICOLON"]] + [K[name] for name in _TOP_ROW]
    )
    return Keymap("fr", keys, altgr, caps)


KEYMAPS: dict[str, Keymap] = {"us": _us(), "fr": _fr()}
LAYOUTS = tuple(KEYMAPS)


@dataclass
class KeyDecoder:
    """Characters out of one device's key events; `feed` returns a finished code or None.

    Pure state machine: Shift and AltGr held, Caps Lock toggled on its press, key repeats
    ignored (a scanner never holds a key), unknown keys kept as U+FFFD so the code is
    rejected rather than silently shortened.
    """

    keymap: Keymap
    suffix: str = ""
    prefix: str = ""
    _buffer: list[str] = field(default_factory=list)
    _shift: set[int] = field(default_factory=set)
    _altgr: bool = False
    _caps: bool = False

    def feed(self, event_type: int, code: int, value: int) -> str | None:
        if event_type != EV_KEY or value == KEY_HOLD or self._modifier(code, value):
            return None
        if value != KEY_DOWN or code in IGNORED:
            return None
        if code in ENTERS:
            return self._finish("".join(self._buffer))
        self._buffer.append(self.keymap.char(code, bool(self._shift), self._altgr, self._caps))
        if self.suffix and "".join(self._buffer[-len(self.suffix):]) == self.suffix:
            return self._finish("".join(self._buffer[: -len(self.suffix)]))
        return None

    def _modifier(self, code: int, value: int) -> bool:
        """Track Shift, AltGr and Caps Lock; True when the event was one of them."""
        if code in SHIFTS:
            (self._shift.add if value == KEY_DOWN else self._shift.discard)(code)
        elif code == K["KEY_RIGHTALT"]:
            self._altgr = value == KEY_DOWN
        elif code == K["KEY_CAPSLOCK"]:
            self._caps ^= value == KEY_DOWN
        else:
            return False
        return True

    def _finish(self, text: str) -> str | None:
        self._buffer.clear()
        if self.prefix and text.startswith(self.prefix):
            text = text[len(self.prefix):]
        return text or None


def decode_events(
    events: list[tuple[int, int, int]], layout: str, suffix: str = "", prefix: str = ""
) -> list[str]:
    """Every code in a list of (type, code, value) events, decoded with one layout."""
    decoder = KeyDecoder(KEYMAPS[layout], suffix, prefix)
    codes = [decoder.feed(*event) for event in events]
    return [code for code in codes if code is not None]


def guess_layout(events: list[tuple[int, int, int]], expected: str) -> str | None:
    """The layout that turns these key events into `expected` (the learning test scan)."""
    for layout in LAYOUTS:
        if expected in decode_events(events, layout):
            return layout
    return None


def keystrokes(text: str, layout: str) -> list[tuple[int, int, int]]:
    """The (type, code, value) events a scanner in `layout` mode sends to type `text` + Enter.

    The inverse of decoding, used by the tests, the benchmark and the learning screen's
    explanation; characters the layout cannot type raise ValueError.
    """
    keymap = KEYMAPS[layout]
    reverse: dict[str, tuple[int, bool]] = {}
    for code, (plain, shifted) in sorted(keymap.keys.items(), reverse=True):
        reverse[shifted] = (code, True)
        reverse[plain] = (code, False)
    shift = K["KEY_LEFTSHIFT"]
    events: list[tuple[int, int, int]] = []
    for char in text:
        if char not in reverse:
            raise ValueError(f"{char!r} cannot be typed in layout {layout}")
        code, with_shift = reverse[char]
        if with_shift:
            events.append((EV_KEY, shift, KEY_DOWN))
        events += [(EV_KEY, code, KEY_DOWN), (EV_KEY, code, KEY_UP)]
        if with_shift:
            events.append((EV_KEY, shift, KEY_UP))
    enter = K["KEY_ENTER"]
    return [*events, (EV_KEY, enter, KEY_DOWN), (EV_KEY, enter, KEY_UP)]
