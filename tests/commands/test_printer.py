"""`appliance printer test|virtual` against the virtual printer, a pty and a config file."""

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from appliance.cli import main
from appliance.devices.connection import parse_printer_address
from appliance.devices.printer import open_printer
from appliance.devices.status import Paper
from appliance.devices.virtual_printer import running_virtual_printer
from tests.devices.helpers import PtyPrinter, sample_receipt

ROOT = Path(__file__).resolve().parents[2]


def test_printer_test_page_over_tcp(tmp_path, capsys):
    with running_virtual_printer(tmp_path) as virtual:
        code = main(["printer", "test", "--connection", virtual.connection_string,
                     "--profile", "TM-T88V", "--columns", "42"])
        page = virtual.wait_for_receipt()
    out = capsys.readouterr().out
    assert code == 0, out
    assert "état : prête" in out
    assert "€ é è à ç ô ù Œ œ É È À Ç" in page.lines
    assert "123456789012345678901234567890123456789012" in page.lines  # 42-column ruler
    assert "Page de code : CP858" in page.lines
    assert page.qr_codes == ["appliance-test-page"]


def test_printer_test_reads_the_config_file(tmp_path, capsys):
    printer = PtyPrinter()
    try:
        config = tmp_path / "appliance.toml"
        config.write_text(
            f'[printer]\nconnection = "serial:{printer.path}:19200"\nprofile = "POS-5890"\n'
            'columns = 32\ncodepage = "CP1252"\n', encoding="utf-8")
        assert main(["printer", "test", "--config", str(config)]) == 0
        printer.wait_for(lambda simulated: any(
            getattr(event, "text", "") == "Page de code : CP1252" for event in simulated.events))
        texts = [getattr(event, "text", None) for event in printer.events]
        assert "12345678901234567890123456789012" in texts
    finally:
        printer.close()
    assert "/dev/pts/" in capsys.readouterr().out


def test_printer_test_fails_with_the_reason(tmp_path, capsys):
    with running_virtual_printer(tmp_path) as virtual:
        virtual.state.paper = Paper.OUT
        assert main(["printer", "test", "--connection", virtual.connection_string]) == 1
    assert "plus de papier" in capsys.readouterr().out
    assert main(["printer", "test", "--connection", "tcp:127.0.0.1:1"]) == 1
    assert "échec" in capsys.readouterr().err
    assert main(["printer", "test", "--connection", "none"]) == 1
    assert "aucune imprimante" in capsys.readouterr().err
    assert main(["printer", "test", "--connection", "lp0"]) == 1
    assert "adresse d'imprimante illisible" in capsys.readouterr().err
    assert main(["printer", "test", "--config", str(tmp_path / "absent.toml")]) == 1
    assert "fichier de configuration introuvable" in capsys.readouterr().err


def test_printer_virtual_command_writes_receipts(tmp_path):
    process = subprocess.Popen(
        [sys.executable, "-m", "appliance", "printer", "virtual", "--port", "0",
         "--out", str(tmp_path)],
        cwd=ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        connection = re.search(r"sur (tcp:[\d.]+:\d+),", first)
        assert connection is not None, first
        open_printer(parse_printer_address(connection.group(1)), profile="TM-T20II").print_receipt(
            sample_receipt(2))
        announced = process.stdout.readline()
        assert "receipt-0001.txt" in announced
        assert "TOTAL TTC" in (tmp_path / "receipt-0001.txt").read_text(encoding="utf-8")
        assert (tmp_path / "receipt-0001.png").stat().st_size > 1000
    finally:  # SIGTERM, not SIGINT: a CI launched in the background ignores SIGINT
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
    assert process.returncode == 0
