"""`appliance doctor` against a sandbox: exit codes, JSON shape, reasons, no secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from appliance.cli import main
from appliance.config import write_access_key
from appliance.kafinea.client import KafineaClient
from appliance.kafinea.sandbox.server import SandboxHandle, running_sandbox


def _config(
    tmp_path: Path, sandbox: SandboxHandle, extra: str = "", key: str | None = None
) -> Path:
    key_file = write_access_key(tmp_path / "access-key", key or sandbox.access_key)
    path = tmp_path / "appliance.toml"
    path.write_text(
        f'data_dir = "{tmp_path / "data"}"\n[kafinea]\nurl = "{sandbox.url}"\n'
        f'username = "{sandbox.username}"\naccess_key_file = "{key_file}"\n'
        f'register = "Caisse 1"\ntimeout_s = 5\n{extra}',
        encoding="utf-8",
    )
    return path


def _doctor(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main(["doctor", "--config", str(path), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_healthy_sandbox(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        code, data = _doctor(_config(tmp_path, sandbox), capsys)
    assert code == 0
    kafinea = data["kafinea"]
    assert kafinea["ok"] is True and data["can_sell"] is True
    assert kafinea["login"]["ok"] is True
    assert kafinea["modules"]["cash_registers"] == {
        **kafinea["modules"]["cash_registers"],
        "module": "CashRegisters",
        "found": True,
    }
    assert kafinea["register"]["sellers"] == ["Marie Dupont", "Karim Benali", "Julie Martin"]
    assert kafinea["register"]["printer_address"] == "192.168.1.50:9100"
    assert kafinea["warnings"] == []
    assert sandbox.access_key not in json.dumps(data)


def test_text_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        code = main(["doctor", "--config", str(_config(tmp_path, sandbox))])
    out = capsys.readouterr().out
    assert code == 0
    assert "cash_registers     -> CashRegisters (default)" in out
    assert "barcode=cf_853 (label)" in out
    assert "kafinea : connecté à http://127.0.0.1:" in out
    assert out.strip().endswith("la caisse peut vendre")


def test_wrong_key(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        code, data = _doctor(_config(tmp_path, sandbox, key="WrongKey12345678"), capsys)
    assert code == 1
    assert data["kafinea"]["login"]["ok"] is False
    assert "Kafinea refuse l'e-mail ou la clé d'accès" in data["kafinea"]["problems"][0]
    assert "WrongKey12345678" not in json.dumps(data)


def test_unknown_register_and_decimals_warning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        with KafineaClient(sandbox.url, sandbox.username, sandbox.access_key) as client:
            info = client.login()
            client.revise({"id": info.user_id, "no_of_currency_decimals": ""})
        path = _config(tmp_path, sandbox)
        path.write_text(path.read_text().replace('"Caisse 1"', '"Caisse 9"'))
        code, data = _doctor(path, capsys)
    assert code == 1
    assert data["kafinea"]["problems"] == [
        "caisse 'Caisse 9' introuvable dans Kafinea (par nom ou numéro)"
    ]
    assert "décimales monétaires" in data["kafinea"]["warnings"][0]
    assert "non réglées" in data["kafinea"]["warnings"][0]


def test_register_by_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        path = _config(tmp_path, sandbox)
        path.write_text(path.read_text().replace('"Caisse 1"', "2"))
        code, data = _doctor(path, capsys)
    assert code == 0
    assert data["kafinea"]["register"]["name"] == "Caisse 2"


def test_plain_vtiger_needs_a_local_default_account(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hidden = {"CashRegisters", "Payments", "CreditNotes", "CashTransactions"}
    with running_sandbox(tmp_path / "sb", hidden_modules=hidden) as sandbox:
        code, data = _doctor(_config(tmp_path, sandbox), capsys)
        assert code == 1
        assert "pas de [register] default_account" in data["kafinea"]["problems"][0]
        assert data["kafinea"]["modules"]["payments"]["found"] is False
        assert data["kafinea"]["modules"]["payments"]["module"] is None
        extra = '[register]\ndefault_account = "Client comptoir"\n'
        code, data = _doctor(_config(tmp_path, sandbox, extra), capsys)
    assert code == 0
    assert data["kafinea"]["register"]["source"] == "config"


def test_unreachable_kafinea(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        path = _config(tmp_path, sandbox)
    code, data = _doctor(path, capsys)  # the sandbox is gone now
    assert code == 1
    assert data["kafinea"]["problems"][0].startswith("Kafinea injoignable : vérifiez le réseau")


def test_bad_configuration(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "appliance.toml"
    path.write_text("[printer]\nspeed = 3\n")
    assert main(["doctor", "--config", str(path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"doctor: {path}: printer.speed: clé inconnue,"
        " attendu codepage, columns, connection ou profile"
    )
    assert main(["doctor", "--config", str(path), "--json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert data["config"]["ok"] is False and data["kafinea"]["ok"] is False


def test_key_file_with_open_mode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with running_sandbox(tmp_path / "sb") as sandbox:
        path = _config(tmp_path, sandbox)
        (tmp_path / "access-key").chmod(0o644)
        code, data = _doctor(path, capsys)
    assert code == 1
    assert "attendu lisible par son seul propriétaire" in data["kafinea"]["problems"][0]


def test_technician_help_is_french(capsys: pytest.CaptureFixture[str]) -> None:
    for argv in (["--help"], ["doctor", "--help"], ["sandbox", "--help"]):
        with pytest.raises(SystemExit) as exit_info:
            main(argv)
        assert exit_info.value.code == 0
        out = capsys.readouterr().out
        assert "check the configuration" not in out and "run a local" not in out
    main_help = _help(capsys, [])
    assert "vérifier la configuration, la connexion à Kafinea et la caisse" in main_help
    assert "lancer un serveur local compatible Kafinea" in main_help
    assert "fichier de configuration TOML" in _help(capsys, ["doctor"])
    assert "répertoire d'état" in _help(capsys, ["sandbox"])


def _help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit):
        main([*argv, "--help"])
    return " ".join(capsys.readouterr().out.split())  # argparse wraps long help lines
