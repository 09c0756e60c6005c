"""`appliance run`: systemd's notify protocol over a real datagram socket, and a real kiosk
process that says READY=1 once its first frame is drawn and then feeds the watchdog."""

import os
import socket
import subprocess
import sys
import time

import pytest

from appliance.cli import main
from appliance.commands.demo import demo_plan, demo_till, write_demo_config
from appliance.commands.kiosk_plan import plan_from_config
from appliance.commands.run import parse_window
from appliance.config import load_config
from appliance.kafinea.sandbox.server import running_sandbox
from appliance.provisioning.wizard import WizardBackend, WizardError
from appliance.till import build_till
from appliance.ui.sdnotify import Notifier, watchdog_interval_s


def _receiver(path):
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(str(path))
    sock.settimeout(5)
    return sock


def test_notify_sends_one_datagram_to_the_socket(tmp_path):
    with _receiver(tmp_path / "notify") as sock:
        assert Notifier(str(tmp_path / "notify")).notify("READY=1")
        assert sock.recv(64) == b"READY=1"


def test_notify_reaches_an_abstract_socket():
    name = f"appliance-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(5)
        assert Notifier("@" + name).notify("WATCHDOG=1")
        assert sock.recv(64) == b"WATCHDOG=1"


def test_notify_is_a_no_op_outside_systemd_and_when_nobody_listens(tmp_path):
    assert not Notifier("").enabled
    assert Notifier("").notify("READY=1") is False
    assert Notifier(str(tmp_path / "nobody")).notify("READY=1") is False


def test_watchdog_interval_is_half_of_what_systemd_asks_for_this_process():
    assert watchdog_interval_s({"WATCHDOG_USEC": "20000000"}) == 10.0
    mine = {"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": str(os.getpid())}
    assert watchdog_interval_s(mine) == 2.0
    assert watchdog_interval_s({"WATCHDOG_USEC": "4000000", "WATCHDOG_PID": "1"}) is None
    assert watchdog_interval_s({}) is None
    assert watchdog_interval_s({"WATCHDOG_USEC": "0"}) is None


def test_window_sizes():
    assert parse_window("1024x600") == (1024, 600)
    for bad in ("big", "100x100", "800"):
        with pytest.raises(ValueError):
            parse_window(bad)


