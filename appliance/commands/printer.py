"""`appliance printer test|virtual`: check a receipt printer, or be one.

`printer test` prints a page with the euro sign, French accents, a column ruler and a QR code,
then reads the printer's status where it answers; it exits non-zero with the reason when it
cannot print. The printer comes from `--connection` (tcp:/serial:/usb:/file:) or from the
`[printer]` table of `--config`.

`printer virtual` runs a network printer that writes each receipt to DIR as text and PNG.
"""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from appliance.commands import Subparsers
from appliance.config import Config, ConfigError, default_config_path, load_config


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "printer", help="tester l'imprimante ou lancer l'imprimante virtuelle",
        description=__doc__,
    )
    actions = parser.add_subparsers(dest="printer_command", metavar="ACTION", required=True)
    test = actions.add_parser("test", help="imprimer une page de test (€, accents, règle, QR)")
    add_printer_arguments(test)
    test.set_defaults(handler=run_test)
    virtual = actions.add_parser("virtual", help="imprimante réseau virtuelle (texte + PNG)")
    virtual.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (127.0.0.1)")
    virtual.add_argument("--port", type=int, default=9100, help="port TCP (0 : port libre)")
    virtual.add_argument("--out", type=Path, default=Path("virtual-printer"),
                         help="dossier des tickets reçus")
    virtual.add_argument("--columns", type=int, choices=(32, 42, 48), default=48)
    virtual.set_defaults(handler=run_virtual)


def add_printer_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, help="fichier de configuration TOML")
    parser.add_argument("--connection", help="tcp:HÔTE:PORT, serial:PÉRIPH:BAUDS, usb:VID:PID,"
                        " file:CHEMIN (prioritaire sur --config)")
    parser.add_argument("--profile", help="profil python-escpos, ex. TM-T20II, POS-5890")
    parser.add_argument("--columns", type=int, choices=(32, 42, 48))
    parser.add_argument("--codepage", help="page de code, ex. CP858")


def load_optional_config(args: argparse.Namespace) -> Config | None:
    """`--config`, else the default file when it exists; `ConfigError` is the caller's."""
    path = args.config
    if path is None:
        default = default_config_path()
        if not default.exists():
            return None
        path = default
    return load_config(path)


def printer_options(args: argparse.Namespace, config: Config | None) -> dict[str, Any]:
    """Keyword arguments of `open_printer`: flags first, then [printer], then defaults."""
    from appliance.devices.connection import parse_printer_address  # noqa: PLC0415
    from appliance.devices.drawer import DrawerSettings  # noqa: PLC0415
    from appliance.devices.profiles import DEFAULT_PROFILE  # noqa: PLC0415

    section = config.printer if config else None
    drawer = config.drawer if config else None
    if args.connection:
        connection = parse_printer_address(args.connection)
    elif section is not None:
        connection = section.connection
    else:
        raise LookupError(
            "aucune imprimante indiquée : --connection tcp:HÔTE:9100 (ou serial:, usb:, file:)"
            " ou --config appliance.toml"
        )
    options: dict[str, Any] = {
        "connection": connection,
        "profile": args.profile or (section.profile if section else None) or DEFAULT_PROFILE,
        "columns": args.columns or (section.columns if section else None),
        "code_page": args.codepage or (section.codepage if section else None),
    }
    if drawer is not None:
        options["drawer"] = DrawerSettings(drawer.pin, drawer.pulse_on_ms, drawer.pulse_off_ms)
    return options


def run_test(args: argparse.Namespace) -> int:
    from appliance.devices.errors import DeviceError  # noqa: PLC0415
    from appliance.devices.printer import open_printer  # noqa: PLC0415

    try:
        options = printer_options(args, load_optional_config(args))
        printer = open_printer(options.pop("connection"), **options)
        printer.print_test_page()
        status = printer.status()
        printer.close()
    except (ConfigError, LookupError, DeviceError) as error:
        print(f"printer test : échec : {error}", file=sys.stderr)
        return 1
    print(f"page de test envoyée à {printer.description}")
    print(f"état : {status.summary()}")
    return 0 if status.problem is None else 1


def _stop_like_ctrl_c(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def run_virtual(args: argparse.Namespace) -> int:
    from appliance.devices.virtual_printer import VirtualPrinter  # noqa: PLC0415

    pixels = {32: 384, 42: 512, 48: 576}[args.columns]
    printer = VirtualPrinter(args.out, args.host, args.port, args.columns, pixels)
    try:
        printer.start()
    except OSError as error:
        print(f"printer virtual : impossible d'écouter sur {args.host}:{args.port} : {error}",
              file=sys.stderr)
        return 1
    print(f"imprimante virtuelle sur {printer.connection_string}, tickets dans {args.out}",
          flush=True)
    signal.signal(signal.SIGTERM, _stop_like_ctrl_c)  # a service manager or script stops it so
    seen = 0
    try:
        while True:
            receipt = printer.wait_for_receipt(timeout=3600)
            seen += 1
            print(f"ticket {receipt.number} : {receipt.txt_path} {receipt.png_path}", flush=True)
    except TimeoutError:
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        printer.stop()
