"""Colours and sizes of the kiosk, taken from the register's settings when it has some.

Kafinea's register record carries a primary and an accent colour; the screen uses them for
its primary buttons and bars, and keeps fixed colours for what must never change meaning:
green to pay, red for errors and the training banner.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from kivy.event import EventDispatcher
from kivy.properties import ColorProperty

RGBA = tuple[float, float, float, float]

_HEX = re.compile(r"^#?([0-9a-fA-F]{6})$")


def hex_to_rgba(text: str | None, default: RGBA) -> RGBA:
    """`#1f6feb` -> (r, g, b, 1.0); anything else (empty, malformed) gives `default`."""
    match = _HEX.match((text or "").strip())
    if match is None:
        return default
    value = match[1]
    red, green, blue = (int(value[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return (red, green, blue, 1.0)


def readable_text_on(colour: RGBA) -> RGBA:
    """Black or white text, whichever reads better on `colour` (relative luminance)."""
    red, green, blue = colour[:3]
    luminance = 0.2126 * red + 0.7152 * green + 0.0722 * blue
    return (0.08, 0.08, 0.1, 1.0) if luminance > 0.6 else (1.0, 1.0, 1.0, 1.0)


@dataclass(frozen=True)
class Palette:
    primary: RGBA = (0.12, 0.36, 0.62, 1.0)
    accent: RGBA = (0.93, 0.55, 0.13, 1.0)


class Theme(EventDispatcher):
    """Colours the `.kv` rules bind to (`app.theme.primary`), so a new register repaints."""

    background = ColorProperty((0.94, 0.95, 0.96, 1))
    surface = ColorProperty((1, 1, 1, 1))
    text = ColorProperty((0.1, 0.11, 0.13, 1))
    muted = ColorProperty((0.42, 0.45, 0.5, 1))
    primary = ColorProperty(Palette.primary)
    text_on_primary = ColorProperty((1, 1, 1, 1))
    accent = ColorProperty(Palette.accent)
    text_on_accent = ColorProperty((0.08, 0.08, 0.1, 1))
    pay = ColorProperty((0.1, 0.55, 0.27, 1))
    danger = ColorProperty((0.78, 0.16, 0.16, 1))
    warning = ColorProperty((0.95, 0.7, 0.1, 1))
    neutral = ColorProperty((0.82, 0.84, 0.87, 1))

    def apply_register_colours(self, primary: str | None, accent: str | None) -> None:
        """Repaint from the register's hex colours; a bad value keeps the default."""
        self.primary = hex_to_rgba(primary, Palette.primary)
        self.text_on_primary = readable_text_on(self.primary)
        self.accent = hex_to_rgba(accent, Palette.accent)
        self.text_on_accent = readable_text_on(self.accent)
