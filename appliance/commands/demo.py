"""`appliance demo`: the Kafinea sandbox, a virtual printer and the kiosk, in one process tree.

Everything runs on loopback in a desktop window: the sandbox serves the demo shop, the
virtual printer writes each receipt as text and PNG under the demo directory, and the till
sells against them exactly as it would against a real Kafinea and a real printer. Scans can be
typed on the computer's keyboard (digits, then Enter), like a keyboard-wedge scanner.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.commands import Subparsers
from appliance.commands.run import parse_window

if TYPE_CHECKING:  # the modules themselves are imported once Kivy's environment is set
    from appliance.kafinea.sandbox.server import SandboxHandle
    from appliance.till import Till
    from appliance.ui.app import StartPlan


def register(subparsers: Subparsers) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="démonstration : Kafinea simulé + imprimante virtuelle + caisse",
        description=__doc__,
    )
    parser.add_argument(
        "--dir",
        type=Path,
        help="dossier de la démo (données, tickets imprimés) ; par défaut un dossier temporaire",
    )
    parser.add_argument(
        "--window",
        metavar="LxH",
        default="1024x600",
        help="taille de la fenêtre (800x480, 1024x600, 1280x800)",
    )
    parser.set_defaults(handler=handle)


def has_display() -> bool:
    """A desktop to open the window on (X11 or Wayland), or an SDL driver chosen by hand."""
    return any(os.environ.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER"))


def handle(args: argparse.Namespace) -> int:
    if not has_display():
        print(
            "appliance demo: aucun écran graphique (DISPLAY) : lancez-la depuis un bureau,"
            " ou sous xvfb-run",
            file=sys.stderr,
        )
        return 1
    try:
        width, height = parse_window(args.window)
    except ValueError:
        print(
            f"appliance demo: --window {args.window!r}: attendu LxH, par ex. 1024x600",
            file=sys.stderr,
        )
        return 2
    with contextlib.ExitStack() as stack:
        base = args.dir or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="caisse-demo-"))
        )
        base.mkdir(parents=True, exist_ok=True)
        from appliance.ui import kiosk_env  # noqa: PLC0415  (after the Kivy environment is set)

        kiosk_env.apply(kiosk_env.window_environment(base / "kivy", width, height))
        till = stack.enter_context(demo_till(base))
        print(f"Démo : tickets imprimés dans {base / 'printer'}", file=sys.stderr)
        codes = sample_barcodes(till)
        if codes:
            print(
                "Codes-barres à taper au clavier, puis Entrée : " + ", ".join(codes),
                file=sys.stderr,
            )
        from appliance.ui.launch import run_kiosk  # noqa: PLC0415  (after the Kivy environment is set)
        from appliance.ui.sdnotify import Notifier  # noqa: PLC0415

        # READY=1 on the first frame as `appliance run` does: scripts and tests wait on it.
        notifier = Notifier()

        def ready() -> None:
            notifier.notify("READY=1")

        return run_kiosk(demo_plan(till), on_first_frame=ready)


def demo_plan(till: Till) -> StartPlan:
    """The demo's start plan: the sandbox register's colours paint the theme, as in `run`."""
    from appliance.ui.app import StartPlan  # noqa: PLC0415  (after the Kivy environment is set)

    status = till.status()
    return StartPlan(
        till=till,
        language="fr",
        primary_colour=status.primary_colour,
        accent_colour=status.accent_colour,
    )


def sample_barcodes(till: Till, count: int = 4) -> list[str]:
    """A few barcodes of the demo catalogue, to type on the keyboard as a scanner would."""
    codes: list[str] = []
    for category in till.categories():
        codes += [p.barcode for p in till.products_in(category.name) if p.barcode][:1]
        if len(codes) >= count:
            break
    return codes


@contextlib.contextmanager
def demo_till(base: Path) -> Iterator[Till]:
    """A Till wired to a fresh sandbox and virtual printer under `base` (closed on exit)."""
    from appliance.config import load_config  # noqa: PLC0415  (after the Kivy environment is set)
    from appliance.devices.virtual_printer import running_virtual_printer  # noqa: PLC0415  (after the Kivy environment is set)
    from appliance.kafinea.sandbox.server import running_sandbox  # noqa: PLC0415  (after the Kivy environment is set)
    from appliance.till.bootstrap import build_till  # noqa: PLC0415  (after the Kivy environment is set)

    with (
        running_sandbox(base / "sandbox") as sandbox,
        running_virtual_printer(base / "printer") as printer,
    ):
        config_path = write_demo_config(base, sandbox, printer.connection_string)
        till = build_till(load_config(config_path))
        try:
            yield till
        finally:
            till.close()


def write_demo_config(base: Path, sandbox: SandboxHandle, printer_connection: str) -> Path:
    """The same TOML file `appliance setup` writes, pointing at the sandbox and the printer."""
    from appliance.config import write_access_key  # noqa: PLC0415  (after the Kivy environment is set)

    key_file = write_access_key(base / "kafinea.key", sandbox.access_key)
    config_path = base / "appliance.toml"
    config_path.write_text(
        "\n".join(
            [
                f'data_dir = "{base / "data"}"',
                "",
                "[kafinea]",
                f'url = "{sandbox.url}"',
                f'username = "{sandbox.username}"',
                f'register = "{sandbox.register}"',
                f'access_key_file = "{key_file}"',
                "",
                "[printer]",
                f'connection = "{printer_connection}"',
                "",
                "[register]",
                'manager_pin = "1234"',
                "",
            ]
        ),
        encoding="utf-8",
    )
    return config_path
