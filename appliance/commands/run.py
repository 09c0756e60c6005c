"""`appliance run`: the production kiosk (started by systemd on tty1).

Fullscreen, borderless, no Escape-to-exit, cursor hidden unless `[ui]` says otherwise; tells
systemd READY=1 when the first frame is drawn and feeds the watchdog from the Kivy clock
(feasibility.md appendix E). Without a configuration file it opens the setup wizard; without
a stored access key it opens the login screen.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from appliance.config import (
    DEFAULT_DATA_DIR,
    Config,
    ConfigError,
    default_config_path,
    load_config,
    write_access_key,
)


def register(subparsers: argparse._SubParsersAction) -> None:
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
    from appliance.ledger.db import LedgerError  # noqa: PLC0415
    from appliance.ui.launch import run_kiosk  # noqa: PLC0415  (after the Kivy environment is set)
    from appliance.ui.sdnotify import Notifier, watchdog_interval_s  # noqa: PLC0415  (after the Kivy environment is set)

    try:
        plan = plan_from_config(config, path)
    except (ConfigError, LedgerError) as error:  # e.g. a journal of another register
        print(f"appliance run: {error}", file=sys.stderr)
        return 2
    notifier = Notifier()
    interval = watchdog_interval_s()
    try:
        return run_kiosk(
            plan,
            on_first_frame=lambda: notifier.notify("READY=1"),
            heartbeat=(interval, lambda: notifier.notify("WATCHDOG=1")) if interval else None,
        )
    finally:
        if plan.till is not None and plan.till not in plan.retired:
            plan.till.close()  # the kiosk closed it itself when the wizard replaced it


def plan_from_config(config: Config | None, path: Path):
    """What the kiosk starts with: the wizard, the login (key not stored) or the sale."""
    from appliance.till.bootstrap import (  # noqa: PLC0415  (after the Kivy environment is set)
        build_till,
        cached_register_colours,
        provisioning_failure,
    )
    from appliance.ui.app import StartPlan  # noqa: PLC0415  (after the Kivy environment is set)

    data_dir = config.data_dir if config is not None else DEFAULT_DATA_DIR
    setup = WizardBackend(path, data_dir)  # first start, or again from the technician screen
    failure = provisioning_failure(data_dir)
    if config is None or config.kafinea is None:
        return StartPlan(setup=setup, provisioning_failure=failure)
    kafinea = config.kafinea
    common = {
        "username": kafinea.username,
        "register_name": kafinea.register,
        "language": config.ui.language,
        "setup": setup,
        "provisioning_failure": failure,
    }
    key_file = kafinea.access_key_file
    if key_file is not None and not key_file.exists():

        def connect(key: str):
            refusal = key_refusal(kafinea.url, kafinea.username, key)
            if refusal is not None:
                raise WizardError(refusal)
            write_access_key(key_file, key)
            return build_till(config)

        primary, accent = cached_register_colours(config)  # the login wears them already
        return StartPlan(
            connect=connect,
            start_inputs=scanner_starter(config),
            primary_colour=primary,
            accent_colour=accent,
            **common,
        )
    till = build_till(config)
    status = till.status()  # after the first refresh: the register's colours, if any
    return StartPlan(
        till=till,
        start_inputs=scanner_starter(config),
        primary_colour=status.primary_colour,
        accent_colour=status.accent_colour,
        **common,
    )


def key_refusal(url: str, email: str, key: str) -> str | None:
    """Why Kafinea refuses this key, or None when it accepts it or cannot be reached now
    (offline first: the till sells and the sync worker logs in later)."""
    from appliance.kafinea.client import KafineaClient  # noqa: PLC0415
    from appliance.kafinea.errors import (  # noqa: PLC0415
        ApiError,
        BadCredentials,
        KafineaError,
        NotSent,
        OutcomeUnknown,
    )

    try:
        with KafineaClient(url, email, key.strip(), timeout_s=10) as client:
            client.login()
    except BadCredentials:
        return f"Kafinea refuse la clé d'accès de {email}"
    except (NotSent, OutcomeUnknown):
        return None
    except ApiError as error:
        return f"Kafinea refuse la connexion ({error.code})"
    except KafineaError:
        return f"{url} ne répond pas comme une instance Kafinea"
    return None


def scanner_starter(config: Config):
    """The kiosk's scanners: grabbed evdev readers (rediscovered when replugged) whose codes
    go to the current screen, and whose unreadable scans are explained on screen."""

    def start(on_scan, on_notice):
        from appliance.devices.discovery import InputHub, parse_matcher  # noqa: PLC0415
        from appliance.devices.errors import DeviceError  # noqa: PLC0415
        from appliance.devices.scanner import (  # noqa: PLC0415
            SUFFIX_NAMES,
            ScanConsumer,
            ScannerSettings,
        )

        section = config.scanner
        try:
            settings = ScannerSettings(
                layout=section.layout,
                suffix=SUFFIX_NAMES.get(section.suffix, ""),
                prefix=section.prefix,
            )
            matchers = [parse_matcher(text) for text in section.devices]
        except (DeviceError, ValueError) as error:
            on_notice(f"Scanner non démarré : {error}")
            return lambda: None
        hub = InputHub(
            matchers,
            lambda info: ScanConsumer(
                info.label,
                settings,
                lambda scan: on_scan(scan.code),
                lambda rejected: on_notice(f"Scan illisible : {rejected.reason}"),
            ),
            on_event=on_notice,
        )
        hub.start()
        return hub.stop

    return start


class WizardError(Exception):
    """A setup step that failed; the text is the French sentence the wizard shows."""


class WizardBackend:
    """The setup wizard's hands: Kafinea login and register list, printer and drawer tests,
    scanner learning, and finally the configuration files (the same ones `appliance setup`
    writes). Every method blocks; the wizard calls them on worker threads."""

    def __init__(self, config_path: Path, data_dir: Path) -> None:
        self.config_path = config_path
        self.data_dir = data_dir

    def check_login(self, instance: str, email: str, key: str) -> list[tuple[str, str]]:
        """Log in with the e-mail and key, then list the registers Kafinea knows."""
        from appliance.kafinea.client import KafineaClient  # noqa: PLC0415
        from appliance.kafinea.errors import (  # noqa: PLC0415
            ApiError,
            BadCredentials,
            KafineaError,
            NotSent,
            OutcomeUnknown,
            ProtocolError,
        )
        from appliance.provision import expand_instance  # noqa: PLC0415

        url = expand_instance(instance)
        if not url.startswith(("https://", "http://127.", "http://localhost")):
            raise WizardError(f"Adresse refusée : {url} (https:// obligatoire)")
        try:
            with KafineaClient(url, email.strip(), key.strip(), timeout_s=15) as client:
                client.login()
                rows = client.query("SELECT cashregister_name FROM CashRegisters;")
        except BadCredentials:
            raise WizardError(
                f"Kafinea refuse l'e-mail ou la clé d'accès ({email.strip()})"
            ) from None
        except NotSent:
            raise WizardError(f"{url} injoignable : vérifiez le réseau et l'adresse") from None
        except OutcomeUnknown:
            raise WizardError(f"{url} ne répond pas à temps : réessayez") from None
        except ProtocolError:
            raise WizardError(f"{url} ne répond pas comme une instance Kafinea") from None
        except ApiError as error:
            raise WizardError(f"Kafinea refuse : {error.code}") from None
        except KafineaError as error:
            raise WizardError(f"Connexion à Kafinea impossible : {error}") from None
        self._kafinea = (url, email.strip(), key.strip())
        names = sorted({row.get("cashregister_name", "") for row in rows} - {""})
        return [(name, name) for name in names]

    def detect_printers(self) -> list[tuple[str, str]]:
        """Kernel printer nodes, serial ports (probed), unclaimed USB printers."""
        from appliance.till.bootstrap import detect_printers  # noqa: PLC0415

        return detect_printers()

    def network_printer(self, address: str) -> tuple[str, str]:
        """The network printer at `address` (host or host:port), once it answers."""
        from appliance.till import TillError  # noqa: PLC0415
        from appliance.till.bootstrap import check_network_printer  # noqa: PLC0415

        try:
            return check_network_printer(address)
        except TillError as error:
            raise WizardError(f"Imprimante réseau : {error.message}") from None

    def test_print(self, connection: str) -> str:
        from appliance.devices.errors import DeviceError  # noqa: PLC0415
        from appliance.devices.printer import open_printer  # noqa: PLC0415

        if connection == "none":
            return "Pas d'imprimante choisie"
        try:
            open_printer(connection).print_test_page()
        except DeviceError as error:
            raise WizardError(f"Impression impossible : {error}") from None
        return "Page de test imprimée"

    def test_drawer(self, connection: str) -> str:
        from appliance.devices.errors import DeviceError  # noqa: PLC0415
        from appliance.devices.printer import open_printer  # noqa: PLC0415

        if connection == "none":
            return "Pas d'imprimante : tiroir non testé"
        try:
            open_printer(connection).kick_drawer()
        except DeviceError as error:
            raise WizardError(f"Tiroir : {error}") from None
        return "Ordre d'ouverture envoyé au tiroir"

    def learn_scanner(self, expected: str) -> str:
        from appliance.devices.discovery import list_input_devices, open_grabbed  # noqa: PLC0415
        from appliance.devices.scanner import learn_scanner  # noqa: PLC0415

        sources = [open_grabbed(info) for info in list_input_devices()]
        try:
            learnt = learn_scanner(sources, expected, timeout_s=30)
        finally:
            for source in sources:
                source.close()
        if learnt is None:
            raise WizardError("Aucun scanner n'a lu le code de test en 30 secondes")
        return learnt.layout

    def finish(self, answers: dict):
        """Write the key file (0600) and the configuration, then build the Till.

        Run again from the technician screen, it keeps what the wizard does not ask (shop,
        drawer, printer model, keypad...) from the configuration in place.
        """
        import dataclasses  # noqa: PLC0415

        from appliance.config import (  # noqa: PLC0415
            KafineaConfig,
            parse_connection,
            write_config,
        )
        from appliance.ledger.journal import register_of, register_refusal  # noqa: PLC0415
        from appliance.till.bootstrap import build_till  # noqa: PLC0415

        url, email, key = self._kafinea
        try:
            printer = parse_connection(answers["printer"])
        except ValueError:
            raise WizardError(f"Adresse d'imprimante illisible : {answers['printer']!r}") from None
        current = load_config(self.config_path) if self.config_path.exists() else Config()
        refusal = register_refusal(register_of(self.data_dir), answers["register"])
        if refusal:
            raise WizardError(refusal)
        key_file = self.config_path.with_name("kafinea.key")
        config = dataclasses.replace(
            current,
            data_dir=self.data_dir,
            kafinea=KafineaConfig(
                url=url, username=email, register=answers["register"], access_key_file=key_file
            ),
            register=dataclasses.replace(current.register, manager_pin=answers["manager_pin"]),
            printer=dataclasses.replace(current.printer, connection=printer),
            scanner=dataclasses.replace(current.scanner, layout=answers["scanner_layout"]),
            ui=dataclasses.replace(current.ui, language=answers["language"]),
        )  # every answer checked before anything is written
        write_access_key(key_file, key)
        write_config(config, self.config_path)
        return build_till(load_config(self.config_path))

    def current_answers(self) -> dict:
        """What the configuration in place already says (the key and PIN are typed again)."""
        try:
            config = load_config(self.config_path)
        except (ConfigError, OSError):
            return {}
        answers = {
            "language": config.ui.language,
            "printer": str(config.printer.connection),
            "scanner_layout": config.scanner.layout,
        }
        if config.kafinea is not None:
            answers |= {
                "instance": config.kafinea.url,
                "email": config.kafinea.username,
                "register": config.kafinea.register,
            }
        return answers

    def reopen(self):
        """The Till of the configuration on disk: the kiosk's way back when a reconfiguration
        could not start the new till (the old one is already closed by then)."""
        from appliance.till.bootstrap import build_till  # noqa: PLC0415

        return build_till(load_config(self.config_path))
