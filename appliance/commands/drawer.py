"""`appliance drawer open`: open the cash drawer (through the printer or its own serial line).

The drawer comes from `--connection` (printer, serial:DEVICE:BAUD) and the printer from
`--printer`, or both from `--config` ([drawer] and [printer]). Opening outside a sale is a
"no sale" event the Till journals; this command is the technician's wiring test.
"""

from __future__ import annotations

import argparse
import sys

from appliance.commands import Subparsers
from appliance.commands.printer import load_optional_config
from appliance.config import ConfigError, DrawerConfig


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("drawer", help="ouvrir le tiroir-caisse", description=__doc__)
    actions = parser.add_subparsers(dest="drawer_command", metavar="ACTION", required=True)
    opening = actions.add_parser("open", help="envoyer l'impulsion d'ouverture")
    opening.add_argument("--config", help="fichier de configuration TOML")
    opening.add_argument("--connection", help="printer (défaut), serial:PÉRIPH:BAUDS ou none")
    opening.add_argument("--printer", help="connexion de l'imprimante (tcp:, serial:, usb:, file:)")
    opening.add_argument("--pin", type=int, choices=(2, 5))
    opening.add_argument("--pulse-on-ms", type=int)
    opening.add_argument("--pulse-off-ms", type=int)
    opening.set_defaults(handler=run_open)


def run_open(args: argparse.Namespace) -> int:
    from appliance.devices.connection import (  # noqa: PLC0415
        NoConnection,
        parse_drawer_address,
        parse_printer_address,
    )
    from appliance.devices.drawer import DrawerSettings, open_drawer  # noqa: PLC0415
    from appliance.devices.errors import DeviceError  # noqa: PLC0415
    from appliance.devices.printer import open_printer  # noqa: PLC0415
    from appliance.devices.profiles import DEFAULT_PROFILE  # noqa: PLC0415

    try:
        config = load_optional_config(args)
        section = config.drawer if config else DrawerConfig()  # the same defaults as the till
        settings = DrawerSettings(
            pin=args.pin or section.pin,
            pulse_on_ms=args.pulse_on_ms or section.pulse_on_ms,
            pulse_off_ms=args.pulse_off_ms or section.pulse_off_ms,
        )
        if args.printer:
            printer_address = parse_printer_address(args.printer)
        else:
            printer_address = config.printer.connection if config else NoConnection()
        profile = (config.printer.profile if config else None) or DEFAULT_PROFILE
        printer = open_printer(printer_address, profile=profile, drawer=settings)
        address = parse_drawer_address(args.connection) if args.connection else section.connection
        drawer = open_drawer(address, printer, settings)
        drawer.kick()
        state = drawer.is_open()
    except (ConfigError, DeviceError) as error:
        print(f"drawer open : échec : {error}", file=sys.stderr)
        return 1
    print(f"impulsion envoyée ({drawer.description}, broche {settings.pin},"
          f" {settings.pulse_on_ms}/{settings.pulse_off_ms} ms)")
    if state is not None:
        print("tiroir signalé ouvert" if state else "tiroir signalé fermé")
    return 0
