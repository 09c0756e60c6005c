"""Kivy settings for the two ways the kiosk runs, applied before Kivy is first imported.

Kivy reads `KCFG_<SECTION>_<KEY>` environment variables and its Config when it starts, so
these functions only set values and must run before any `import kivy...` in the process.
Production (`appliance run`): fullscreen, no window decorations, no cursor on a touch panel,
no Escape-to-exit, no inspector, logs to stderr (the journal). Desktop (`appliance demo`, the
screen tests): a plain window of the asked size at the top-left corner, cursor visible.
"""

from __future__ import annotations

import os
from pathlib import Path

COMMON = {
    "KIVY_NO_ARGS": "1",  # our own argparse owns the command line
    "KIVY_NO_FILELOG": "1",
    "KCFG_KIVY_EXIT_ON_ESCAPE": "0",
    "KCFG_KIVY_DESKTOP": "1",
    "KCFG_INPUT_MOUSE": "mouse,disable_multitouch",
    "KCFG_KIVY_LOG_LEVEL": "warning",
}


def kiosk_environment(kivy_home: Path, *, show_cursor: bool) -> dict[str, str]:
    """Fullscreen on the current display mode, borderless, cursor hidden on a touch panel."""
    return {
        **COMMON,
        "KIVY_HOME": str(kivy_home),
        "KCFG_GRAPHICS_FULLSCREEN": "auto",
        "KCFG_GRAPHICS_BORDERLESS": "1",
        "KCFG_GRAPHICS_SHOW_CURSOR": "1" if show_cursor else "0",
        "KCFG_GRAPHICS_ALLOW_SCREENSAVER": "0",
    }


def window_environment(kivy_home: Path, width: int, height: int) -> dict[str, str]:
    """A desktop window of `width` x `height` at the top-left (exact clicks under Xvfb)."""
    return {
        **COMMON,
        "KIVY_HOME": str(kivy_home),
        "KCFG_GRAPHICS_FULLSCREEN": "0",
        "KCFG_GRAPHICS_WIDTH": str(width),
        "KCFG_GRAPHICS_HEIGHT": str(height),
        "KCFG_GRAPHICS_POSITION": "custom",
        "KCFG_GRAPHICS_LEFT": "0",
        "KCFG_GRAPHICS_TOP": "0",
        "KCFG_GRAPHICS_RESIZABLE": "1",
    }


def apply(environment: dict[str, str]) -> None:
    """Set the variables (before Kivy's first import); the kivy home directory is created."""
    Path(environment["KIVY_HOME"]).mkdir(parents=True, exist_ok=True)
    os.environ.update(environment)
