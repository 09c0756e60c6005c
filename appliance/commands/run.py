"""`appliance run`: the production kiosk (started by systemd on tty1).

Fullscreen, borderless, no Escape-to-exit, cursor hidden unless `[ui]` says otherwise; tells
systemd READY=1 when the first frame is drawn and feeds the watchdog from the Kivy clock (the
kiosk unit's `Type=notify` and `WatchdogSec`). Without a configuration file it opens the setup
wizard; without a stored access key it opens the login screen (`kiosk_plan`).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from appliance.commands import Subparsers
from appliance.config import DEFAULT_DATA_DIR, Config, ConfigError, default_config_path, load_config


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "run", help="la caisse en plein écran (service systemd)", description=__doc__
    )
    parser.add_argument("--config", type=Path, help="fichier de configuration TOML")
    parser.add_argument(
        "--window",
        metavar="LxH",
        help="fenêtre de bureau de cette taille au lieu du plein écran (essais)",
    )
    parser.add_argument(
        "--show-cursor", action="store_true", help="garder le pointeur (écran non tactile)"
    )
    parser.set_defaults(handler=handle)


def parse_window(text: str) -> tuple[int, int]:
    """ "1024x600" -> (1024, 600); ValueError otherwise."""
    width, _, height = text.lower().partition("x")
    size = (int(width), int(height))
    if min(size) < 320:
        raise ValueError(text)
    return size


def handle(args: argparse.Namespace) -> int:
    path = args.config or default_config_path()
    config: Config | None = None
    if path.exists():
        try:
            config = load_config(path)
        except ConfigError as error:
            print(f"appliance run: {error}", file=sys.stderr)
            return 2
    try:
        window = parse_window(args.window) if args.window else None
    except ValueError:
        print(
            f"appliance run: --window {args.window!r}: attendu LxH, par ex. 1024x600",
            file=sys.stderr,
        )
        return 2
    data_dir = config.data_dir if config is not None else DEFAULT_DATA_DIR
    from appliance.ui import kiosk_env  # noqa: PLC0415  (after the Kivy environment is set)

    home = Path(os.environ.get("KIVY_HOME") or data_dir / "kivy")
    if window is not None:
        kiosk_env.apply(kiosk_env.window_environment(home, *window))
    else:
        kiosk_env.apply(kiosk_env.kiosk_environment(home, show_cursor=args.show_cursor))
    # Kivy reads its environment when first imported: everything that imports it comes now.
    from appliance.commands.kiosk_plan import plan_from_config  # noqa: PLC0415
    from appliance.ledger.db import LedgerError  # noqa: PLC0415
    from appliance.ui.launch import run_kiosk  # noqa: PLC0415
    from appliance.ui.sdnotify import Notifier, watchdog_interval_s  # noqa: PLC0415

    try:
        plan = plan_from_config(config, path)
    except (ConfigError, LedgerError) as error:  # e.g. a journal of another register
        print(f"appliance run: {error}", file=sys.stderr)
        return 2
    notifier = Notifier()
    interval = watchdog_interval_s()

    def ready() -> None:
        notifier.notify("READY=1")

    def beat() -> None:
        notifier.notify("WATCHDOG=1")

    try:
        return run_kiosk(
            plan, on_first_frame=ready, heartbeat=(interval, beat) if interval else None
        )
    finally:
        if plan.till is not None and plan.till not in plan.retired:
            plan.till.close()  # the kiosk closed it itself when the wizard replaced it
