"""Long work off the UI thread, its outcome handed back on the UI thread.

The screen never waits on the network or a printer (docs/ARCHITECTURE.md): a tap that may
take long starts `run_in_background`, shows progress, and the result (or the error) arrives
through `Clock.schedule_once`, the only safe way back into Kivy from another thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from kivy.clock import Clock

log = logging.getLogger(__name__)


def on_ui_thread(func: Callable[..., Any], *args: Any) -> None:
    """Call `func(*args)` at the next frame, on the UI thread."""
    Clock.schedule_once(lambda _dt: func(*args), 0)


def run_in_background(
    work: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    name: str = "ui-task",
) -> threading.Thread:
    """Run `work()` in a daemon thread; deliver its result or exception on the UI thread."""

    def target() -> None:
        try:
            result = work()
        except Exception as error:  # a worker thread's top loop: report, never die silently
            log.exception("background task %s failed", name)
            on_ui_thread(on_error, error)
        else:
            on_ui_thread(on_done, result)

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
