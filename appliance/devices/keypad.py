"""USB numeric keypads: key codes to till actions, with a configurable mapping.

The keypad is grabbed like a scanner, so Num Lock does not matter: the kernel reports the same
KEY_KP* codes either way, and we map codes, not characters. The default mapping suits the
usual 17/18-key pads; `[keypad] mapping` in the configuration overrides any key, e.g.
`KEY_KPPLUS = "pay:card"`. Actions are plain values the Till interprets:

    digit:0 … digit:9   decimal   quantity   clear   backspace   validate   pay:<method>
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from appliance.devices.keymaps import EV_KEY, KEY_DOWN, KEYS

SIMPLE_ACTIONS = ("decimal", "quantity", "clear", "backspace", "validate")

DEFAULT_MAPPING: dict[str, str] = {
    **{f"KEY_KP{digit}": f"digit:{digit}" for digit in range(10)},
    **{f"KEY_{digit}": f"digit:{digit}" for digit in range(10)},
    "KEY_KPDOT": "decimal",
    "KEY_KPCOMMA": "decimal",
    "KEY_KPASTERISK": "quantity",
    "KEY_KPMINUS": "clear",
    "KEY_BACKSPACE": "backspace",
    "KEY_DELETE": "clear",
    "KEY_ESC": "clear",
    "KEY_KPENTER": "validate",
    "KEY_ENTER": "validate",
    "KEY_KPPLUS": "pay:cash",
    "KEY_KPSLASH": "pay:card",
}


class KeypadMappingError(ValueError):
    """A mapping entry naming an unknown key or action."""


@dataclass(frozen=True)
class KeypadAction:
    kind: str  # "digit", "decimal", "quantity", "clear", "backspace", "validate", "pay"
    value: str = ""  # the digit, or the payment method

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}" if self.value else self.kind


def parse_action(text: str) -> KeypadAction:
    kind, _, value = text.partition(":")
    if kind in SIMPLE_ACTIONS and not value:
        return KeypadAction(kind)
    if kind == "digit" and len(value) == 1 and value.isdigit():
        return KeypadAction(kind, value)
    if kind == "pay" and value:
        return KeypadAction(kind, value)
    raise KeypadMappingError(
        f"action de pavé numérique inconnue {text!r} : digit:N, decimal, quantity, clear,"
        " backspace, validate ou pay:MOYEN"
    )


def build_mapping(overrides: Mapping[str, str] | None = None) -> dict[int, KeypadAction]:
    """Key code -> action: the defaults, then the configuration's entries."""
    merged = {**DEFAULT_MAPPING, **(overrides or {})}
    mapping: dict[int, KeypadAction] = {}
    for key_name, action in merged.items():
        code = KEYS.get(key_name.upper())
        if code is None:
            raise KeypadMappingError(f"touche inconnue {key_name!r} (ex. KEY_KPPLUS)")
        mapping[code] = parse_action(action)
    return mapping


class KeypadConsumer:
    """Key presses in, actions out on `on_action`; unmapped keys are ignored."""

    def __init__(
        self,
        mapping: Mapping[int, KeypadAction],
        on_action: Callable[[KeypadAction], None],
    ) -> None:
        self.mapping = mapping
        self.on_action = on_action

    def feed(self, event_type: int, code: int, value: int) -> None:
        if event_type == EV_KEY and value == KEY_DOWN and code in self.mapping:
            self.on_action(self.mapping[code])
