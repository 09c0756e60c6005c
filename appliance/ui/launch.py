"""Start the kiosk app once the Kivy environment is set (see `kiosk_env`)."""

from __future__ import annotations

import sys
from collections.abc import Callable

from appliance.ui.app import KioskApp, StartPlan

# Scanner, sync and printer threads share the interpreter with the UI thread. At Python's
# default 5 ms switch interval a busy frame delays a scan by up to 12 ms (p99 in
# bench/devices_scan_latency.py); at 1 ms the reader thread gets the code through in ~3 ms.
SWITCH_INTERVAL_S = 0.001


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
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = KioskApp(plan, on_first_frame=on_first_frame, heartbeat=heartbeat)
    try:
        app.run()
    finally:
        if app.till is not None and app.till is not plan.till:
            app.till.close()
    return 0
