"""Start the kiosk app once the Kivy environment is set (see `kiosk_env`)."""

from __future__ import annotations

from collections.abc import Callable

from appliance.ui.app import KioskApp, StartPlan


def run_kiosk(
    plan: StartPlan,
    *,
    on_first_frame: Callable[[], None] | None = None,
    heartbeat: tuple[float, Callable[[], None]] | None = None,
) -> int:
    """Run the kiosk until its window closes; returns the exit code.

    A Till handed in through `plan` stays the caller's to close; one the kiosk built itself
    (after the login or the wizard) is closed here.
    """
    app = KioskApp(plan, on_first_frame=on_first_frame, heartbeat=heartbeat)
    try:
        app.run()
    finally:
        if app.till is not None and app.till is not plan.till:
            app.till.close()
    return 0
