"""`appliance setup --from appliance-setup.toml` (appliance/provisioning), applied into a temp root.

Real files, real modes, a real HTTP server on loopback for the online check; the Kafinea login
itself is exercised against the sandbox when it is available.
"""

from __future__ import annotations

import http.server
import json
import os
import socket
import stat
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config import load_config
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox
from appliance.ledger.journal import Journal
from appliance.provisioning.apply import provision
from appliance.provisioning.plan import nm_keyfile
from appliance.provisioning.setup_file import (
    APPLIED_FILE_NAME,
    SetupError,
    expand_instance,
    parse_setup,
)

REPO = Path(__file__).resolve().parents[2]
KEY = "s3cr3tK3yAbCdEf0"
PSK = "wifi-password-42"
SSH_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl support@x"
)

FULL = f"""
schema = 1

[kafinea]
instance = "kfn123456789"
email = "caisse@boutique.fr"
access_key = "{KEY}"
register = "CAISSE-01"

[wifi]
ssid = "Boutique Épicerie"
psk = "{PSK}"

[printer]
connection = "tcp:192.168.1.50:9100"
columns = 42

[drawer]
connection = "printer"
pin = 5

[display]
rotation = 90

[system]
timezone = "Europe/Paris"

[support]
ssh_keys = ["{SSH_KEY}"]
"""


def drop(boot: Path, text: str) -> Path:
    boot.mkdir(parents=True, exist_ok=True)
    path = boot / "appliance-setup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def files_under(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def status(root: Path) -> dict:
    return json.loads((root / "var/lib/appliance/setup-status.json").read_text())


