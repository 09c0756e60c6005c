"""The `appliance` command (the subcommands are listed in docs/ARCHITECTURE.md, section 9).

Thin on purpose: it parses arguments and hands each subcommand to a small module under
`appliance.commands`, each of which exposes `register(subparsers)` and sets `handler` on its
parser. Handlers return the process exit code and turn our errors into one clear line: a
cashier or a technician never sees a traceback. Command modules import heavy libraries (Kivy,
evdev, pyusb) inside their handlers, so `appliance --help` stays instant everywhere.

When the command line names a subcommand, only that subcommand's module is imported: the kiosk
(`appliance run`) starts under systemd on every boot and must not pay for the sandbox, the
journal export or provisioning modules it never uses. The module of command `NAME` is
`appliance.commands.NAME`.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from appliance import __version__

COMMAND_MODULES: tuple[str, ...] = (
    "appliance.commands.backup",
    "appliance.commands.journal",
    "appliance.commands.setup",
    "appliance.commands.run",
    "appliance.commands.demo",
    "appliance.commands.sandbox",
    "appliance.commands.doctor",
    "appliance.commands.printer",
    "appliance.commands.drawer",
    "appliance.commands.scanner",
    "appliance.commands.sale",
    "appliance.commands.session",
    "appliance.commands.sync",
)


def command_modules_for(argv: Sequence[str]) -> tuple[str, ...]:
    """The modules to import: the named subcommand's alone, or all of them for the overview."""
    first_word = next((word for word in argv if not word.startswith("-")), None)
    chosen = f"appliance.commands.{first_word}"
    return (chosen,) if chosen in COMMAND_MODULES else COMMAND_MODULES


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="appliance",
        description="Caisse enregistreuse pour les boutiques qui tiennent leurs comptes"
        " dans Kafinea.",
    )
    parser.add_argument("--version", action="version", version=f"appliance {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in command_modules_for(argv):
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(arguments)
    args = parser.parse_args(arguments)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(handler(args))
    except KeyboardInterrupt:
        return 130
