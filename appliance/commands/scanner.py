"""`appliance scanner listen|learn`: show input devices and every scan decoded live, or
learn which device and layout read a test code.

Each scan is printed with the device that produced it and the layout that read it; a rejected
scan is printed with the layout that would have read it (the usual cause: a scanner set to a
US keyboard on a till set to French, or the reverse). Devices come from `--device` (repeat;
/dev/input/by-id path, usb:VID:PID or name:TEXT) or `[scanner] devices` of `--config`; with
neither, keyboards of known scanner vendors. Unplug and replug are shown as they happen.
"""

from __future__ import annotations

import argparse
import sys
import threading
from typing import TYPE_CHECKING, TextIO

from appliance.commands import Subparsers
from appliance.commands.printer import load_optional_config
from appliance.config import ConfigError

if TYPE_CHECKING:
    from appliance.devices.scanner import RejectedScan, Scan

SUFFIXES = ("enter", "tab", "none")  # appliance.devices.scanner.SUFFIX_NAMES


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser("scanner", help="lecteurs de codes-barres",
                                   description=__doc__)
    actions = parser.add_subparsers(dest="scanner_command", metavar="ACTION", required=True)
    listen = actions.add_parser("listen", help="afficher les codes lus en direct")
    listen.add_argument("--config", help="fichier de configuration TOML")
    listen.add_argument("--device", action="append", default=[],
                        help="/dev/input/by-id/..., usb:VID:PID ou name:TEXTE (répétable)")
    listen.add_argument("--layout", choices=("us", "fr", "auto"),
                        help="disposition du scanner (auto : celle qui lit un code valable)")
    listen.add_argument("--suffix", choices=SUFFIXES, help="fin de code en plus d'Entrée")
    listen.add_argument("--prefix", help="préfixe à retirer des codes")
    listen.add_argument("--seconds", type=float, default=0.0,
                        help="s'arrêter après ce nombre de secondes (0 : Ctrl-C)")
    listen.set_defaults(handler=run_listen)
    learn = actions.add_parser("learn", help="lire un code de test : quel appareil, quel clavier")
    learn.add_argument("code", help="le code imprimé sur l'étiquette de test, ex. 4006381333931")
    learn.add_argument("--seconds", type=float, default=30.0, help="attente maximale (30 s)")
    learn.set_defaults(handler=run_learn)


class LivePrinter:
    """The command's output: one line per device change, scan or rejected scan."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()

    def line(self, text: str) -> None:
        with self._lock:
            print(text, file=self.out, flush=True)

    def scan(self, scan: Scan) -> None:
        self.line(f"code {scan.code}  ({scan.device}, clavier {scan.layout})")

    def reject(self, rejected: RejectedScan) -> None:
        self.line(f"refusé {rejected.text!r}  ({rejected.device}) : {rejected.reason}")


def run_listen(args: argparse.Namespace) -> int:
    from appliance.devices.discovery import (  # noqa: PLC0415
        InputHub,
        list_input_devices,
        parse_matcher,
    )
    from appliance.devices.errors import DeviceError  # noqa: PLC0415
    from appliance.devices.scanner import (  # noqa: PLC0415
        SUFFIX_NAMES,
        ScanConsumer,
        ScannerSettings,
    )

    try:
        config = load_optional_config(args)
        section = config.scanner if config else None
        settings = ScannerSettings(
            layout=args.layout or (section.layout if section else "auto"),
            suffix=SUFFIX_NAMES[args.suffix or (section.suffix if section else "enter")],
            prefix=args.prefix if args.prefix is not None else (section.prefix if section else ""),
        )
        matchers = [parse_matcher(text) for text in
                    (args.device or (list(section.devices) if section else []))]
    except (ConfigError, DeviceError, ValueError) as error:
        print(f"scanner listen : {error}", file=sys.stderr)
        return 1
    out = LivePrinter(sys.stdout)
    devices = list_input_devices()
    out.line(f"{len(devices)} périphérique(s) d'entrée :" if devices
             else "aucun périphérique d'entrée (/dev/input vide) ; en attente de branchement")
    for info in devices:
        out.line(f"  {info.path}  {info.vendor:04x}:{info.product:04x}  {info.label}")
    out.line("lecteurs : " + (", ".join(f"{m.kind}={m.value}" for m in matchers)
                              or "claviers des marques de scanners connues"))
    hub = InputHub(
        matchers,
        lambda info: ScanConsumer(info.label, settings, out.scan, out.reject),
        on_event=out.line,
    )
    stop = threading.Event()
    hub.start()
    try:
        stop.wait(args.seconds if args.seconds > 0 else None)
    except KeyboardInterrupt:
        pass
    finally:
        hub.stop()
    return 0


def run_learn(args: argparse.Namespace) -> int:
    """Print the `[scanner]` lines to write once the test code has been scanned."""
    from appliance.devices.inputs import learn_scanner_device  # noqa: PLC0415

    print(f"scannez le code {args.code} (attente {args.seconds:g} s)…", flush=True)
    learnt = learn_scanner_device(args.code, args.seconds)
    if learnt is None:
        print(f"scanner learn : aucun appareil n'a lu {args.code} en {args.seconds:g} s"
              " (scanner branché ? en mode clavier USB HID ?)", file=sys.stderr)
        return 1
    print(f"lu par {learnt.info.label}, disposition {learnt.layout}")
    print("[scanner]")
    print(f'devices = ["{learnt.config_name}"]')
    print(f'layout = "{learnt.layout}"')
    return 0
