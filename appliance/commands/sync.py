"""`appliance sync [--once]`: deliver the queued tickets to Kafinea and pull the catalogue.

    appliance sync --once    pull the catalogue, push everything pending, then exit:
                             0 when the queue is empty, 1 with the reasons otherwise
    appliance sync           keep delivering in the foreground until stopped (Ctrl-C, SIGTERM)

Only one process delivers a till's queue at a time (a lock file beside the journal): while the
kiosk runs, `--once` says so and exits 1.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from appliance.commands import Subparsers
from appliance.commands.till_cli import add_config_option, open_till, run


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "sync",
        help="transmet les tickets à Kafinea, lit le catalogue",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_config_option(parser)
    parser.add_argument("--once", action="store_true", help="une passe puis sortie")
    parser.add_argument("--no-pull", action="store_true", help="ne pas relire le catalogue")
    parser.set_defaults(handler=lambda args: run("sync", lambda: _sync(args)))


def _sync(args: argparse.Namespace) -> int:
    if not args.once:
        return _forever(args)
    from appliance.config import default_config_path, load_config  # noqa: PLC0415
    from appliance.kafinea.sync import worker_lock  # noqa: PLC0415
    from appliance.till.bootstrap import LOCK_NAME  # noqa: PLC0415
    from appliance.till.errors import TillError  # noqa: PLC0415

    config = load_config(args.config or default_config_path())
    with worker_lock(config.data_dir / LOCK_NAME), open_till(args) as till:
        pulled = ""
        if not args.no_pull:
            try:
                result = till.refresh_catalog()
                pulled = f", catalogue : {result.products} articles ({result.changed} modifiés)"
            except TillError as error:
                pulled = f", catalogue non relu : {error.message}"
        report = till.sync_once()
    print(f"{report.delivered} document(s) transmis, {report.pending} en attente{pulled}")
    for refused in report.errors:
        print(f"  refusé : {refused.document} : {refused.reason}", file=sys.stderr)
    if report.pending or report.errors:
        if report.last_error:
            print(f"  {report.last_error}", file=sys.stderr)
        return 1
    return 0


def _forever(args: argparse.Namespace) -> int:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with open_till(args, start_sync=True) as till:
        print("synchronisation en cours (Ctrl-C pour arrêter)", file=sys.stderr)
        try:
            while not stop.wait(60):
                status = till.sync_status()
                if status.last_error:
                    print(f"{status.pending} en attente : {status.last_error}", file=sys.stderr)
        except KeyboardInterrupt:
            pass
    return 0