def test_a_broken_configuration_is_one_line_and_exit_2(tmp_path, capsys):
    config = tmp_path / "appliance.toml"
    config.write_text("[kafinea\n", encoding="utf-8")
    assert main(["run", "--config", str(config)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("appliance run:") and "TOML" in err
    assert len(err.splitlines()) == 1


@pytest.mark.ui
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)")
def test_kiosk_says_ready_after_its_first_frame_then_feeds_the_watchdog(tmp_path):
    """No configuration: the kiosk opens the setup wizard; READY=1 comes once it is drawn."""
    notify = tmp_path / "notify"
    env = {
        **os.environ,
        "NOTIFY_SOCKET": str(notify),
        "WATCHDOG_USEC": "1000000",  # 1 s: a beat every 0.5 s
        "KIVY_HOME": str(tmp_path / "kivy"),
    }
    env.pop("WATCHDOG_PID", None)
    with _receiver(notify) as sock:
        sock.settimeout(30)
        started = time.monotonic()
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "appliance",
                "run",
                "--config",
                str(tmp_path / "none.toml"),
                "--window",
                "800x480",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            messages = [sock.recv(64)]
            messages += [sock.recv(64), sock.recv(64)]
        finally:
            process.terminate()
            process.wait(timeout=10)
    assert messages[0] == b"READY=1"
    assert messages[1:] == [b"WATCHDOG=1", b"WATCHDOG=1"]
    assert time.monotonic() - started < 30


@pytest.mark.ui
@pytest.mark.skipif(not os.environ.get("DISPLAY"), reason="needs a display (xvfb-run)")
def test_sigterm_stops_the_kiosk_cleanly_with_app_stop_journaled(tmp_path):
    """`systemctl stop`, a shutdown or a reboot: the till closes, so the next start finds
    APP_STOP last and records no unclean stop. (SDL turns SIGTERM into a quit event that Kivy
    handles as closing the window: no handler of ours is needed, this keeps it so.)"""
    from appliance.ledger.journal import JournalReader  # noqa: PLC0415

    notify = tmp_path / "notify"
    env = {**os.environ, "NOTIFY_SOCKET": str(notify), "KIVY_HOME": str(tmp_path / "kivy")}
    with running_sandbox(tmp_path / "sandbox") as sandbox, _receiver(notify) as sock:
        config_path = write_demo_config(tmp_path, sandbox, "none")
        sock.settimeout(60)
        process = subprocess.Popen(
            [sys.executable, "-m", "appliance", "run", "--config", str(config_path),
             "--window", "800x480"],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            assert sock.recv(64) == b"READY=1"
            process.terminate()
            code = process.wait(timeout=30)
        finally:
            process.kill()
            stderr = process.stderr.read().decode(errors="replace")
            process.stderr.close()
    assert code == 0, stderr[-2000:]
    config = load_config(config_path)
    journal = JournalReader.open_readonly(config.data_dir)
    try:
        last = journal.last_record()
    finally:
        journal.close()
    assert (last.rtype, last.payload["code"]) == ("EVENT", "APP_STOP")


# -- the wizard's back end, against the sandbox on a real loopback socket --------------------


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


def test_a_journal_of_another_register_is_one_line_and_exit_2(sandbox, tmp_path):
    config_path = write_demo_config(tmp_path, sandbox, "none")
    plan_from_config(load_config(config_path), config_path).till.close()  # journal started
    text = config_path.read_text("utf-8")
    config_path.write_text(text.replace(f'register = "{sandbox.register}"',
                                        'register = "Caisse 2"'), "utf-8")
    run = subprocess.run([sys.executable, "-m", "appliance", "run", "--config", str(config_path)],
                         check=False, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "KIVY_HOME": str(tmp_path / "kivy")})
    assert run.returncode == 2
    assert run.stderr.splitlines()[-1].strip().startswith(
        f"appliance run: Ce boîtier tient le journal fiscal de la caisse « {sandbox.register} »")


def test_wizard_login_lists_the_registers_kafinea_knows(sandbox, tmp_path):
    backend = WizardBackend(tmp_path / "appliance.toml", tmp_path / "data", build_till)
    registers = backend.check_login(sandbox.url, sandbox.username, sandbox.access_key)
    assert (sandbox.register, sandbox.register) in registers


def test_wizard_login_says_precisely_why_it_failed(sandbox, tmp_path):
    backend = WizardBackend(tmp_path / "appliance.toml", tmp_path / "data", build_till)
    with pytest.raises(WizardError, match="refuse l'e-mail ou la clé") as refused:
        backend.check_login(sandbox.url, sandbox.username, "not-the-key")
    assert "not-the-key" not in str(refused.value)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    with pytest.raises(WizardError, match="injoignable"):
        backend.check_login(f"http://127.0.0.1:{port}", sandbox.username, sandbox.access_key)
    with pytest.raises(WizardError, match="https:// obligatoire"):
        backend.check_login("http://example.org", sandbox.username, sandbox.access_key)


def test_login_screen_key_is_checked_then_stored_0600(sandbox, tmp_path):
    config_path = write_demo_config(tmp_path, sandbox, "none")
    key_file = tmp_path / "kafinea.key"
    key_file.unlink()  # the key is not stored: the kiosk asks for it
    plan = plan_from_config(load_config(config_path), config_path)
    assert plan.till is None and plan.connect is not None
    assert plan.username == sandbox.username
    with pytest.raises(WizardError, match="refuse l'e-mail ou la clé") as refused:
        plan.connect("not-the-key")
    assert "not-the-key" not in str(refused.value)
    assert not key_file.exists()
    till = plan.connect(sandbox.access_key)
    try:
        assert key_file.read_text().strip() == sandbox.access_key
        assert oct(key_file.stat().st_mode & 0o777) == "0o600"
        # Let the first catalogue pull (a background thread of the bootstrap) finish before
        # closing: it is what proves the stored key works.
        deadline = time.monotonic() + 30
        while not till.status().catalog_products and time.monotonic() < deadline:
            time.sleep(0.1)
        assert till.status().catalog_products > 0
        time.sleep(1)  # the same pull then stores the register record
    finally:
        till.close()


def test_the_sale_plan_carries_the_register_colours_for_the_theme(sandbox, tmp_path):
    config_path = write_demo_config(tmp_path, sandbox, "none")  # the key is stored
    plan = plan_from_config(load_config(config_path), config_path)
    try:
        assert plan.till is not None
        assert (plan.primary_colour, plan.accent_colour) == ("#1F5F8B", "#F2C14E")
    finally:
        plan.till.close()


def test_the_demo_plan_carries_the_sandbox_register_colours(tmp_path):
    with demo_till(tmp_path) as till:
        plan = demo_plan(till)
        assert plan.till is till
        assert (plan.primary_colour, plan.accent_colour) == ("#1F5F8B", "#F2C14E")
