"""One module per `appliance` subcommand; each exposes `register(subparsers)`."""

import argparse
from typing import TypeAlias

# What `register` receives: argparse's own (private) type for `add_subparsers()`, generic for
# type checkers only (a string, since the class cannot be subscripted at run time).
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
