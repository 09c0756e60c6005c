"""Cash drawers: kicked through the printer's DK port, or on their own serial line.

Both have the same `kick()`; the Till does not care which. Both send the same `ESC p` pulse
(`escpos_build.drawer_kick`); some drawers need 50/50 units, some 25/25, hence the settings.
Drawer state ("open") only exists where the printer reports its connector pin 3
(`DLE EOT 1`), and which level means "open" depends on the drawer's switch: `open_level`
says it. A drawer on the printer needs only `HostPrinter` of it (send bytes, read the status),
so this module does not know the printer module: the printer knows the drawer settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from appliance.devices.connection import DrawerAddress, NoConnection, SerialConnection
from appliance.devices.errors import DeviceError, DrawerError, PrinterUnavailable
from appliance.devices.escpos_build import drawer_kick
from appliance.devices.status import PrinterStatus

DEFAULT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class DrawerSettings:
    pin: int = 2
    pulse_on_ms: int = 100
    pulse_off_ms: int = 100
    open_level: str = "high"  # connector pin 3 level reported while the drawer is open

    def __post_init__(self) -> None:
        if self.pin not in (2, 5):
            raise DrawerError(f"broche de tiroir {self.pin} invalide : 2 ou 5")
        for name in ("pulse_on_ms", "pulse_off_ms"):
            value = getattr(self, name)
            if not 2 <= value <= 510:
                raise DrawerError(f"{name} = {value} ms hors limites (2 à 510 ms)")
        if self.open_level not in ("high", "low"):
            raise DrawerError(f"open_level {self.open_level!r} : 'high' ou 'low'")


def kick_bytes(settings: DrawerSettings) -> bytes:
    """The pulse these settings ask for (pure; what both kinds of drawer send)."""
    return drawer_kick(settings.pin, settings.pulse_on_ms, settings.pulse_off_ms)


class Drawer(Protocol):
    """What the Till kicks. Read-only members, so a drawer may compute them (the printer's
    drawer is present only while its printer is)."""

    @property
    def description(self) -> str: ...

    @property
    def present(self) -> bool: ...  # False: nothing to kick (no drawer, or no printer)

    def kick(self) -> None: ...

    def is_open(self) -> bool | None: ...


class HostPrinter(Protocol):
    """The little a drawer on a printer's DK port needs of that printer."""

    @property
    def description(self) -> str: ...

    @property
    def present(self) -> bool: ...

    @property
    def drawer_settings(self) -> DrawerSettings: ...

    def send(self, data: bytes) -> None: ...

    def status(self) -> PrinterStatus: ...


class PrinterDrawer:
    """The usual wiring: an RJ11/RJ12 cable from the drawer to the printer's DK port."""

    def __init__(self, printer: HostPrinter) -> None:
        self.printer = printer
        self.description = f"tiroir relié à {printer.description}"

    @property
    def present(self) -> bool:
        return self.printer.present

    def kick(self) -> None:
        """One pulse through the printer; its failure is a `DrawerError` naming the cause."""
        if not self.printer.present:
            raise DrawerError("aucune imprimante configurée : pas de tiroir à ouvrir par elle")
        try:
            self.printer.send(kick_bytes(self.printer.drawer_settings))
        except PrinterUnavailable as error:
            raise DrawerError(f"tiroir non ouvert : {error}") from error

    def is_open(self) -> bool | None:
        """None when the printer does not report its drawer connector."""
        try:
            status = self.printer.status()
        except DeviceError:
            return None
        if status.drawer_pin_high is None:
            return None
        high_means_open = self.printer.drawer_settings.open_level == "high"
        return status.drawer_pin_high == high_means_open


class SerialDrawer:
    """A drawer on its own serial line, opened by the same ESC p bytes."""

    def __init__(
        self,
        connection: SerialConnection,
        settings: DrawerSettings | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        self.connection = connection
        self.settings = settings or DrawerSettings()
        self.timeout_s = timeout_s
        self.description = f"tiroir série {connection.device}"
        self.present = True

    def kick(self) -> None:
        import serial  # noqa: PLC0415 - optional dependency, only for serial drawers

        try:
            with serial.Serial(
                self.connection.device,
                self.connection.baudrate,
                timeout=self.timeout_s,
                write_timeout=self.timeout_s,
            ) as line:
                line.write(kick_bytes(self.settings))
                line.flush()
        except (serial.SerialException, OSError) as error:
            raise DrawerError(f"ouverture du {self.description} impossible : {error}") from error

    def is_open(self) -> bool | None:
        return None


class NoDrawer:
    description = "aucun tiroir configuré"
    present = False

    def kick(self) -> None:
        raise DrawerError("aucun tiroir-caisse configuré ([drawer] connection)")

    def is_open(self) -> bool | None:
        return None


def open_drawer(
    connection: DrawerAddress, printer: HostPrinter, settings: DrawerSettings | None = None
) -> Drawer:
    """Through `printer` (`ThroughPrinter`), on its own serial line, or none."""
    if isinstance(connection, SerialConnection):
        return SerialDrawer(connection, settings)
    if isinstance(connection, NoConnection):
        return NoDrawer()
    return PrinterDrawer(printer)
