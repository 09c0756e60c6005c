"""Shared set-up of the UI benchmarks: a sandbox, a virtual printer, a configured Till with
an open session, and a kiosk window driven frame by frame (not a benchmark by itself)."""
# ruff: noqa: PLC0415  (Kivy is imported after its environment is set)

from __future__ import annotations

import contextlib
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def window_env(base: Path, width: int = 1024, height: int = 600) -> None:
    from appliance.ui import kiosk_env

    kiosk_env.apply(kiosk_env.window_environment(base / "kivy", width, height))


@contextlib.contextmanager
def demo_parts(products: int = 0):
    """(base dir, sandbox, printer, config path) with a catalogue already pulled."""
    from appliance.commands.demo import write_demo_config
    from appliance.devices.virtual_printer import running_virtual_printer
    from appliance.kafinea.sandbox.server import running_sandbox

    with (
        tempfile.TemporaryDirectory(prefix="ui-bench-") as tmp,
        running_sandbox(Path(tmp) / "sandbox", products=products) as sandbox,
        running_virtual_printer(Path(tmp) / "printer") as printer,
    ):
        base = Path(tmp)
        config = write_demo_config(base, sandbox, printer.connection_string)
        yield base, sandbox, printer, config


def build_open_till(config: Path):
    from appliance.config import load_config
    from appliance.till import SessionState
    from appliance.till.bootstrap import build_till

    till = build_till(load_config(config))
    if till.status().session.state is not SessionState.OPEN:
        till.open_session(10000)
    if till.sellers():
        till.set_seller(till.sellers()[0])
    return till


def priced_barcodes(till, count: int) -> list[str]:
    """Barcodes of priced products from the till's catalogue: what a scanner would send."""
    return [
        p.barcode
        for c in till.categories()
        for p in till.products_in(c.name)
        if p.barcode and p.price_cents
    ][:count]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(name: str, frame_ms: list[float]) -> None:
    print(
        f"{name}: frames={len(frame_ms)} max={max(frame_ms):.1f} ms "
        f"p99={percentile(frame_ms, 0.99):.1f} ms p50={statistics.median(frame_ms):.1f} ms "
        f"over100ms={sum(1 for f in frame_ms if f > 100)}"
    )


class FrameClock:
    """Runs the kiosk's loop one iteration at a time and times each: the whole iteration
    (a frame), and apart the GL buffer swap inside it.

    Under Xvfb the swap is software rendering (Mesa llvmpipe) sharing two cores with whatever
    else runs; on the Pi the GPU does it. Printing both tells the UI thread's own work (Till
    call, layout, text; plus the frame-rate sleep) from the cost of drawing without a GPU.
    The process CPU time per frame (llvmpipe's threads included) is printed too: on a loaded
    machine wall time mostly measures the wait for a core.
    """

    def __init__(self) -> None:
        from kivy.core.window import Window

        self.frames: list[float] = []
        self.work: list[float] = []
        self.cpu: list[float] = []
        self._swap = 0.0
        flip = Window.flip

        def timed_flip(*args, **kwargs):
            started = time.perf_counter()
            result = flip(*args, **kwargs)
            self._swap += time.perf_counter() - started
            return result

        Window.flip = timed_flip

    def step(self) -> None:
        from kivy.base import EventLoop

        self._swap = 0.0
        started, cpu = time.perf_counter(), time.process_time()
        EventLoop.idle()
        total = time.perf_counter() - started
        self.frames.append(total * 1000)
        self.work.append((total - self._swap) * 1000)
        self.cpu.append((time.process_time() - cpu) * 1000)

    def run_for(self, seconds: float) -> None:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            self.step()

    def mark(self) -> int:
        return len(self.frames)

    def report(self, name: str, since: int) -> None:
        summary(name, self.frames[since:])
        summary("  UI-thread work without the GL swap", self.work[since:])
        # CPU of the whole process (software GL's threads included) spent in each frame: what
        # a frame costs to draw, less sensitive than wall time to what else loads the machine.
        summary("  process CPU per frame", self.cpu[since:])
        print(f"  load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


class UiThreadTillCalls:
    """Times every Till method called on the UI (main) thread: a call that waited on the
    network (or on a lock held by a thread that does) shows here, whatever the CPU load."""

    def __init__(self) -> None:
        import functools
        import threading

        from appliance.till import Till

        self.calls: list[tuple[float, str]] = []
        main = threading.main_thread()
        for name in dir(Till):
            if name.startswith("_") or not callable(getattr(Till, name)):
                continue
            original = getattr(Till, name)

            def timed(*args, _original=original, _name=name, **kwargs):
                if threading.current_thread() is not main:
                    return _original(*args, **kwargs)
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.calls.append(((time.perf_counter() - started) * 1000, _name))

            setattr(Till, name, functools.wraps(original)(timed))

    def report(self) -> None:
        if not self.calls:
            print("  no Till call on the UI thread")
            return
        slowest = sorted(self.calls, reverse=True)[:3]
        print(
            f"  Till calls on the UI thread: {len(self.calls)}, slowest "
            + ", ".join(f"{name} {ms:.1f} ms" for ms, name in slowest)
        )
