"""The UI thread is never blocked by the network: Kafinea answering after 10 s.

The sandbox delays every request by 10 s. Meanwhile the kiosk sells (scans, a cash
payment, validation and printing), the sync worker tries to deliver, and the manager
screen's catalogue refresh runs. Every UI-loop iteration is stamped from the Kivy clock;
printed: the longest gap (a blocked UI would show ~10,000 ms). Target: no frame over 100 ms.
"""
# ruff: noqa: PLC0415  (Kivy is imported after its environment is set)

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from ui_common import (
    FrameClock,
    UiThreadTillCalls,
    build_open_till,
    demo_parts,
    priced_barcodes,
    window_env,
)

SLOW_MS = 10_000
WATCH_S = 12.0


def main() -> None:
    window_env(Path(tempfile.mkdtemp(prefix="ui-bench-kivy-")), 1024, 600)

    from appliance.ui.app import KioskApp, StartPlan

    with demo_parts(products=500) as (_base, sandbox, _printer, config):
        till = build_open_till(config)
        till.refresh_catalog()
        codes = priced_barcodes(till, 5)
        app = KioskApp(StartPlan(till=till))
        app._run_prepare()
        clock = FrameClock()
        calls = UiThreadTillCalls()
        clock.run_for(0.5)
        sandbox.set_faults(latency_ms=SLOW_MS)
        first = clock.mark()
        started = time.perf_counter()
        manager = app.manager.get_screen("manager")
        manager.prepare(pin="")
        manager.refresh_catalog()  # a worker thread; waits 10 s per request
        till.sync_now()
        sale = app.manager.get_screen("sale")
        for code in codes:
            app.scan(code)
            clock.step()
        app.show("payment")
        payment = app.manager.current_screen
        payment.quick_cash(None)
        payment.validate(True)
        clock.run_for(WATCH_S - (time.perf_counter() - started))
        print(
            f"sale lines {len(sale.ticket.lines)}, payment stage {payment.stage!r}, "
            f"sync pending {app.pending}"
        )
        calls.report()
        clock.report(f"UI loop with Kafinea answering after {SLOW_MS // 1000} s", first)
        sandbox.set_faults()
        app.stop()
        till.close()


if __name__ == "__main__":
    main()
