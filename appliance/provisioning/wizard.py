"""The setup wizard's back end: what the on-screen wizard asks to be done, and checked.

Kafinea login and the list of registers (through the schema map, like the doctor), printer
detection and tests, drawer test, scanner learning, and finally the configuration files (the
same ones `appliance setup` writes). Every method blocks; the wizard calls them on worker
threads and shows a `WizardError`'s text as is (French).

The back end does not know the Till: the command that starts the kiosk hands in `build`, which
turns the written configuration into whatever the kiosk sells with, so provisioning stays
below the application layer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from appliance.config import (
    Config,
    ConfigError,
    KafineaConfig,
    load_config,
    url_problem,
    write_access_key,
    write_config,
)
from appliance.devices.connection import parse_printer_address
from appliance.devices.detect import find_printers, network_printer
from appliance.devices.discovery import open_grabbed
from appliance.devices.drawer import PrinterDrawer
from appliance.devices.errors import BadConnectionString, DeviceError
from appliance.devices.inputs import learn_scanner_device
from appliance.devices.printer import open_printer
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.errors import KafineaError, describe
from appliance.kafinea.schema import SchemaError, discover
from appliance.ledger.journal import register_of, register_refusal
from appliance.provisioning.health import register_names
from appliance.provisioning.login import LOGIN_TIMEOUT_S, check_login
from appliance.provisioning.setup_file import expand_instance

SCANNER_LEARN_TIMEOUT_S = 30.0

Built = TypeVar("Built")


class WizardError(Exception):
    """A setup step that failed; the text is the French sentence the wizard shows."""


class WizardBackend(Generic[Built]):
    """The wizard's hands, writing `config_path` (the key beside it) for `data_dir`."""

    def __init__(self, config_path: Path, data_dir: Path, build: Callable[[Config], Built]) -> None:
        self.config_path = config_path
        self.data_dir = data_dir
        self._build = build
        self._kafinea: tuple[str, str, str] | None = None

    def check_login(self, instance: str, email: str, key: str) -> list[tuple[str, str]]:
        """Log in with the e-mail and key, then list the registers Kafinea knows."""
        url = expand_instance(instance)
        problem = url_problem(url)
        if problem is not None:
            raise WizardError(f"Adresse refusée : {url} ({problem})")
        email, key = email.strip(), key.strip()
        current = self._current_config()
        overrides = current.kafinea if current is not None else None
        with KafineaClient(url, email, key, timeout_s=LOGIN_TIMEOUT_S) as client:
            login = check_login(client)
            if not login.accepted:
                raise WizardError(_sentence(login.reason))
            try:
                schema = discover(
                    client,
                    overrides.modules if overrides else None,
                    overrides.fields if overrides else None,
                )
                names = register_names(client, schema)
            except KafineaError as error:
                raise WizardError(_sentence(describe(error))) from None
            except SchemaError as error:
                raise WizardError(_sentence(str(error))) from None
        self._kafinea = (url, email, key)
        return [(name, name) for name in names]

    def detect_printers(self) -> list[tuple[str, str]]:
        """Kernel printer nodes, serial ports (probed), unclaimed USB printers."""
        return [(found.connection, found.label) for found in find_printers()]

    def network_printer(self, address: str) -> tuple[str, str]:
        """The network printer at `address` (host or host:port), once it answers."""
        try:
            found = network_printer(address)
        except DeviceError as error:
            raise WizardError(f"Imprimante réseau : {error}") from None
        return found.connection, found.label

    def test_print(self, connection: str) -> str:
        if connection == "none":
            return "Pas d'imprimante choisie"
        try:
            open_printer(parse_printer_address(connection)).print_test_page()
        except DeviceError as error:
            raise WizardError(f"Impression impossible : {error}") from None
        return "Page de test imprimée"

    def test_drawer(self, connection: str) -> str:
        if connection == "none":
            return "Pas d'imprimante : tiroir non testé"
        try:
            PrinterDrawer(open_printer(parse_printer_address(connection))).kick()
        except DeviceError as error:
            raise WizardError(f"Tiroir : {error}") from None
        return "Ordre d'ouverture envoyé au tiroir"

    def learn_scanner(self, expected: str) -> str:
        """The keyboard layout of the scanner that reads `expected` (grabbed meanwhile, so the
        test code does not also reach the wizard as a keyboard-wedge scan)."""
        learnt = learn_scanner_device(
            expected, SCANNER_LEARN_TIMEOUT_S, open_device=open_grabbed
        )
        if learnt is None:
            raise WizardError(
                f"Aucun scanner n'a lu le code de test en {SCANNER_LEARN_TIMEOUT_S:g} secondes"
            )
        return learnt.layout

    def finish(self, answers: dict[str, Any]) -> Built:
        """Write the key file (0600) and the configuration, then build what the kiosk sells
        with. Run again from the technician screen, it keeps what the wizard does not ask
        (shop, drawer, printer model, keypad...) from the configuration in place."""
        if self._kafinea is None:
            raise WizardError("Connectez-vous d'abord à Kafinea")
        url, email, key = self._kafinea
        try:
            printer = parse_printer_address(answers["printer"])
        except BadConnectionString:
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
        return self._build(load_config(self.config_path))

    def current_answers(self) -> dict[str, Any]:
        """What the configuration in place already says (the key and PIN are typed again)."""
        config = self._current_config()
        if config is None:
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

    def reopen(self) -> Built:
        """What the configuration on disk sells with: the kiosk's way back when a
        reconfiguration could not start the new till (the old one is already closed by then)."""
        return self._build(load_config(self.config_path))

    def _current_config(self) -> Config | None:
        try:
            return load_config(self.config_path)
        except (ConfigError, OSError):
            return None


def _sentence(text: str) -> str:
    """A reason as the wizard shows it: a sentence that starts with a capital."""
    return text[:1].upper() + text[1:]
