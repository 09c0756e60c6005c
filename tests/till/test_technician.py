"""The manager screen's technician tools on a real Till: printer and drawer tests against the
virtual TCP printer, the about facts, and a journal export that verifies."""

import socket
import zipfile
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from appliance import __version__
from appliance.devices.virtual_printer import running_virtual_printer
from appliance.ledger.journal import key_id
from appliance.ledger.verify import verify_archive
from appliance.till import DeviceUnavailable, ExportError, PrinterState
from tests.till.helpers import new_till, write_config


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_printer_and_drawer_tests_reach_the_printer_and_journal_the_opening(tmp_path, sandbox):
    with running_virtual_printer(tmp_path / "printer") as printer:
        till = new_till(write_config(tmp_path, sandbox, printer=printer.connection_string))
        try:
            result = till.print_test_page()
            assert (result.ok, result.message) == (True, "Imprimante : page de test imprimée")
            assert printer.wait_for_receipt(timeout=10).text.strip()
            drawer = till.test_drawer()
            assert drawer.ok, drawer.message
            printer.wait_for_kick(timeout=10)
            export = till.export_journal(tmp_path)
        finally:
            till.close()
    with zipfile.ZipFile(export.path) as archive:
        events = archive.read("events.csv").decode()
    assert "DRAWER_OPEN_NO_SALE" in events  # no-sale opening on the record
    assert verify_archive(Path(export.path)).ok


def test_a_dead_printer_is_a_result_with_its_reason_and_the_status_turns_offline(tmp_path, sandbox):
    till = new_till(write_config(tmp_path, sandbox, printer=f"tcp:127.0.0.1:{closed_port()}"))
    try:
        result = till.print_test_page()
        assert not result.ok
        assert result.message.startswith("Imprimante : ") and len(result.message) > 14
        assert till.status().printer is PrinterState.OFFLINE
        drawer = till.test_drawer()  # kicked through the dead printer: refused, still journaled
        assert not drawer.ok and drawer.message.startswith("Tiroir : ")
    finally:
        till.close()


def test_without_printer_both_tests_are_refused_in_french(tmp_path, sandbox):
    till = new_till(write_config(tmp_path, sandbox, printer="none"))
    try:
        with pytest.raises(DeviceUnavailable, match="aucune imprimante"):
            till.print_test_page()
        with pytest.raises(DeviceUnavailable, match="tiroir") as refused:
            till.test_drawer()
        assert refused.value.key == "no_drawer"
    finally:
        till.close()


def test_about_gives_the_journal_key_fingerprint_and_the_data_directory(tmp_path, sandbox):
    till = new_till(write_config(tmp_path, sandbox))
    try:
        about = till.about()
        export = till.export_journal(tmp_path)
    finally:
        till.close()
    with zipfile.ZipFile(export.path) as archive:
        public = load_pem_public_key(archive.read("public_key.pem"))
    assert about.key_fingerprint == key_id(public)
    assert len(about.key_fingerprint) == 16
    assert about.key_fingerprint in verify_archive(Path(export.path)).sentence()
    assert about.version == __version__
    assert about.data_dir == str(tmp_path / "data")
    assert about.register_name == sandbox.register


def test_export_to_a_missing_stick_is_refused_and_writes_nothing(tmp_path, sandbox):
    till = new_till(write_config(tmp_path, sandbox))
    try:
        with pytest.raises(ExportError, match="introuvable"):
            till.export_journal(tmp_path / "media" / "usb")
        (tmp_path / "media").mkdir()
        export = till.export_journal(tmp_path / "media")
        assert export.path.startswith(str(tmp_path / "media"))
        assert export.last_seq >= 1 and len(export.sha256) == 64
        assert [p.name for p in (tmp_path / "media").iterdir()] == [export.path.split("/")[-1]]
    finally:
        till.close()


def test_a_register_shown_before_tax_says_so_on_its_tickets(tmp_path, sandbox):
    ht = tmp_path / "ht"
    ht.mkdir()
    till = new_till(write_config(ht, sandbox, extra='display = "ht"\n'))
    ttc = new_till(write_config(tmp_path, sandbox))
    try:
        for register in (till, ttc):
            register.refresh_catalog()
            register.open_session(0)
            product = register.products_in(register.categories()[0].name)[0]
            register.add_product(product.id)
        shown, plain = till.ticket(), ttc.ticket()
        assert shown.prices_ht and not plain.prices_ht
        assert shown.totals.total_ht_cents < shown.totals.total_ttc_cents
    finally:
        till.close()
        ttc.close()
