"""The kiosk's scanners as the configuration names them (`[scanner]`).

`devices.inputs.scanner_hub` does the work (grabbed evdev readers, rediscovered when
replugged); this module only reads the configuration and phrases what the cashier sees: a scan
goes to the current screen, an unreadable one is explained on screen.
"""

from __future__ import annotations

from collections.abc import Callable

from appliance.config import Config
from appliance.devices.errors import DeviceError
from appliance.devices.inputs import scanner_hub
from appliance.devices.scanner import SUFFIX_NAMES, ScannerSettings

Notice = Callable[[str], None]
InputStarter = Callable[[Callable[[str], None], Notice], Callable[[], None]]


def scanner_starter(config: Config) -> InputStarter:
    """What the kiosk calls with (on_scan, on_notice) once its window is up; the function it
    gets back stops the readers."""

    def start(on_scan: Callable[[str], None], on_notice: Notice) -> Callable[[], None]:
        section = config.scanner
        try:
            settings = ScannerSettings(
                layout=section.layout,
                suffix=SUFFIX_NAMES.get(section.suffix, ""),
                prefix=section.prefix,
            )
            hub = scanner_hub(
                section.devices,
                settings,
                lambda scan: on_scan(scan.code),
                on_reject=lambda rejected: on_notice(f"Scan illisible : {rejected.reason}"),
                on_event=on_notice,
            )
        except (DeviceError, ValueError) as error:
            on_notice(f"Scanner non démarré : {error}")
            return lambda: None
        hub.start()
        return hub.stop

    return start
