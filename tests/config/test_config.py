"""Configuration: every bad file gives one clear ConfigError; good files round-trip."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from appliance.config import (
    Config,
    ConfigError,
    DrawerConfig,
    KafineaConfig,
    PrinterConfig,
    load_config,
    write_access_key,
    write_config,
)
from appliance.devices.connection import (
    DrawerAddress,
    FileConnection,
    NoConnection,
    PrinterAddress,
    SerialConnection,
    TcpConnection,
    ThroughPrinter,
    UsbConnection,
)

FULL = """
data_dir = "state"
[kafinea]
url = "https://apps.kafinea.com/kfn123456789"
username = "caisse@boutique.fr"
access_key_file = "access-key"
register = "Caisse 1"
timeout_s = 10
[kafinea.modules]
payments = "Payments"
[kafinea.fields.products]
barcode = "productcode"
[register]
default_account = "Client comptoir"
payment_methods = ["Espèces", "Carte bancaire"]
rounding_cents = 5
display = "ht"
manager_pin = "1234"
[printer]
connection = "tcp:192.168.1.50:9100"
columns = 42
[drawer]
connection = "serial:/dev/ttyUSB0:9600"
pin = 5
[scanner]
devices = ["/dev/input/by-id/usb-scanner"]
layout = "fr"
[ui]
language = "en"
fullscreen = false
[shop]
trade_name = "Épicerie Martin"
siret = "12345678901234"
vat_number = "FR12345678901"
address_lines = ["1 rue de la Paix", "75002 Paris"]
"""


def write(tmp_path: Path, text: str, name: str = "appliance.toml", mode: int = 0o644) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    path.chmod(mode)
    return path


def test_full_file_is_typed(tmp_path: Path) -> None:
    key = write(tmp_path, "s3cretKey123\n", "access-key", 0o600)
    config = load_config(write(tmp_path, FULL))
    assert config.data_dir == tmp_path.resolve() / "state"
    assert config.kafinea is not None
    assert config.kafinea.webservice_url == "https://apps.kafinea.com/kfn123456789/webservice.php"
    assert config.kafinea.access_key_file == tmp_path.resolve() / "access-key"
    assert config.kafinea.modules == {"payments": "Payments"}
    assert config.kafinea.fields == {"products": {"barcode": "productcode"}}
    assert config.register.rounding_cents == 5
    assert config.register.payment_methods == ("Espèces", "Carte bancaire")
    assert config.printer.connection == TcpConnection("192.168.1.50", 9100)
    assert config.drawer.connection == SerialConnection("/dev/ttyUSB0", 9600)
    assert config.drawer.pin == 5
    assert config.scanner.layout == "fr"
    assert config.ui.language == "en"
    assert not config.ui.fullscreen
    assert config.shop.address_lines == ("1 rue de la Paix", "75002 Paris")
    assert config.access_key() == "s3cretKey123"
    assert key.exists()


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.kafinea is None
    assert config.printer.connection == NoConnection()
    assert config.drawer.connection == ThroughPrinter()
    assert config.ui.language == "fr"
    with pytest.raises(ConfigError, match=r"\[kafinea\]: table absente"):
        config.access_key()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1", r"colour: clé inconnue, attendu data_dir, drawer, kafinea, keypad,"),
        ("[ui]\nlanguage = 'de'", r'ui.language: attendu "fr" ou "en"$'),
        ("[ui]\nfullscreen = 'yes'", r"ui.fullscreen: attendu true ou false, reçu une chaîne$"),
        ("[printer]\ncolumns = 'wide'", r"printer.columns: attendu un entier de 24 à 80, reçu"),
        ("[printer]\ncolumns = 100", r"printer.columns: attendu un entier de 24 à 80$"),
        ("[kafinea]\nurl='https://x.fr/k'\nusername='a'\nregister='C'\naccess_key='k'"
         "\ntimeout_s = 0", r"kafinea.timeout_s: attendu un nombre de 0.5 à 300$"),
        (
            "[printer]\nconnection = 'lpt1'",
            r"printer.connection: attendu tcp:HÔTE\[:PORT\], serial:PÉRIPHÉRIQUE\[:BAUDS\],"
            r" usb:VID:PID, file:CHEMIN ou none$",
        ),
        ("[printer]\nconnection = 3", r"printer.connection: attendu tcp:HÔTE.*, reçu un entier$"),
        ("[printer]\nconnection = 'tcp:h:99999'", r"printer.connection: attendu un port de 1 à"),
        ("[printer]\nconnection = 'printer'", r"printer.connection: attendu tcp:HÔTE"),
        (
            "[printer]\nspeed = 3",
            r"printer.speed: clé inconnue, attendu codepage, columns, connection ou profile$",
        ),
        ("[drawer]\npin = 3", r"drawer.pin: attendu 2 ou 5$"),
        (
            "[drawer]\nconnection = 'tcp:10.0.0.9:9100'",
            r"drawer.connection: attendu printer, serial:PÉRIPHÉRIQUE\[:BAUDS\] ou none$",
        ),
        ("[drawer]\nconnection = 'lpt1'", r"drawer.connection: attendu printer, serial:"),
        ("[kafinea]\nusername = 'a@b.fr'", r"kafinea.url: attendu une adresse https:// \(clé"),
        (
            "[kafinea]\nurl = 'https://x.fr/k'\nregister = 'C1'\naccess_key_file = 'k'",
            r"kafinea.username: attendu l'e-mail de l'utilisateur technique \(clé absente\)$",
        ),
        (
            "[kafinea]\nurl = 'http://kafinea.example.com/k'\nusername='a@b.fr'\nregister='C'",
            r"https:// obligatoire \(http:// seulement vers cette machine",
        ),
        (
            "[kafinea]\nurl = 'https://x.fr/k'\nusername='a@b.fr'\nregister='C'",
            r"\[kafinea\]: attendu access_key_file ou access_key, l'un des deux exactement$",
        ),
        (
            "[kafinea]\nurl='https://x.fr/k'\nusername='a'\nregister='C'\naccess_key_file='k'"
            "\n[kafinea.modules]\npayments = 3",
            r"kafinea.modules.payments: attendu un nom de champ ou de module, reçu un entier$",
        ),
        (
            "[kafinea]\nurl='https://x.fr/k'\nusername='a'\nregister='C'\naccess_key_file='k'"
            "\n[kafinea.modules]\n'pay ments' = 'Payments'",
            r"kafinea.modules.pay ments: attendu un nom de rôle \(lettres, chiffres et _\)$",
        ),
        ("[register]\nrounding_cents = 3", r"register.rounding_cents: attendu 1, 5, 10, 20, 50"),
        ("[shop]\nsiret = '123'", r"shop.siret: attendu 14 chiffres, entre guillemets$"),
        ("[register]\nmanager_pin = 1234", r"register.manager_pin: attendu 4 à 8 chiffres"),
        ("ui = 3", r"\[ui\]: attendu une table, reçu un entier$"),
        ("[ui\n", r"attendu du TOML valide \("),
    ],
)
def test_bad_values_give_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError, match=message) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}: ")  # FILE: KEY: what is expected
    assert "\n" not in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"fichier de configuration introuvable$"):
        load_config(tmp_path / "nope.toml")


def test_http_allowed_to_loopback(tmp_path: Path) -> None:
    for host in ("127.0.0.1:8080", "localhost", "[::1]:9"):
        text = f"[kafinea]\nurl='http://{host}/k'\nusername='a@b.fr'\nregister=1\naccess_key='x'"
        config = load_config(write(tmp_path, text, mode=0o600))
        assert config.kafinea is not None
        assert config.kafinea.register == "1"


def test_access_key_file_must_be_private(tmp_path: Path) -> None:
    key = write(tmp_path, "topsecret\n", "access-key", 0o644)
    text = "[kafinea]\nurl='https://x.fr/k'\nusername='a@b.fr'\nregister='C'\naccess_key_file='access-key'"
    config = load_config(write(tmp_path, text))
    with pytest.raises(ConfigError, match=r"mode 0644 : attendu lisible par son seul") as e:
        config.access_key()
    assert "topsecret" not in str(e.value)
    key.chmod(0o600)
    assert config.access_key() == "topsecret"
    key.unlink()
    with pytest.raises(ConfigError, match=r"fichier de clé d'accès introuvable$"):
        config.access_key()


def test_inline_key_needs_private_config_and_stays_out_of_repr(tmp_path: Path) -> None:
    text = (
        "[kafinea]\nurl='https://x.fr/k'\nusername='a@b.fr'\nregister='C'\naccess_key='topsecret'"
    )
    path = write(tmp_path, text, mode=0o644)
    config = load_config(path)
    assert "topsecret" not in repr(config)
    with pytest.raises(ConfigError, match="0644"):
        config.access_key()
    path.chmod(0o600)
    assert config.access_key() == "topsecret"


def test_write_round_trip_with_key_file(tmp_path: Path) -> None:
    key_path = write_access_key(tmp_path / "etc" / "access-key", "abcDEF123")
    assert os.stat(key_path).st_mode & 0o777 == 0o600
    write(tmp_path, "x", "access-key", 0o600)
    original = load_config(write(tmp_path, FULL))
    kafinea = KafineaConfig(
        url="https://apps.kafinea.com/kfn1",
        username="caisse@boutique.fr",
        register="Caisse 1",
        access_key_file=key_path,
        modules={"payments": "Paiements"},
        fields={"products": {"barcode": "cf_ean"}},
    )
    config = Config(
        data_dir=tmp_path / "data",
        kafinea=kafinea,
        register=original.register,
        printer=original.printer,
        drawer=original.drawer,
        scanner=original.scanner,
        ui=original.ui,
        shop=original.shop,
    )
    target = write_config(config, tmp_path / "out" / "appliance.toml")
    reread = load_config(target)
    assert reread.kafinea == kafinea
    assert reread.access_key() == "abcDEF123"
    assert reread.register == original.register
    assert reread.printer == original.printer
    assert reread.drawer == original.drawer
    assert reread.shop == original.shop
    assert reread.ui == original.ui
    assert "abcDEF123" not in target.read_text()
    assert os.stat(target).st_mode & 0o777 == 0o644


def test_an_access_key_is_one_line(tmp_path: Path) -> None:
    target = tmp_path / "access-key"
    for bad in ("", "   ", "two\nlines"):
        with pytest.raises(ConfigError, match=r"access-key: clé d'accès : attendu une seule ligne"):
            write_access_key(target, bad)
    assert not target.exists()


def test_write_inline_key_is_private(tmp_path: Path) -> None:
    text = "[kafinea]\nurl='https://x.fr/k'\nusername='a@b.fr'\nregister='C'\naccess_key='k\"y'"
    config = load_config(write(tmp_path, text, mode=0o600))
    target = write_config(config, tmp_path / "copy.toml")
    assert os.stat(target).st_mode & 0o777 == 0o600
    assert load_config(target).access_key() == 'k"y'


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("none", NoConnection()),
        ("tcp:192.168.1.50:9100", TcpConnection("192.168.1.50", 9100)),
        ("tcp:printer.local", TcpConnection("printer.local", 9100)),  # the usual port
        ("tcp:[::1]:9101", TcpConnection("::1", 9101)),
        ("tcp:[fe80::1]", TcpConnection("fe80::1", 9100)),
        ("serial:/dev/ttyUSB0:19200", SerialConnection("/dev/ttyUSB0", 19200)),
        ("serial:/dev/ttyS0", SerialConnection("/dev/ttyS0", 9600)),  # the usual speed
        ("USB:04B8:0E15", UsbConnection(0x04B8, 0x0E15)),
        ("file:/tmp/receipts.bin", FileConnection("/tmp/receipts.bin")),
    ],
)
def test_printer_addresses_are_read_and_written_back(
    tmp_path: Path, text: str, expected: PrinterAddress
) -> None:
    config = load_config(write(tmp_path, f"[printer]\nconnection = '{text}'\n"))
    assert config.printer.connection == expected
    reread = load_config(write_config(config, tmp_path / "written.toml"))
    assert reread.printer == config.printer == PrinterConfig(connection=expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("printer", ThroughPrinter()),
        ("serial:/dev/ttyS1", SerialConnection("/dev/ttyS1", 9600)),
        ("serial:/dev/ttyUSB0:19200", SerialConnection("/dev/ttyUSB0", 19200)),
        (" none", NoConnection()),
    ],
)
def test_drawer_addresses_are_read_and_written_back(
    tmp_path: Path, text: str, expected: DrawerAddress
) -> None:
    config = load_config(write(tmp_path, f"[drawer]\nconnection = '{text}'\n"))
    assert config.drawer.connection == expected
    reread = load_config(write_config(config, tmp_path / "written.toml"))
    assert reread.drawer == config.drawer == DrawerConfig(connection=expected)


def test_the_written_address_is_the_full_form(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, "[printer]\nconnection = 'TCP:[::1]'\n"))
    text = write_config(config, tmp_path / "written.toml").read_text()
    assert 'connection = "tcp:[::1]:9100"' in text
