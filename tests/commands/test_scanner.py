"""`appliance scanner listen`: its output on this host (no /dev/input) and its live lines."""

import io
import time

from appliance.cli import main
from appliance.commands.scanner import LivePrinter
from appliance.devices.input_reader import InputReader
from appliance.devices.keymaps import keystrokes
from appliance.devices.scanner import ScanConsumer, ScannerSettings
from tests.devices.helpers import PipeSource, write_keys


def test_listen_reports_no_device_and_ends_after_the_given_time(capsys):
    assert main(["scanner", "listen", "--seconds", "0.3", "--device", "usb:0c2e:0b61"]) == 0
    out = capsys.readouterr().out
    assert "aucun périphérique d'entrée" in out
    assert "usb=0c2e:0b61" in out


def test_listen_refuses_bad_device_text(capsys):
    assert main(["scanner", "listen", "--seconds", "0.1", "--device", "name:"]) == 1
    assert "illisible" in capsys.readouterr().err


def test_live_lines_show_code_device_and_layout_guess():
    stream = io.StringIO()
    live = LivePrinter(stream)
    source = PipeSource("/dev/input/by-id/usb-scanner-event-kbd")
    reader = InputReader(source, ScanConsumer(source.path, ScannerSettings("us"), live.scan,
                                              live.reject))
    reader.start()
    write_keys(source, keystrokes("4006381333931", "us"))
    write_keys(source, keystrokes("4006381333931", "fr"))
    deadline = time.monotonic() + 10
    while stream.getvalue().count("\n") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    reader.stop()
    first, second = stream.getvalue().splitlines()
    assert first == "code 4006381333931  (/dev/input/by-id/usb-scanner-event-kbd, clavier us)"
    assert second.startswith("refusé '$))^#*!###(#!'")
    assert second.endswith("le scanner semble configuré en clavier fr")


def test_learn_without_any_scanner_says_so(capsys):
    assert main(["scanner", "learn", "4006381333931", "--seconds", "0.2"]) == 1
    captured = capsys.readouterr()
    assert "scannez le code 4006381333931" in captured.out
    assert "aucun appareil n'a lu 4006381333931" in captured.err
