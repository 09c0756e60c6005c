"""Small reusable widgets: coloured touch buttons, the numeric keypad, the on-screen keyboard,
the message bar. Their look is in `kv/widgets.kv`; here only behaviour.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.properties import (
    BooleanProperty,
    ColorProperty,
    ListProperty,
    NumericProperty,
    StringProperty,
)
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.button import Button
from kivy.uix.floatlayout import FloatLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.modalview import ModalView
from kivy.uix.recycleview import RecycleView
from kivy.uix.scrollview import ScrollView

CLEAR_TEXT_KEY = "Vider"  # the on-screen keyboard's clear key (the numeric keypad's is "C")
KEYPAD_KEYS: tuple[str, ...] = ("7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", ",")
PIN_KEYS: tuple[str, ...] = ("7", "8", "9", "4", "5", "6", "1", "2", "3", "C", "0", "Eff.")
PIN_LENGTH = 8  # at most: `apply_key(pin, key, PIN_LENGTH)` is the PIN pad's editing rule

KEYBOARD_ROWS: tuple[str, ...] = ("1234567890", "AZERTYUIOP", "QSDFGHJKLM", "WXCVBN-.:/")


@cache
def rounded_texture(radius_px: int) -> Texture:
    """A white square with rounded, anti-aliased corners, drawn as a `BorderImage` (9 quads,
    `border` = the radius) and tinted by the `Color` before it.

    Why not `RoundedRectangle`: its corners are a fan of long thin triangles across the whole
    shape, which software GL (the Pi without its GPU driver, Xvfb) rasterises at about twice
    the cost of the same area in quads, and Kivy redraws every button at every frame. With
    60 buttons on the sale screen, that was a large share of each frame.
    """
    radius = max(1, radius_px)
    side = 2 * radius + 2  # two stretchable pixels in the middle
    pixels = bytearray()
    for y in range(side):
        for x in range(side):
            pixels += bytes((255, 255, 255, _corner_alpha(x, y, radius, side)))
    texture = Texture.create(size=(side, side), colorfmt="rgba")
    texture.blit_buffer(bytes(pixels), colorfmt="rgba", bufferfmt="ubyte")
    return texture


def _corner_alpha(x: int, y: int, radius: int, side: int) -> int:
    """Coverage of pixel (x, y) by the rounded square: 255 inside, a 1-pixel soft edge."""
    cx = min(max(x + 0.5, radius), side - radius)
    cy = min(max(y + 0.5, radius), side - radius)
    distance = math.sqrt((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2)
    return round(255 * min(1.0, max(0.0, radius - distance + 0.5)))


class KButton(Button):
    """A flat button with a rounded background; `bg` and `fg` come from the theme."""

    bg = ColorProperty((0.82, 0.84, 0.87, 1))
    fg = ColorProperty((0.1, 0.11, 0.13, 1))
    radius = NumericProperty(8)


class ClipRecycleView(RecycleView):
    """A RecycleView clipped by a scissor rectangle rather than Kivy's stencil (`kv/widgets.kv`).

    The stencil fills the whole view twice per frame (push, then pop) in software GL; a
    scissor costs nothing and clips the same axis-aligned box. The sale screen has three
    scrolling views redrawn at every scan.
    """


class ClipScrollView(ScrollView):
    """A ScrollView clipped by a scissor rectangle (see `ClipRecycleView`)."""


class Panel(BoxLayout):
    """A white rounded card that groups a column of the screen."""

    bg = ColorProperty((1, 1, 1, 1))


class Keypad(GridLayout):
    """Digits, clear and comma. Dispatches `on_key(key)`; the owner keeps the typed text."""

    keys = ListProperty(KEYPAD_KEYS)

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_key")
        super().__init__(**kwargs)
        Clock.schedule_once(self._build, 0)

    def _build(self, _dt: float) -> None:
        self.clear_widgets()
        for key in self.keys:
            button = KButton(text=key, font_size="22sp")
            button.bind(on_release=lambda btn: self.dispatch("on_key", btn.text))
            self.add_widget(button)

    def on_key(self, key: str) -> None:
        """Default handler (Kivy needs one for each registered event)."""


def apply_key(text: str, key: str, max_length: int = 9) -> str:
    """The keypad's editing rule: digits append, "," once, "C" clears, "Eff." removes one."""
    if key == "C":
        return ""
    if key == "Eff.":
        return text[:-1]
    if key == ",":
        return text if "," in text else (text or "0") + ","
    if len(text) >= max_length:
        return text
    if "," in text and len(text.split(",")[1]) >= 3:
        return text
    return text + key


