"""Drive the real kiosk window from a test: start the app without its blocking loop, pump
frames, tap widgets through Kivy's own input dispatch, save screenshots.

Kivy allows one App per process, so a test module builds one `Driver` (module scope).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from kivy.base import EventLoop
from kivy.input.motionevent import MotionEvent

SCREENSHOT_DIR = Path(__file__).parents[2] / "test-output" / "ui"


class Touch(MotionEvent):
    """A finger at window coordinates (x, y), dispatched like a real touch."""

    def __init__(self, x: float, y: float) -> None:
        window = EventLoop.window
        super().__init__(
            "test",
            1,
            {"x": x / (window.width - 1.0), "y": y / (window.height - 1.0)},
            is_touch=True,
            type_id="touch",
        )

    def depack(self, args) -> None:
        self.sx, self.sy = args["x"], args["y"]
        self.profile = ["pos"]
        super().depack(args)


class Driver:
    def __init__(self, app) -> None:
        self.app = app
        app._run_prepare()
        self.pump(3)

    def pump(self, frames: int = 2) -> None:
        for _ in range(frames):
            EventLoop.idle()

    def wait_for(self, condition, timeout: float = 10.0, what: str = "condition") -> None:
        """Pump frames until `condition()` holds (background work reports via the Clock)."""
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}")
            EventLoop.idle()

    def tap(self, widget) -> None:
        """Touch the centre of `widget` as a finger would (hit-testing included)."""
        self.pump(1)
        x, y = widget.to_window(*widget.center)
        touch = Touch(x, y)
        EventLoop.post_dispatch_input("begin", touch)
        self.pump(1)
        touch.move({"x": touch.sx, "y": touch.sy})
        EventLoop.post_dispatch_input("end", touch)
        self.pump(2)

    def screen(self):
        return self.app.manager.current_screen

    def button(self, text: str, root=None):
        """The visible button whose text is `text` (first match, depth-first)."""
        from kivy.uix.button import Button  # noqa: PLC0415

        tops = [root] if root is not None else list(EventLoop.window.children)
        for top in tops:  # dialogs first: the window lists its newest child first
            for widget in top.walk(restrict=False):
                if isinstance(widget, Button) and widget.text == text and widget.opacity > 0:
                    return widget
        shot = self.screenshot("missing-button")
        raise AssertionError(f"no button {text!r} on screen (see {shot})")

    def type_text(self, text: str) -> None:
        """Type on the screen's on-screen keyboard, toggling Maj for capitals, as a technician
        would (the letter keys only: the editing row's "Vider" clears)."""
        keyboard = next(w for w in self.screen().walk(restrict=False)
                        if type(w).__name__ == "OnScreenKeyboard")
        for char in text:
            if char.isalpha() and char.isupper() != keyboard.shift:
                self.tap(self.button("Maj"))
            self.tap(self.button(char, root=keyboard))

    def screenshot(self, name: str) -> Path:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        self.pump(3)
        window = EventLoop.window
        size = f"{int(window.width)}x{int(window.height)}"
        path = SCREENSHOT_DIR / f"{name}-{size}.png"
        written = window.screenshot(str(path.with_suffix("")) + "_.png")
        os.replace(written, path)
        return path

    def close(self) -> None:
        self.app.stop()
        self.pump(2)
