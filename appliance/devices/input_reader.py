"""One reader thread per input device: events in, decoded results out through callbacks.

The thread waits in `select()` (0.2 s ticks, to notice `stop()`), drains every pending event
(evdev returns at most 64 per read) and hands each to the device's consumer: a scanner's
`ScanConsumer` or a keypad's `KeypadConsumer`. Callbacks run on this thread: the Till must
hop to the UI thread itself (Kivy `Clock.schedule_once`), so a busy screen never delays or
loses a scan; the kernel queue and this thread keep reading meanwhile.

An unplugged device makes `read()` fail with ENODEV (a closed pipe reads as end of file): the
reader reports `ScannerLost` once and ends; the hub finds the device again when it returns.
"""

from __future__ import annotations

import logging
import select
import threading
from collections.abc import Callable, Iterable
from typing import Protocol

from appliance.devices.errors import ScannerLost

log = logging.getLogger(__name__)
POLL_S = 0.2


class InputEventLike(Protocol):
    type: int
    code: int
    value: int


class EventSource(Protocol):
    """What evdev.InputDevice offers and the reader needs (the tests use a pipe)."""

    path: str

    def fileno(self) -> int: ...

    def read(self) -> Iterable[InputEventLike]: ...

    def close(self) -> None: ...


class Consumer(Protocol):
    def feed(self, event_type: int, code: int, value: int) -> None: ...


class InputReader:
    """Reads one source on its own daemon thread until stopped or lost."""

    def __init__(
        self,
        source: EventSource,
        consumer: Consumer,
        on_lost: Callable[[ScannerLost], None] | None = None,
        name: str = "",
    ) -> None:
        self.source = source
        self.consumer = consumer
        self.on_lost = on_lost
        self.name = name or source.path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"input {self.name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        try:
            self._loop()
        except ScannerLost as lost:
            log.warning("%s", lost)
            if self.on_lost is not None:
                self.on_lost(lost)
        except Exception:  # the thread's top loop: log, record, never die silently
            log.exception("input reader %s crashed", self.name)
            if self.on_lost is not None:
                self.on_lost(ScannerLost(f"lecture de {self.name} interrompue (erreur interne)"))
        finally:
            try:
                self.source.close()
            except OSError:
                log.debug("closing %s failed", self.name)

    def _loop(self) -> None:
        fd = self.source.fileno()
        while not self._stop.is_set():
            try:
                ready, _, _ = select.select([fd], [], [], POLL_S)
            except (OSError, ValueError) as error:
                raise ScannerLost(f"{self.name} a disparu ({error})") from error
            if ready:
                self._drain()

    def _drain(self) -> None:
        count = 0
        while True:
            try:
                events = list(self.source.read())
            except BlockingIOError:
                return
            except OSError as error:  # ENODEV: unplugged
                raise ScannerLost(f"{self.name} débranché ({error.strerror})") from error
            if not events:
                if count == 0:  # readable yet empty: end of file, the device is gone
                    raise ScannerLost(f"{self.name} débranché (fin de flux)")
                return
            count += len(events)
            for event in events:
                self.consumer.feed(event.type, event.code, event.value)