class OnScreenKeyboard(BoxLayout):
    """AZERTY letters and digits for the search, the login and the wizard.

    Dispatches `on_key(key)` with the character as typed (lower case unless shift is on),
    or one of the editing keys "Eff.", `CLEAR_TEXT_KEY`, "Espace". The clear key is not "C":
    with Maj on, that is the letter (Kafinea's access keys have capitals).
    """

    rows = ListProperty(KEYBOARD_ROWS)
    shift = BooleanProperty(False)

    def __init__(self, **kwargs: Any) -> None:
        self.register_event_type("on_key")
        super().__init__(orientation="vertical", spacing=4, **kwargs)
        self._letters: list[KButton] = []
        Clock.schedule_once(self._build, 0)

    def _build(self, _dt: float) -> None:
        self.clear_widgets()
        self._letters = []
        for row in self.rows:
            line = BoxLayout(spacing=4)
            for key in row:
                button = KButton(text=key, font_size="18sp")
                button.bind(on_release=lambda btn: self._press(btn.text))
                line.add_widget(button)
                if key.isalpha():
                    self._letters.append(button)
            self.add_widget(line)
        last = BoxLayout(spacing=4)
        editing = (("Maj", 1.2), ("@", 1), ("_", 1), ("Espace", 3), ("Eff.", 1.5),
                   (CLEAR_TEXT_KEY, 1.5))
        for key, hint in editing:
            button = KButton(text=key, size_hint_x=hint, font_size="18sp")
            button.bind(on_release=lambda btn: self._press(btn.text))
            last.add_widget(button)
        self.add_widget(last)
        self.on_shift(self, self.shift)

    def _press(self, key: str) -> None:
        if key == "Maj":
            self.shift = not self.shift
            return
        self.dispatch("on_key", key)

    def on_shift(self, _instance: Any, shift: bool) -> None:
        for button in self._letters:
            button.text = button.text.upper() if shift else button.text.lower()

    def on_key(self, key: str) -> None:
        """Default handler."""


def apply_text_key(text: str, key: str) -> str:
    """Editing rule of the on-screen keyboard."""
    if key == CLEAR_TEXT_KEY:
        return ""
    if key == "Eff.":
        return text[:-1]
    if key == "Espace":
        return text + " "
    return text + key


class MessageBar(BoxLayout):
    """One line at the bottom of the screen: errors in red, information in blue; fades out."""

    text = StringProperty("")
    is_error = BooleanProperty(False)
    shown = BooleanProperty(False)

    def show(self, text: str, *, error: bool = False, seconds: float = 5.0) -> None:
        self.text, self.is_error, self.shown = text, error, True
        Clock.unschedule(self._hide)
        Clock.schedule_once(self._hide, seconds)

    def _hide(self, _dt: float) -> None:
        self.shown = False

    def on_touch_down(self, touch: Any) -> bool:
        """A tap on a shown message hides it early; the bar leaves the Menu button uncovered
        (see root.kv) and never takes a tap meant for something else."""
        if self.shown and self.collide_point(*touch.pos):
            self.shown = False
            return True
        return False


class ScreenStack(FloatLayout):
    """Shows one screen at a time, switched at once and in the same frame.

    Kivy's ScreenManager animates even its "no transition", and two switches in one frame
    (a scan that sends the payment screen back to the sale) can leave both screens drawn;
    a kiosk needs neither animation nor that risk. Screens are built the first time they
    are shown, so the first frame only pays for the first screen.
    """

    current = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._factories: dict[str, Callable[[], Any]] = {}
        self._built: dict[str, Any] = {}
        self.current_screen: Any = None

    @property
    def screens(self) -> list[Any]:
        """The screens built so far."""
        return list(self._built.values())

    def add_factory(self, name: str, factory: Callable[[], Any]) -> None:
        self._factories[name] = factory

    def get_screen(self, name: str) -> Any:
        if name not in self._built:
            if name not in self._factories:
                raise KeyError(name)
            self._built[name] = self._factories[name]()
        return self._built[name]

    def on_current(self, _instance: Any, name: str) -> None:
        screen = self.get_screen(name)
        if screen is self.current_screen:
            return
        self.clear_widgets()
        self.add_widget(screen)
        self.current_screen = screen


class Dialog(ModalView):
    """A modal panel that never closes on Escape or a tap outside (no dead end, no accident).

    Scans do not pass through it: they reach the app, which routes them to the screen
    underneath, so a scan is never lost behind a dialog.
    """

    title = StringProperty("")

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("auto_dismiss", False)
        super().__init__(**kwargs)

    def dismiss(self, *args: Any, **kwargs: Any) -> None:
        """Gone at once: a fading dialog would still swallow the cashier's next tap."""
        kwargs.setdefault("animation", False)
        super().dismiss(*args, **kwargs)
