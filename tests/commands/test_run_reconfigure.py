"""What `appliance run` hands the kiosk for the technician's visit: the wizard's back end with
the configuration in place, the last provisioning failure, the register's colours before any
Till exists; and the back end's network printer check and configuration rewrite."""

import json
import socket

import pytest

from appliance.commands.demo import write_demo_config
from appliance.commands.kiosk_plan import plan_from_config
from appliance.config import load_config
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.ledger.journal import RegisterMismatch
from appliance.provisioning.wizard import WizardBackend, WizardError
from appliance.till import build_till


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


def test_the_login_plan_wears_the_cached_colours_and_carries_setup_and_failure(sandbox, tmp_path):
    config_path = write_demo_config(tmp_path, sandbox, "none")
    config = load_config(config_path)
    first = plan_from_config(config, config_path)  # key stored: the till pulls the register
    first.till.close()
    (tmp_path / "kafinea.key").unlink()  # now the kiosk must ask for the key
    failed = {"ok": False, "message": "[wifi] psk: 8 à 63 caractères", "at": "T1"}
    (config.data_dir / "setup-status.json").write_text(json.dumps(failed), "utf-8")
    plan = plan_from_config(config, config_path)
    assert plan.till is None and plan.connect is not None
    assert (plan.primary_colour, plan.accent_colour) == ("#1F5F8B", "#F2C14E")
    assert plan.provisioning_failure.message == failed["message"]
    assert plan.setup.current_answers() == {
        "language": "fr",
        "printer": "none",
        "scanner_layout": "us",
        "instance": sandbox.url,
        "email": sandbox.username,
        "register": sandbox.register,
    }


def test_reconfiguration_keeps_what_the_wizard_does_not_ask(sandbox, tmp_path):
    config_path = write_demo_config(tmp_path, sandbox, "none")
    with config_path.open("a", encoding="utf-8") as toml:
        toml.write('\n[shop]\ntrade_name = "Épicerie Martin"\n')
    backend = WizardBackend(config_path, load_config(config_path).data_dir, build_till)
    backend.check_login(sandbox.url, sandbox.username, sandbox.access_key)
    answers = {
        **backend.current_answers(),
        "printer": "tcp:192.0.2.10:9100",
        "manager_pin": "2468",
    }
    with pytest.raises(WizardError, match="illisible : 'tcp:'"):  # before anything is written
        backend.finish({**answers, "printer": "tcp:"})
    assert load_config(config_path).register.manager_pin == "1234"
    till = backend.finish(answers)
    try:
        config = load_config(config_path)
        assert config.shop.trade_name == "Épicerie Martin"
        assert str(config.printer.connection) == "tcp:192.0.2.10:9100"
        assert config.register.manager_pin == "2468"
        assert till.check_manager_pin("2468")
    finally:
        till.close()
    again = backend.reopen()  # the way back the kiosk takes when a new till cannot start
    again.close()


def test_another_register_is_refused_while_the_device_holds_a_journal(sandbox, tmp_path):
    """The wizard refuses before writing anything; a configuration edited by hand is refused
    when the till starts, with the same reason (a journal records one register's sales)."""
    config_path = write_demo_config(tmp_path, sandbox, "none")
    plan_from_config(load_config(config_path), config_path).till.close()  # journal started
    backend = WizardBackend(config_path, load_config(config_path).data_dir, build_till)
    backend.check_login(sandbox.url, sandbox.username, sandbox.access_key)
    before = config_path.read_bytes()
    with pytest.raises(WizardError, match=f"journal fiscal de la caisse « {sandbox.register} »"):
        backend.finish({**backend.current_answers(), "register": "Caisse 2",
                        "manager_pin": "2468"})
    assert config_path.read_bytes() == before
    config_path.write_text(before.decode().replace(f'register = "{sandbox.register}"',
                                                   'register = "Caisse 2"'), "utf-8")
    with pytest.raises(RegisterMismatch, match="ne peut pas vendre pour la caisse « Caisse 2 »"):
        plan_from_config(load_config(config_path), config_path)


def test_network_printer_is_checked_at_its_address(tmp_path):
    backend = WizardBackend(tmp_path / "appliance.toml", tmp_path / "data", build_till)
    with socket.create_server(("127.0.0.1", 0)) as printer:
        port = printer.getsockname()[1]
        assert backend.network_printer(f"127.0.0.1:{port}") == (
            f"tcp:127.0.0.1:{port}",
            f"Imprimante réseau 127.0.0.1:{port}",
        )
    with pytest.raises(WizardError, match=f"Imprimante réseau : aucune imprimante.*{port}"):
        backend.network_printer(f"127.0.0.1:{port}")
