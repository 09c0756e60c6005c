"""Barcode scanners: decoded codes to a callback, garbage rejected and reported.

`ScanConsumer` sits between an `InputReader` and the Till: it decodes each device's key events
with the configured layout ("us", "fr", or "auto": whichever layout yields an acceptable code),
checks the result with the injected `is_acceptable(code) -> bool` (the Till passes
`appliance.pos.barcode`'s validator; by default we use it directly), and calls `on_scan` with a
`Scan` or `on_reject` with a `RejectedScan` that says which layout would have worked, the
usual cause of garbage on a French till.

`learn_scanner` is the setup wizard's "scan this test code": it listens to every candidate
device at once and returns which device produced the expected code, and in which layout.
"""

from __future__ import annotations

import select
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from appliance.devices.input_reader import EventSource
from appliance.devices.keymaps import KEYMAPS, LAYOUTS, KeyDecoder

AUTO = "auto"
# `[scanner] suffix` names: what ends a code besides Enter (which always does).
SUFFIX_NAMES = {"enter": "", "none": "", "tab": "\t"}


@dataclass(frozen=True)
class ScannerSettings:
    layout: str = AUTO  # "us", "fr" or "auto"
    suffix: str = ""  # a code also ends on this text (Enter always ends it)
    prefix: str = ""  # stripped from the start of a code when present

    def __post_init__(self) -> None:
        if self.layout not in (*LAYOUTS, AUTO):
            raise ValueError(
                f"disposition de scanner inconnue {self.layout!r} : us, fr ou auto"
            )


@dataclass(frozen=True)
class Scan:
    code: str
    device: str
    layout: str


@dataclass(frozen=True)
class RejectedScan:
    text: str  # as decoded with the configured layout (or the first, in auto)
    device: str
    reason: str
    layout_hint: str | None = None  # a layout that would have read an acceptable code


def pos_barcode_acceptable(code: str) -> bool:
    """Default validator: what appliance.pos.barcode can decode (EAN/UPC, check digit)."""
    from appliance.pos.barcode import decode  # noqa: PLC0415
    from appliance.pos.errors import InvalidBarcode  # noqa: PLC0415

    try:
        decode(code)
    except InvalidBarcode:
        return False
    return True


class ScanConsumer:
    """One device's decoders (one per candidate layout) and the delivery rules."""

    def __init__(
        self,
        device: str,
        settings: ScannerSettings,
        on_scan: Callable[[Scan], None],
        on_reject: Callable[[RejectedScan], None] | None = None,
        is_acceptable: Callable[[str], bool] = pos_barcode_acceptable,
    ) -> None:
        self.device = device
        self.settings = settings
        self.on_scan = on_scan
        self.on_reject = on_reject
        self.is_acceptable = is_acceptable
        layouts = LAYOUTS if settings.layout == AUTO else (settings.layout,)
        others = tuple(layout for layout in LAYOUTS if layout not in layouts)
        self._decoders = {
            layout: KeyDecoder(KEYMAPS[layout], settings.suffix, settings.prefix)
            for layout in (*layouts, *others)
        }
        self._deliverable = layouts

    def feed(self, event_type: int, code: int, value: int) -> None:
        results = {
            layout: decoder.feed(event_type, code, value)
            for layout, decoder in self._decoders.items()
        }
        first = results[self._deliverable[0]]
        if first is None:
            return
        for layout in self._deliverable:
            text = results[layout]
            if text is not None and self.is_acceptable(text):
                self.on_scan(Scan(text, self.device, layout))
                return
        hint = next(
            (layout for layout, text in results.items()
             if text is not None and layout not in self._deliverable and self.is_acceptable(text)),
            None,
        )
        if self.on_reject is not None:
            reason = "code illisible par la caisse"
            if hint is not None:
                reason += f" : le scanner semble configuré en clavier {hint}"
            self.on_reject(RejectedScan(first, self.device, reason, hint))


@dataclass(frozen=True)
class LearntScanner:
    path: str
    layout: str


def learn_scanner(
    sources: Iterable[EventSource], expected: str, timeout_s: float = 30.0
) -> LearntScanner | None:
    """Wait for `expected` to be typed by one of `sources`; None after the timeout.

    The caller opens (and ideally grabs) the candidate keyboards and closes them afterwards.
    """
    decoders = {
        source.fileno(): (source, {layout: KeyDecoder(KEYMAPS[layout]) for layout in LAYOUTS})
        for source in sources
    }
    deadline = time.monotonic() + timeout_s
    while decoders and (remaining := deadline - time.monotonic()) > 0:
        ready, _, _ = select.select(list(decoders), [], [], min(remaining, 0.2))
        for fd in ready:
            source, by_layout = decoders[fd]
            try:
                events = list(source.read())
            except BlockingIOError:
                continue
            except OSError:
                del decoders[fd]
                continue
            for event in events:
                for layout, decoder in by_layout.items():
                    if decoder.feed(event.type, event.code, event.value) == expected:
                        return LearntScanner(source.path, layout)
    return None
