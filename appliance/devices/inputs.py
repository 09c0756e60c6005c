"""Ready-made hubs for the Till: scanners and keypads from configuration values.

The Till passes plain values (the strings of `[scanner] devices`, a layout, callbacks) and gets
a started-on-demand `InputHub`; it never builds consumers or readers itself. `learn_scanner_device`
is the setup wizard's "scan this test code": it answers with the device's configuration name
and the layout to write into `[scanner]`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from appliance.devices.discovery import (
    DeviceInfo,
    InputHub,
    config_name,
    list_input_devices,
    open_shared,
    parse_matcher,
)
from appliance.devices.errors import DeviceError
from appliance.devices.input_reader import EventSource
from appliance.devices.keypad import KeypadAction, KeypadConsumer, build_mapping
from appliance.devices.scanner import (
    RejectedScan,
    Scan,
    ScanConsumer,
    ScannerSettings,
    learn_scanner,
    pos_barcode_acceptable,
)


def scanner_hub(
    devices: Iterable[str],
    settings: ScannerSettings,
    on_scan: Callable[[Scan], None],
    *,
    on_reject: Callable[[RejectedScan], None] | None = None,
    is_acceptable: Callable[[str], bool] = pos_barcode_acceptable,
    on_event: Callable[[str], None] | None = None,
) -> InputHub:
    """Scanners named in `devices` (none: known scanner vendors); call `.start()`."""
    return InputHub(
        [parse_matcher(text) for text in devices],
        lambda info: ScanConsumer(info.label, settings, on_scan, on_reject, is_acceptable),
        on_event=on_event,
    )


def keypad_hub(
    devices: Iterable[str],
    on_action: Callable[[KeypadAction], None],
    *,
    mapping: Mapping[str, str] | None = None,
    on_event: Callable[[str], None] | None = None,
) -> InputHub:
    """Keypads named in `devices`; none named, none used (a keypad has no telltale vendor)."""
    actions = build_mapping(mapping)
    return InputHub(
        [parse_matcher(text) for text in devices],
        lambda info: KeypadConsumer(actions, on_action),
        on_event=on_event,
        default_vendors=frozenset(),
    )


@dataclass(frozen=True)
class LearntDevice:
    info: DeviceInfo
    layout: str

    @property
    def config_name(self) -> str:
        return config_name(self.info)


def learn_scanner_device(
    expected: str,
    timeout_s: float = 30.0,
    *,
    list_devices: Callable[[], list[DeviceInfo]] = list_input_devices,
    open_device: Callable[[DeviceInfo], EventSource] = open_shared,
) -> LearntDevice | None:
    """Open every input device, wait for `expected`, close them all; None on timeout."""
    opened: dict[str, tuple[DeviceInfo, EventSource]] = {}
    try:
        for info in list_devices():
            try:
                opened[info.path] = (info, open_device(info))
            except (DeviceError, OSError):
                continue
        learnt = learn_scanner([source for _, source in opened.values()], expected, timeout_s)
    finally:
        for _, source in opened.values():
            source.close()
    if learnt is None:
        return None
    return LearntDevice(opened[learnt.path][0], learnt.layout)
