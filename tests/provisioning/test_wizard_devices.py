"""The wizard's printer and drawer tests, on the virtual printer: the address comes as text
from the printer step and is read with the devices' grammar."""

from pathlib import Path

import pytest

from appliance.devices.escpos_decode import DrawerKick
from appliance.devices.virtual_printer import running_virtual_printer
from appliance.provisioning.wizard import WizardBackend, WizardError


def backend(tmp_path: Path) -> WizardBackend[object]:
    return WizardBackend(tmp_path / "appliance.toml", tmp_path / "data", lambda config: config)


def test_test_page_and_drawer_kick_reach_the_printer(tmp_path: Path) -> None:
    wizard = backend(tmp_path)
    with running_virtual_printer(tmp_path / "printer") as virtual:
        assert wizard.test_print(virtual.connection_string) == "Page de test imprimée"
        assert virtual.wait_for_receipt(timeout=5).text
        assert wizard.test_drawer(virtual.connection_string) == "Ordre d'ouverture envoyé au tiroir"
        assert virtual.wait_for_kick() == DrawerKick(2, 100, 100)


def test_no_printer_and_unreadable_addresses(tmp_path: Path) -> None:
    wizard = backend(tmp_path)
    assert wizard.test_print("none") == "Pas d'imprimante choisie"
    assert wizard.test_drawer("none") == "Pas d'imprimante : tiroir non testé"
    with pytest.raises(WizardError, match="Impression impossible : adresse d'imprimante illisible"):
        wizard.test_print("lpt1")
    with pytest.raises(WizardError, match="Tiroir : tiroir non ouvert"):
        wizard.test_drawer("tcp:127.0.0.1:1")
