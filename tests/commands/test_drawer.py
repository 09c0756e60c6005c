"""`appliance drawer open` through a (virtual) printer and on a serial line (pty)."""

from appliance.cli import main
from appliance.devices.escpos_decode import DrawerKick
from appliance.devices.virtual_printer import running_virtual_printer
from tests.devices.helpers import PtyPrinter


def test_drawer_open_through_the_printer(tmp_path, capsys):
    with running_virtual_printer(tmp_path) as virtual:
        assert main(["drawer", "open", "--printer", virtual.connection_string, "--pin", "5",
                     "--pulse-on-ms", "50", "--pulse-off-ms", "500"]) == 0
        assert virtual.wait_for_kick() == DrawerKick(5, 50, 500)
    out = capsys.readouterr().out
    assert "broche 5, 50/500 ms" in out and "tiroir signalé ouvert" in out


def test_drawer_open_from_config_on_its_own_serial_line(tmp_path, capsys):
    line = PtyPrinter()
    try:
        config = tmp_path / "appliance.toml"
        config.write_text(
            f'[drawer]\nconnection = "serial:{line.path}:9600"\npin = 2\n'
            "pulse_on_ms = 100\npulse_off_ms = 200\n", encoding="utf-8")
        assert main(["drawer", "open", "--config", str(config)]) == 0
        line.wait_for(lambda simulated: simulated.events)
        assert line.events == [DrawerKick(2, 100, 200)]
    finally:
        line.close()
    assert "tiroir série" in capsys.readouterr().out


def test_drawer_open_fails_clearly(capsys):
    assert main(["drawer", "open"]) == 1
    assert "aucune imprimante" in capsys.readouterr().err
    assert main(["drawer", "open", "--printer", "tcp:127.0.0.1:1"]) == 1
    assert "tiroir non ouvert" in capsys.readouterr().err


def test_drawer_open_without_config_uses_the_till_defaults(tmp_path, capsys):
    with running_virtual_printer(tmp_path) as virtual:
        assert main(["drawer", "open", "--printer", virtual.connection_string]) == 0
        assert virtual.wait_for_kick() == DrawerKick(2, 50, 500)  # as [drawer] defaults
    assert "broche 2, 50/500 ms" in capsys.readouterr().out
