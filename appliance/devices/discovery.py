"""Finding scanners and keypads, and keeping them through unplug/replug.

Configuration names a device by its `/dev/input/by-id/...` path, by `usb:VID:PID`, or by a
part of its name (`name:Honeywell`); with nothing configured, keyboards from known scanner
vendors are used. `InputHub` lists what is plugged in, diffs it against what it reads
(`plan_changes`: set difference, as Odoo's IoT interfaces do), opens and grabs the new ones
and forgets the lost ones; a device plugged back is simply "new" again at the next pass.
Listing and opening are injected so the hub is tested with pipes; the evdev versions below
are the real ones.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from appliance.devices.errors import DeviceError, ScannerLost
from appliance.devices.input_reader import Consumer, EventSource, InputReader

log = logging.getLogger(__name__)
BY_ID = Path("/dev/input/by-id")
# USB vendor ids of the usual scanner makers: Symbol/Zebra, Honeywell/Metrologic, Hand Held,
# Datalogic, Newland. With nothing configured, their keyboards are taken for scanners.
SCANNER_VENDORS = frozenset({0x05E0, 0x0C2E, 0x0536, 0x05F9, 0x1EAB})
_USB_ID = re.compile(r"^(?:usb:)?([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")


@dataclass(frozen=True)
class DeviceInfo:
    path: str  # /dev/input/eventN
    name: str
    vendor: int = 0
    product: int = 0
    links: tuple[str, ...] = ()  # by-id symlinks to it

    @property
    def label(self) -> str:
        return f"{self.name} ({self.links[0] if self.links else self.path})"


@dataclass(frozen=True)
class DeviceMatcher:
    kind: str  # "path", "usb", "name"
    value: str

    def matches(self, info: DeviceInfo) -> bool:
        if self.kind == "path":
            return self.value in (info.path, *info.links)
        if self.kind == "usb":
            return self.value == f"{info.vendor:04x}:{info.product:04x}"
        return self.value.lower() in info.name.lower()


def parse_matcher(text: str) -> DeviceMatcher:
    stripped = text.strip()
    if stripped.startswith("/"):
        return DeviceMatcher("path", stripped)
    usb = _USB_ID.match(stripped)
    if usb:
        return DeviceMatcher("usb", f"{usb[1].lower()}:{usb[2].lower()}")
    name = stripped.removeprefix("name:").strip()
    if not name:
        raise DeviceError(f"périphérique d'entrée illisible {text!r}")
    return DeviceMatcher("name", name)


def select_devices(
    infos: Iterable[DeviceInfo],
    matchers: Iterable[DeviceMatcher],
    default_vendors: frozenset[int] = SCANNER_VENDORS,
) -> dict[str, DeviceInfo]:
    """path -> info of the devices to read; no matcher: devices of `default_vendors`."""
    matcher_list = list(matchers)
    chosen = {}
    for info in infos:
        if matcher_list:
            wanted = any(matcher.matches(info) for matcher in matcher_list)
        else:
            wanted = info.vendor in default_vendors
        if wanted:
            chosen[info.path] = info
    return chosen


def plan_changes(found: set[str], running: set[str]) -> tuple[set[str], set[str]]:
    """(to start, to stop): what appeared and what went away."""
    return found - running, running - found


def list_input_devices() -> list[DeviceInfo]:
    """Every evdev device we may open, with its by-id links (empty when /dev/input is absent)."""
    import evdev  # noqa: PLC0415 - optional, Linux only

    links: dict[str, list[str]] = {}
    if BY_ID.is_dir():
        for link in sorted(BY_ID.iterdir()):
            links.setdefault(os.path.realpath(link), []).append(str(link))
    infos = []
    for path in evdev.list_devices():
        try:
            device = evdev.InputDevice(path)
        except OSError:
            continue
        try:
            infos.append(DeviceInfo(
                path, device.name, device.info.vendor, device.info.product,
                tuple(links.get(os.path.realpath(path), ())),
            ))
        finally:
            device.close()
    return infos


def config_name(info: DeviceInfo) -> str:
    """How the configuration should name this device: by-id link, else USB id, else path."""
    if info.links:
        return info.links[0]
    if info.vendor:
        return f"usb:{info.vendor:04x}:{info.product:04x}"
    return info.path


def open_shared(info: DeviceInfo) -> EventSource:
    """Open without grabbing (learning: the touch screen must keep working meanwhile)."""
    import evdev  # noqa: PLC0415

    # evdev types `path` str | bytes whatever it was opened with; opened with a str, it is that.
    return evdev.InputDevice(info.path)  # type: ignore[return-value]


def open_grabbed(info: DeviceInfo) -> EventSource:
    """Open and grab (EVIOCGRAB): scans must not reach the focused widget or the console."""
    import evdev  # noqa: PLC0415

    device = evdev.InputDevice(info.path)
    try:
        device.grab()
    except OSError as error:
        device.close()
        raise DeviceError(
            f"{info.label} est déjà pris par un autre programme ({error.strerror})"
        ) from error
    return device  # type: ignore[return-value]  # `path` is the str it was opened with


class InputHub:
    """Keeps one `InputReader` per wanted device, rescanning every `interval_s`."""

    def __init__(
        self,
        matchers: Iterable[DeviceMatcher],
        make_consumer: Callable[[DeviceInfo], Consumer],
        *,
        list_devices: Callable[[], list[DeviceInfo]] = list_input_devices,
        open_device: Callable[[DeviceInfo], EventSource] = open_grabbed,
        on_event: Callable[[str], None] | None = None,
        interval_s: float = 1.0,
        default_vendors: frozenset[int] = SCANNER_VENDORS,
    ) -> None:
        self.matchers = list(matchers)
        self.default_vendors = default_vendors
        self.make_consumer = make_consumer
        self.list_devices = list_devices
        self.open_device = open_device
        self.on_event = on_event or (lambda message: log.info("%s", message))
        self.interval_s = interval_s
        self._readers: dict[str, InputReader] = {}
        self._failing: set[str] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def devices(self) -> list[str]:
        with self._lock:
            return sorted(path for path, reader in self._readers.items() if reader.alive)

    def rescan(self) -> tuple[set[str], set[str]]:
        """One pass: start readers for new devices, stop those that went away."""
        try:
            found = select_devices(self.list_devices(), self.matchers, self.default_vendors)
        except OSError as error:
            self.on_event(f"liste des périphériques d'entrée illisible : {error}")
            return set(), set()
        with self._lock:
            for path in [p for p, reader in self._readers.items() if not reader.alive]:
                del self._readers[path]
            to_start, to_stop = plan_changes(set(found), set(self._readers))
            for path in to_stop:
                self._readers.pop(path).stop()
            started = set()
            for path in sorted(to_start):
                info = found[path]
                try:
                    source = self.open_device(info)
                except (DeviceError, OSError) as error:
                    if path not in self._failing:  # once, not every second
                        self._failing.add(path)
                        self.on_event(f"{info.label} : {error}")
                    continue
                self._failing.discard(path)
                reader = InputReader(source, self.make_consumer(info), self._lost, info.label)
                self._readers[path] = reader
                reader.start()
                started.add(path)
                self.on_event(f"branché : {info.label}")
        return started, to_stop

    def _lost(self, lost: ScannerLost) -> None:
        self.on_event(str(lost))

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="input-hub", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.rescan()
            self._stop.wait(self.interval_s)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self._lock:
            for reader in self._readers.values():
                reader.stop()
            self._readers.clear()