def test_a_full_file_is_applied_then_scrubbed(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    source = drop(boot, FULL)
    outcome = provision(source, root, login=None)

    config = load_config(root / "etc/appliance/appliance.toml")
    assert config.kafinea is not None
    assert config.kafinea.url == "https://apps.kafinea.com/kfn123456789"
    assert config.kafinea.username == "caisse@boutique.fr"
    assert config.kafinea.register == "CAISSE-01"
    assert str(config.kafinea.access_key_file) == "/etc/appliance/kafinea.key"
    assert str(config.printer.connection) == "tcp:192.168.1.50:9100"
    assert config.printer.columns == 42
    assert config.drawer.pin == 5

    key_file = root / "etc/appliance/kafinea.key"
    assert key_file.read_text() == KEY + "\n"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert KEY not in (root / "etc/appliance/appliance.toml").read_text()

    wifi = root / "etc/NetworkManager/system-connections/appliance-wifi.nmconnection"
    assert stat.S_IMODE(wifi.stat().st_mode) == 0o600
    assert "ssid=Boutique Épicerie\n" in wifi.read_text()
    assert f"psk={PSK}\n" in wifi.read_text()
    assert (root / "etc/appliance/display.env").read_text().endswith("KCFG_GRAPHICS_ROTATION=90\n")
    localtime = root / "etc/appliance/localtime"
    assert str(localtime.readlink()) == "/usr/share/zoneinfo/Europe/Paris"
    keys = root / "etc/ssh/appliance/authorized_keys"
    assert keys.read_text() == SSH_KEY + "\n"
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600

    assert not source.exists(), "the original (with secrets) is gone"
    record = boot / APPLIED_FILE_NAME
    assert outcome.record == record
    scrubbed = record.read_text()
    assert KEY not in scrubbed and PSK not in scrubbed
    assert scrubbed.startswith("# Appliqué par la caisse le ")
    again = tomllib.loads(scrubbed)
    assert again["kafinea"]["register"] == "CAISSE-01"
    assert "access_key" not in again["kafinea"] and "psk" not in again["wifi"]

    done = status(root)
    assert done["ok"] is True
    assert done["applied"] == outcome.applied
    assert set(outcome.applied) == {
        "kafinea", "wifi", "printer", "drawer", "rotation", "timezone", "ssh_keys"
    }
    assert "connexion à Kafinea non vérifiée (--offline)" in outcome.warnings
    assert KEY not in json.dumps(done) and PSK not in json.dumps(done)
    assert not [p for p in root.rglob(".*setup-*")], "no staging file left behind"


def test_every_problem_is_reported_and_nothing_is_applied(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    text = f"""
[kafinea]
instance = "kfn12"
email = "not-an-email"
access_key = "{KEY}"
register = "CAISSE-01"

[wifi]
ssid = "Boutique"
psk = "short"

[printer]
connection = "bluetooth:printer"

[display]
rotation = 45

[system]
timezone = "Europe/Nowhere"

[support]
ssh_keys = ["ssh-ed25519 AAAAnotbase64!!"]
sshkeys = []
"""
    source = drop(boot, text)
    with pytest.raises(SetupError) as caught:
        provision(source, root, login=None)
    problems = caught.value.problems
    wheres = [p.split(": ")[1] for p in problems]
    assert wheres == [
        "kafinea.instance", "kafinea.email", "wifi.psk", "printer.connection",
        "display.rotation", "system.timezone", "support.sshkeys", "support.ssh_keys[1]",
    ]
    assert all(p.startswith("appliance-setup.toml: ") for p in problems)
    assert not any("short" in p or KEY in p for p in problems), "no secret echoed"
    assert source.read_text() == text, "the technician's file is left as it was"
    assert files_under(root) == {"var/lib/appliance/setup-status.json"}
    failed = status(root)
    assert failed["ok"] is False and failed["message"] == problems[0]
    assert failed["problems"] == problems


def test_redropping_a_partial_file_changes_only_its_sections(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    provision(drop(boot, FULL), root, login=None)
    key_before = (root / "etc/appliance/kafinea.key").stat().st_mtime_ns
    provision(drop(boot, '[printer]\nconnection = "serial:/dev/ttyUSB0:19200"\n'), root,
              login=None)
    config = load_config(root / "etc/appliance/appliance.toml")
    assert str(config.printer.connection) == "serial:/dev/ttyUSB0:19200"
    assert config.printer.columns == 48, "the [printer] table is replaced as a whole"
    assert config.kafinea is not None and config.kafinea.register == "CAISSE-01"
    assert config.drawer.pin == 5
    assert (root / "etc/appliance/kafinea.key").stat().st_mtime_ns == key_before
    assert "printer" in (boot / APPLIED_FILE_NAME).read_text()


def test_changing_the_register_keeps_the_stored_key(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    provision(drop(boot, FULL), root, login=None)
    provision(drop(boot, '[kafinea]\nurl = "https://kafinea.example.fr/shop/"\n'
                         'email = "caisse@boutique.fr"\nregister = 2\n'), root, login=None)
    config = load_config(root / "etc/appliance/appliance.toml")
    assert config.kafinea is not None
    assert (config.kafinea.url, config.kafinea.register) == ("https://kafinea.example.fr/shop", "2")
    assert (root / "etc/appliance/kafinea.key").read_text() == KEY + "\n"


def test_another_register_is_refused_once_the_journal_has_started(tmp_path: Path) -> None:
    """A journal records one register's sales from its INIT on: re-provisioning the device
    for another register while it holds that journal would file sales under the wrong one."""
    root, boot = tmp_path / "root", tmp_path / "boot"
    provision(drop(boot, FULL), root, login=None)
    Journal.initialise(root / "var/lib/appliance", register="CAISSE-01", shop={},
                       software="test").close()
    config_before = (root / "etc/appliance/appliance.toml").read_bytes()
    source = drop(boot, '[kafinea]\ninstance = "kfn123456789"\nemail = "caisse@boutique.fr"\n'
                        'register = "CAISSE-02"\n')
    with pytest.raises(SetupError, match="journal fiscal de la caisse « CAISSE-01 »"):
        provision(source, root, login=None)
    assert (root / "etc/appliance/appliance.toml").read_bytes() == config_before
    assert source.exists() and not status(root)["ok"]
    assert "CAISSE-02" in status(root)["message"]
    provision(drop(boot, FULL), root, login=None)  # the same register again: applied


def test_a_first_kafinea_setup_needs_the_key(tmp_path: Path) -> None:
    source = drop(tmp_path / "boot", '[kafinea]\ninstance = "kfn123456789"\n'
                                     'email = "a@b.fr"\nregister = "1"\n')
    with pytest.raises(SetupError, match=r"kafinea.access_key: manquante"):
        provision(source, tmp_path / "root", login=None)
    assert source.exists()


def test_a_write_failure_leaves_nothing_half_applied(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    (root / "etc").mkdir(parents=True)
    (root / "etc/NetworkManager").write_text("a file where a directory should be")
    source = drop(boot, FULL)
    with pytest.raises(SetupError, match="écriture impossible"):
        provision(source, root, login=None)
    assert not (root / "etc/appliance").exists() or not any((root / "etc/appliance").iterdir())
    assert source.exists()
    assert status(root)["ok"] is False


def test_an_empty_key_list_turns_support_access_off(tmp_path: Path) -> None:
    root, boot = tmp_path / "root", tmp_path / "boot"
    provision(drop(boot, FULL), root, login=None)
    assert (root / "etc/ssh/appliance/authorized_keys").exists()
    provision(drop(boot, "[support]\nssh_keys = []\n"), root, login=None)
    assert not (root / "etc/ssh/appliance/authorized_keys").exists()


def test_instance_ids_expand_and_urls_stay() -> None:
    assert expand_instance("kfn123456789") == "https://apps.kafinea.com/kfn123456789"
    assert expand_instance("https://x.example/kfn1/") == "https://x.example/kfn1"


def test_plain_http_is_refused_except_on_loopback(tmp_path: Path) -> None:
    base = '[kafinea]\nemail = "a@b.fr"\naccess_key = "k"\nregister = "1"\n'
    with pytest.raises(SetupError, match="https:// obligatoire"):
        provision(drop(tmp_path / "b1", base + 'url = "http://kafinea.example.fr"\n'),
                  tmp_path / "r1", login=None)
    provision(drop(tmp_path / "b2", base + 'url = "http://127.0.0.1:8080"\n'),
              tmp_path / "r2", login=None)


def test_the_example_on_the_boot_partition_is_valid() -> None:
    example = REPO / "image/bootfs/appliance-setup.example.toml"
    setup = parse_setup(example.read_text(encoding="utf-8"), example)
    assert setup.kafinea is not None and setup.kafinea.register == "CAISSE-01"
    assert setup.ssh_keys == ()


def test_wifi_keyfile_escapes_and_hides_nothing_it_should_not() -> None:
    setup = parse_setup('[wifi]\nssid = " lead\\\\space"\nhidden = true\n', Path("x.toml"))
    assert setup.wifi is not None
    text = nm_keyfile(setup.wifi)
    assert "ssid=\\slead\\\\space\n" in text
    assert "hidden=true" in text and "wifi-security" not in text
    assert "psk" not in repr(setup)


# --------------------------------------------------------------------------- online check


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def html_server() -> Iterator[str]:
    """A web server that is not Kafinea (a typo in the instance gives this kind of answer)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<html><body>Not found</body></html>"
            self.send_response(404)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_POST = do_GET

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def kafinea_file(url: str) -> str:
    return (f'[kafinea]\nurl = "{url}"\nemail = "caisse@boutique.fr"\n'
            f'access_key = "{KEY}"\nregister = "CAISSE-01"\n')


def test_an_unreachable_instance_is_a_warning_not_an_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    outcome = provision(drop(tmp_path / "boot", kafinea_file(url)), tmp_path / "root")
    assert any(w.startswith("connexion à Kafinea non vérifiée : Kafinea injoignable")
               for w in outcome.warnings)
    assert (tmp_path / "root/etc/appliance/kafinea.key").exists()


def test_an_address_that_is_not_kafinea_stops_everything(tmp_path: Path, html_server: str) -> None:
    source = drop(tmp_path / "boot", kafinea_file(html_server))
    with pytest.raises(SetupError, match="le serveur ne répond pas comme un webservice Kafinea"):
        provision(source, tmp_path / "root")
    assert files_under(tmp_path / "root") == {"var/lib/appliance/setup-status.json"}
    assert source.exists()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxHandle]:
    with running_sandbox(tmp_path_factory.mktemp("sandbox")) as handle:
        yield handle


def sandbox_file(sandbox: SandboxHandle, key: str) -> str:
    return (f'[kafinea]\nurl = "{sandbox.url}"\nemail = "{sandbox.username}"\n'
            f'access_key = "{key}"\nregister = "{sandbox.register}"\n')


def test_the_login_is_checked_against_kafinea(tmp_path: Path, sandbox: SandboxHandle) -> None:
    outcome = provision(drop(tmp_path / "boot", sandbox_file(sandbox, sandbox.access_key)),
                        tmp_path / "root")
    assert outcome.warnings == []
    config = load_config(tmp_path / "root/etc/appliance/appliance.toml")
    assert config.kafinea is not None and config.kafinea.url == sandbox.url.rstrip("/")
    key_file = tmp_path / "root/etc/appliance/kafinea.key"
    assert key_file.read_text().strip() == sandbox.access_key


def test_a_refused_key_changes_nothing(tmp_path: Path, sandbox: SandboxHandle) -> None:
    source = drop(tmp_path / "boot", sandbox_file(sandbox, "wrong" + sandbox.access_key[5:]))
    with pytest.raises(SetupError, match="Kafinea refuse l'e-mail ou la clé d'accès"):
        provision(source, tmp_path / "root")
    assert files_under(tmp_path / "root") == {"var/lib/appliance/setup-status.json"}
    assert source.exists()
    assert sandbox.access_key[5:] not in json.dumps(status(tmp_path / "root"))


# --------------------------------------------------------------------------- the command


def test_command_prints_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = drop(tmp_path / "boot", '[display]\nrotation = 45\n[system]\ntimezone = "Mars/Base"\n')
    code = main(["setup", "--from", str(source), "--root", str(tmp_path / "root"), "--offline"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err == [
        "appliance setup: appliance-setup.toml: display.rotation: 0, 90, 180 ou 270 attendu",
        "appliance setup: appliance-setup.toml: system.timezone: fuseau horaire inconnu"
        " 'Mars/Base' (ex. Europe/Paris)",
        "appliance setup: rien n'a été modifié",
    ]


def test_command_applies_and_reports(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = drop(tmp_path / "boot", FULL)
    code = main(["setup", "--from", str(source), "--root", str(tmp_path / "root"), "--offline"])
    out = capsys.readouterr()
    assert code == 0
    assert out.out.startswith("appliance setup: OK (kafinea, wifi, printer")
    assert KEY not in out.out + out.err and PSK not in out.out + out.err


def test_command_on_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["setup", "--from", str(tmp_path / "none.toml"), "--root", str(tmp_path)])
    assert code == 1
    assert "fichier introuvable" in capsys.readouterr().err


def test_a_boot_partition_that_cannot_be_written_stops_everything(tmp_path: Path) -> None:
    """The scrubbed record is staged with the rest: failing there applies nothing at all."""
    root, boot = tmp_path / "root", tmp_path / "boot"
    source = drop(boot, FULL)
    # Something in the way of the record's staging file (as a read-only FAT would be).
    (boot / f".{APPLIED_FILE_NAME}.setup-{os.getpid()}").mkdir()
    with pytest.raises(SetupError, match="écriture impossible"):
        provision(source, root, login=None)
    assert files_under(root) == {"var/lib/appliance/setup-status.json"}
    assert source.read_text() == FULL
