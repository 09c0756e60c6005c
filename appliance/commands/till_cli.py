"""What `appliance sale`, `session` and `sync` share: the config option, building the Till,
and turning its refusals into one line and an exit code (never a traceback)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.config import ConfigError, default_config_path, load_config
from appliance.pos.money import InvalidAmount, parse_amount

if TYPE_CHECKING:
    from appliance.till import Till

METHOD_ALIASES = {
    "cash": "CASH",
    "especes": "CASH",
    "espèces": "CASH",
    "card": "CARD",
    "cb": "CARD",
    "carte": "CARD",
    "cheque": "CHEQUE",
    "chèque": "CHEQUE",
}


class UsageError(Exception):
    """A command-line value that cannot be used (printed as is, exit code 2)."""


def add_config_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="fichier de configuration TOML"
        " (défaut : $APPLIANCE_CONFIG ou /etc/appliance/appliance.toml)",
    )


def method_amount(text: str) -> tuple[str, int]:
    """ "cash:20.00" -> ("CASH", 2000)."""
    method, sep, amount = text.partition(":")
    if not sep or not method:
        raise UsageError(f"{text!r} : attendu MOYEN:MONTANT, par exemple cash:20.00")
    try:
        cents = parse_amount(amount)
    except InvalidAmount as error:
        raise UsageError(str(error)) from None
    return METHOD_ALIASES.get(method.casefold(), method.upper()), cents


def amount(text: str) -> int:
    try:
        return parse_amount(text)
    except InvalidAmount as error:
        raise UsageError(str(error)) from None


@contextmanager
def open_till(args: argparse.Namespace, *, start_sync: bool = False) -> Iterator[Till]:
    from appliance.till.bootstrap import build_till  # noqa: PLC0415 - keeps `--help` instant

    config = load_config(args.config or default_config_path())
    till = build_till(config, start_sync=start_sync)
    try:
        yield till
    finally:
        till.close()


def run(command: str, body: Callable[[], int]) -> int:
    """Call `body`; our errors become one line on stderr and an exit code."""
    from appliance.kafinea.sync import WorkerBusy  # noqa: PLC0415
    from appliance.ledger.db import LedgerError  # noqa: PLC0415
    from appliance.till.errors import TillError  # noqa: PLC0415

    try:
        return body()
    except (ConfigError, UsageError) as error:
        print(f"appliance {command}: {error}", file=sys.stderr)
        return 2
    except TillError as error:
        print(f"appliance {command}: {error.message}", file=sys.stderr)
        return 1
    except (LedgerError, WorkerBusy) as error:
        print(f"appliance {command}: {error}", file=sys.stderr)
        return 1
