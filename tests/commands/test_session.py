"""`appliance session open|close` through the real CLI entry point, against the sandbox."""

import json

import pytest

from appliance.cli import main
from appliance.kafinea.sandbox.server import running_sandbox
from tests.till.helpers import new_till, write_config


@pytest.fixture
def config(tmp_path):
    with running_sandbox(tmp_path / "sandbox") as sandbox:
        yield write_config(tmp_path, sandbox)


def test_open_then_close_with_counts(config, capsys):
    assert main(["session", "open", "--config", str(config), "--float", "150.00"]) == 0
    assert "fond de caisse 150,00 €" in capsys.readouterr().out
    assert main(["session", "open", "--config", str(config), "--float", "10"]) == 1
    assert "déjà ouverte" in capsys.readouterr().err
    code = main(
        [
            "session",
            "close",
            "--config",
            str(config),
            "--count",
            "cash:149.50",
            "--count",
            "card:0",
            "--json",
        ]
    )
    assert code == 0
    z = json.loads(capsys.readouterr().out)
    cash = next(m for m in z["methods"] if m["method"] == "CASH")
    assert (cash["expected_cents"], cash["counted_cents"], cash["difference_cents"]) == (
        15000,
        14950,
        -50,
    )
    till = new_till(config)
    try:
        assert till.status().session.state.value == "closed"
        assert till.sync_status().pending == 2  # the float and the Z, queued for Kafinea
    finally:
        till.close()


def test_z_text_gives_french_amounts(config, capsys):
    assert main(["session", "open", "--config", str(config), "--float", "1500"]) == 0
    assert "fond de caisse 1\u202f500,00 €" in capsys.readouterr().out
    close = ["session", "close", "--config", str(config), "--count", "cash:1499.50"]
    assert main([*close, "--count", "card:0"]) == 0
    out = capsys.readouterr().out
    assert "session clôturée : aucun ticket" in out
    assert "Espèces : attendu 1\u202f500,00 €, compté 1\u202f499,50 €, écart -0,50 €" in out
    assert "Carte bancaire : attendu 0,00 €" in out
    assert "CASH" not in out


def test_bad_amounts_are_one_line_errors(config, capsys):
    assert main(["session", "open", "--config", str(config), "--float", "12,345"]) == 2
    assert "montant invalide" in capsys.readouterr().err
    assert main(["session", "close", "--config", str(config), "--count", "cash"]) == 2
    assert "MOYEN:MONTANT" in capsys.readouterr().err
    assert main(["session", "close", "--config", str(config), "--count", "cash:1"]) == 1
    assert "aucune session" in capsys.readouterr().err


def test_z_text_counts_tickets_in_french(config, capsys):
    assert main(["session", "open", "--config", str(config), "--float", "20"]) == 0
    till = new_till(config)
    try:
        product = till.products_in(till.categories()[0].name)[0]
        if till.sellers():
            till.set_seller(till.sellers()[0])
        till.add_product(product.id)
        till.pay("CASH", product.price_cents)
        till.validate(print_receipt=False)
    finally:
        till.close()
    capsys.readouterr()
    close = ["session", "close", "--config", str(config), "--count", "cash:20"]
    assert main([*close, "--count", "card:0", "--count", "cheque:0"]) == 0
    out = capsys.readouterr().out
    assert "Z n° 1 : 1 ticket\n" in out
    assert "  Espèces : attendu" in out
    assert "  Chèque : attendu 0,00 €" in out
